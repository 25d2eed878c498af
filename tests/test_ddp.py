"""DDP: two CPU processes train one model; rank 0 alone logs and checkpoints, and BLEU is
computed over the whole validation and test sets, gathered from both processes."""

import csv
import json
from pathlib import Path

import pytest
from conftest import SMALL_DATA, run_module

from t5mt.errors import ConfigError
from t5mt.module import check_precision


@pytest.mark.slow
def test_two_processes_train_to_completion(tmp_path: Path) -> None:
    done = run_module(
        "t5mt.train",
        "trainer=ddp",
        "trainer.max_epochs=1",
        "trainer.log_every_n_steps=1",
        "trainer.enable_progress_bar=false",
        *SMALL_DATA,
        "hydra.run.dir=run",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    run = tmp_path / "run"
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["best.ckpt", "last.ckpt"]
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    # 400 training pairs, 2 processes, random batches of 64: 4 steps of 2 × 64 pairs or fewer
    assert [int(r["step"]) for r in rows if r["train/loss"]] == [0, 1, 2, 3]
    # each process decoded 20 of the 40 validation and test pairs; the scores cover all 40
    assert [float(r["val/sentences"]) for r in rows if r["val/sentences"]] == [40.0]
    results = json.loads((run / "results.json").read_text())
    assert results["test"]["sentences"] == 40
    assert json.loads((run / "run.json").read_text())["status"] == "completed"


def test_float16_is_refused() -> None:
    for precision in ("16-mixed", "16-true", "16"):
        with pytest.raises(ConfigError, match="bf16-mixed"):
            check_precision(precision)
    check_precision("bf16-mixed")
    check_precision("32-true")


@pytest.mark.slow
def test_float16_training_stops_with_one_message(tmp_path: Path) -> None:
    done = run_module(
        "t5mt.train", "trainer=debug", "trainer.precision=16-true", *SMALL_DATA, cwd=tmp_path
    )
    assert done.returncode == 2
    assert "error: trainer.precision=16-true: T5 overflows in float16" in done.stderr
    assert "Traceback" not in done.stderr
