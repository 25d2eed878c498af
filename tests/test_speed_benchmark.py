"""benchmarks/gpu.sh --dry-run: the GPU benchmark's whole code path, on the CPU at tiny sizes:
throughput, decoding, and the sweep check (benchmarks/ray_sweep.py)."""

import os
import subprocess
from pathlib import Path

import pytest
from conftest import REPO


@pytest.mark.slow
def test_gpu_script_dry_run_prints_every_table(tmp_path: Path) -> None:
    done = subprocess.run(
        ["bash", "benchmarks/gpu.sh", "--dry-run"],
        cwd=REPO,
        env={**os.environ, "OUT": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=1500,  # the throughput and decoding runs, then two small sweeps
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = (tmp_path / "gpu_benchmark.md").read_text()
    assert report == done.stdout
    rows = {line.split(" | ")[0].strip("| ") for line in report.splitlines() if "|" in line}
    assert {"t5mt", "hf", "t5mt-off", "ct2-int8", "ct2-float32"} <= rows
    assert "matmul peak" in report
    # the sweep check: both launchers completed both jobs; every Ray job records its assignment
    assert {"basic", "ray"} <= rows
    assert report.count("| 2/2 |") == 2
    ray_jobs = [line for line in report.splitlines() if "| completed | ray |" in line]
    assert len(ray_jobs) == 2 and all("| ray | 1 | 1 | [] |" in line for line in ray_jobs)
