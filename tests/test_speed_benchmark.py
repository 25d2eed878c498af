"""benchmarks/gpu.sh --dry-run: the GPU benchmark's whole code path, on the CPU at tiny sizes."""

import os
import subprocess
from pathlib import Path

import pytest
from conftest import REPO


@pytest.mark.slow
def test_gpu_script_dry_run_prints_both_tables(tmp_path: Path) -> None:
    done = subprocess.run(
        ["bash", "benchmarks/gpu.sh", "--dry-run"],
        cwd=REPO,
        env={**os.environ, "OUT": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = (tmp_path / "gpu_benchmark.md").read_text()
    assert report == done.stdout
    rows = {line.split(" | ")[0].strip("| ") for line in report.splitlines() if "|" in line}
    assert {"t5mt", "hf", "t5mt-off", "ct2-int8", "ct2-float32"} <= rows
    assert "matmul peak" in report
