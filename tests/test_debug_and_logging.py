"""Debug modes and loggers, through the real entrypoint: what each leaves in the run folder."""

import csv
import importlib.util
import json
from pathlib import Path

import pytest

from tests.conftest import SMALL_DATA, run_module

TINY = ("trainer.enable_progress_bar=false", "trainer.max_epochs=1", *SMALL_DATA)


def train_steps(run: Path) -> list[float]:
    with (run / "metrics.csv").open() as file:
        return [float(row["train/loss"]) for row in csv.DictReader(file) if row["train/loss"]]


def train(tmp_path: Path, *overrides: str) -> Path:
    result = run_module("t5mt.train", *TINY, *overrides, "hydra.run.dir=run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    return tmp_path / "run"


@pytest.mark.slow
def test_debug_fraction_trains_on_a_tenth_of_the_data(tmp_path: Path) -> None:
    run = train(tmp_path, "debug=fraction", "trainer.log_every_n_steps=1")
    # 40 of the 400 training pairs: one batch of 64; 4 of the 40 test pairs
    assert len(train_steps(run)) == 1
    assert json.loads((run / "results.json").read_text())["test"]["sentences"] == 4


@pytest.mark.slow
def test_debug_fast_dev_run_runs_one_batch_of_everything(tmp_path: Path) -> None:
    run = train(tmp_path, "debug=fast_dev_run")
    assert json.loads((run / "run.json").read_text())["status"] == "completed"
    assert {"bleu", "loss"} <= set(json.loads((run / "results.json").read_text())["test"])
    # a smoke test: Lightning turns the loggers off
    assert not (run / "metrics.csv").exists()


@pytest.mark.slow
def test_debug_overfit_drives_the_loss_of_a_few_batches_down(tmp_path: Path) -> None:
    run = train(tmp_path, "debug=overfit", "trainer.max_epochs=20")
    losses = train_steps(run)
    assert losses[-1] < losses[0] / 2


@pytest.mark.slow
def test_debug_profile_saves_the_report_in_the_run_folder(tmp_path: Path) -> None:
    run = train(tmp_path, "debug=profile")
    report = (run / "fit-profile.txt").read_text()
    assert "Profiler Report" in report and "run_training_epoch" in report


@pytest.mark.slow
def test_wandb_logs_offline_without_credentials(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    run = train(tmp_path, "trainer=debug", "logger=wandb")
    (offline,) = (run / "wandb").glob("offline-run-*")
    status = json.loads((run / "run.json").read_text())
    assert offline.name.endswith(status["wandb_id"])
    # the run's record (what `wandb sync` uploads) holds the resolved config and the metrics
    record = (offline / f"run-{status['wandb_id']}.wandb").read_bytes()
    for logged in (b"train_size", b"label_smoothing", b"train/loss", b"val/bleu", b"test/bleu"):
        assert logged in record, logged
    # the validation samples, as a W&B table of source / reference / hypothesis
    (table,) = (offline / "files/media/table/val").glob("samples_*.table.json")
    logged = json.loads(table.read_text())
    assert logged["columns"] == ["source", "reference", "hypothesis"] and len(logged["data"]) == 5


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("mlflow") is None, reason="mlflow is not installed")
def test_mlflow_logs_to_a_local_file_store(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    run = train(tmp_path, "trainer=debug", "logger=mlflow")
    from mlflow.tracking import MlflowClient

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    client = MlflowClient(tracking_uri=(tmp_path / "mlruns").as_uri())
    status = json.loads((run / "run.json").read_text())
    logged = client.get_run(status["mlflow_id"])
    assert logged.info.status == "FINISHED"
    assert "logger=mlflow" in logged.info.run_name  # named after the overrides
    metrics = logged.data.metrics
    assert {"train/loss", "val/bleu", "test/bleu"} <= set(metrics)
    results = json.loads((run / "results.json").read_text())
    assert metrics["test/bleu"] == pytest.approx(results["test"]["bleu"])
    assert logged.data.params["optim/lr"] == "0.002"  # the resolved config, flattened
    history = client.get_metric_history(logged.info.run_id, "train/loss")
    assert [point.value for point in history] == pytest.approx(train_steps(run))
