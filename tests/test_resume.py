"""Resume in place: a run killed with SIGKILL continues in its folder and ends where an
uninterrupted run ends; completed runs are skipped; a folder never takes a different config."""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

from t5mt.errors import RunFolderError
from t5mt.loggers import trim_metrics
from t5mt.resume import resume_arguments
from t5mt.run_folder import RunFolder, latest_run, this_process
from tests.conftest import SMALL_DATA, run_module

# Two epochs of 7 batches, last.ckpt every 3 steps: a kill after the first save is mid-epoch.
RESUMABLE = (
    "trainer=debug",
    "trainer.limit_train_batches=null",
    "trainer.max_epochs=2",
    "trainer.enable_progress_bar=false",
    "callbacks.last.every_n_train_steps=3",
    *SMALL_DATA,
)


def train_command(*overrides: str) -> list[str]:
    return [sys.executable, "-m", "t5mt.train", *overrides]


def metric_rows(run: Path) -> list[dict[str, str]]:
    with (run / "metrics.csv").open() as file:
        return list(csv.DictReader(file))


def column(rows: list[dict[str, str]], name: str) -> list[tuple[str, str]]:
    return [(row["step"], row[name]) for row in rows if row.get(name)]


@pytest.mark.slow
def test_a_killed_run_resumes_in_place_and_ends_as_an_uninterrupted_one(tmp_path: Path) -> None:
    # the uninterrupted run goes on beside the one that gets killed (2 cores, 2 processes)
    uninterrupted = subprocess.Popen(
        train_command(*RESUMABLE, "hydra.run.dir=full"),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    victim = subprocess.Popen(
        train_command(*RESUMABLE, "hydra.run.dir=killed"),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    last = tmp_path / "killed/checkpoints/last.ckpt"
    deadline = time.monotonic() + 300
    while not last.exists() and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert victim.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    killed = tmp_path / "killed"
    assert json.loads((killed / "run.json").read_text())["status"] == "running"
    assert not (killed / "results.json").exists()
    # its process is gone: the reports say so, with the last sign of life
    shown = run_module("t5mt.runs", "show", "killed", cwd=tmp_path)
    assert "crashed (last heartbeat " in shown.stdout, shown.stdout + shown.stderr
    # Lightning logs a step's row only after the checkpoint of that step is written: make the
    # kill one that came in between, whatever the timing was (the checkpoint carries the row)
    trained = torch.load(last, map_location="cpu", weights_only=False)["global_step"]
    rows = metric_rows(killed)
    with (killed / "metrics.csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(row for row in rows if int(row["step"]) < trained - 1)

    resumed = run_module("t5mt.train", "resume=killed", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resuming from" in (killed / "train.log").read_text()
    assert uninterrupted.wait(timeout=600) == 0, uninterrupted.stderr.read()[-3000:]

    full_rows, resumed_rows = metric_rows(tmp_path / "full"), metric_rows(killed)
    # every step logged once, and the same losses bit for bit: same batches, same order
    assert column(resumed_rows, "train/loss") == column(full_rows, "train/loss")
    assert len(column(full_rows, "train/loss")) == 14
    assert column(resumed_rows, "val/loss") == column(full_rows, "val/loss")
    full = json.loads((tmp_path / "full/results.json").read_text())
    again = json.loads((killed / "results.json").read_text())
    assert again["test"]["loss"] == full["test"]["loss"]
    assert again["test"]["bleu"] == full["test"]["bleu"]
    # the same validation curve: a resumed run continues the one saved in its checkpoint
    assert [(p["step"], p["bleu"]) for p in again["val"]["curve"]] == [
        (p["step"], p["bleu"]) for p in full["val"]["curve"]
    ]
    status = json.loads((killed / "run.json").read_text())
    assert status["status"] == "completed" and status["attempts"] == 2


@pytest.fixture
def finished_run(debug_run: Path, tmp_path: Path) -> Path:
    """A copy of the session's completed debug run, free to change."""
    return Path(shutil.copytree(debug_run, tmp_path / "outputs/2026-01-01/00-00-00"))


@pytest.mark.slow
def test_rerunning_a_completed_run_in_its_folder_skips_it(finished_run: Path) -> None:
    before = (finished_run / "results.json").read_text()
    result = run_module(
        "t5mt.train",
        "trainer=debug",
        *SMALL_DATA,
        f"hydra.run.dir={finished_run}",
        cwd=finished_run,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "already completed, skipped" in (finished_run / "train.log").read_text()
    assert (finished_run / "results.json").read_text() == before


@pytest.mark.slow
def test_a_folder_that_a_live_run_holds_is_not_taken_over(finished_run: Path) -> None:
    own_config = (finished_run / ".hydra/config.yaml").read_text()
    status = json.loads((finished_run / "run.json").read_text())
    # this test's own process plays the live run that holds the folder
    status.update(status="running", **this_process())
    (finished_run / "run.json").write_text(json.dumps(status))
    held = f"hydra.run.dir={finished_run}"
    result = run_module("t5mt.train", "trainer=debug", *SMALL_DATA, held, cwd=finished_run)
    assert result.returncode == 2
    assert f"is held by a live run (process {os.getpid()} on" in result.stderr
    assert (finished_run / ".hydra/config.yaml").read_text() == own_config
    assert json.loads((finished_run / "run.json").read_text()) == status


@pytest.mark.slow
def test_a_folder_refuses_a_different_config_and_keeps_its_own(finished_run: Path) -> None:
    own_config = (finished_run / ".hydra/config.yaml").read_text()
    own_overrides = (finished_run / ".hydra/overrides.yaml").read_text()
    result = run_module(
        "t5mt.train",
        "trainer=debug",
        *SMALL_DATA,
        "optim.lr=0.5",
        f"hydra.run.dir={finished_run}",
        cwd=finished_run,
    )
    assert result.returncode == 2
    assert "different config (changed: optim.lr, optim.optimizer.lr)" in result.stderr
    assert "Traceback" not in result.stderr
    assert (finished_run / ".hydra/config.yaml").read_text() == own_config
    assert (finished_run / ".hydra/overrides.yaml").read_text() == own_overrides
    assert json.loads((finished_run / "run.json").read_text())["status"] == "completed"


def test_resume_rewrites_the_command_line_to_the_runs_own(finished_run: Path) -> None:
    arguments = resume_arguments([f"resume={finished_run}", "trainer.max_epochs=3"])
    saved = yaml.safe_load((finished_run / ".hydra/overrides.yaml").read_text())
    assert arguments == [*saved, "trainer.max_epochs=3", f"hydra.run.dir={finished_run}"]
    assert resume_arguments(["optim.lr=1"]) == ["optim.lr=1"]


def test_resume_latest_picks_the_most_recently_started_run(finished_run: Path) -> None:
    newer = Path(shutil.copytree(finished_run, finished_run.parent / "00-00-01"))
    status = json.loads((newer / "run.json").read_text())
    status["started"] = "2999-01-01T00:00:00+00:00"
    (newer / "run.json").write_text(json.dumps(status))
    assert latest_run(finished_run.parents[1]) == RunFolder(newer)
    with pytest.raises(RunFolderError, match="there are no runs under"):
        latest_run(finished_run / "checkpoints")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["optim.lr=1e-3"], r"resume= cannot change optim.lr=1e-3"),
        (["-m"], r"to resume a sweep, re-run it with hydra.sweep.dir"),
    ],
)
def test_resume_rejects_changes_that_would_make_it_another_run(
    finished_run: Path, arguments: list[str], message: str
) -> None:
    with pytest.raises(RunFolderError, match=message):
        resume_arguments([f"resume={finished_run}", *arguments])


def test_resume_of_a_run_whose_config_no_longer_composes_says_so(finished_run: Path) -> None:
    (finished_run / ".hydra/overrides.yaml").write_text("- model=t5_retired\n")
    with pytest.raises(RunFolderError, match=r"no longer composes with conf/.*t5_retired"):
        resume_arguments([f"resume={finished_run}"])


def test_resume_of_a_folder_that_is_not_a_run_is_a_clear_error(tmp_path: Path) -> None:
    result = run_module("t5mt.train", f"resume={tmp_path}", cwd=tmp_path)
    assert result.returncode == 2
    assert "is not a t5mt run folder" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_run_records_what_it_needs_to_be_reproduced(debug_run: Path) -> None:
    record = json.loads((debug_run / "reproducibility.json").read_text())
    assert record["seed"] == 0
    assert record["overrides"] == yaml.safe_load((debug_run / ".hydra/overrides.yaml").read_text())
    assert len(record["git"]["commit"]) == 40
    assert (debug_run / "git.diff").exists() == record["git"]["dirty"]
    assert record["packages"]["torch"] and record["packages"]["pytorch-lightning"]
    assert record["hardware"]["cpu_count"] >= 1
    # outside a Ray sweep a run is given its process's cores
    assigned = record["hardware"]["assigned"]
    assert assigned["by"] == "process" and 1 <= assigned["cpus"] <= record["hardware"]["cpu_count"]
    assert record["data"]["pairs"] == {"train": 400, "validation": 40, "test": 40}
    assert record["data"]["fingerprint"].startswith("sha256:")
    assert len(record["data"]["fingerprint"]) == len("sha256:") + 64
    assert record["config"]["data"]["corpus"]["train_size"] == 400


@pytest.mark.slow
def test_reproduce_retrains_a_run_and_matches_it_exactly(debug_run: Path, tmp_path: Path) -> None:
    into = tmp_path / "again"
    result = run_module("t5mt.runs", "reproduce", str(debug_run), "--into", str(into), cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "reproduced exactly" in result.stdout
    original = json.loads((debug_run / "results.json").read_text())
    again = json.loads((into / "results.json").read_text())
    assert again["test"]["loss"] == original["test"]["loss"]
    assert column(metric_rows(into), "train/loss") == column(metric_rows(debug_run), "train/loss")


def test_trimming_keeps_the_rows_of_the_steps_the_checkpoint_trained(tmp_path: Path) -> None:
    path = tmp_path / "metrics.csv"
    path.write_text("epoch,step,train/loss,val/bleu\n0,0,6.5,\n0,1,6.4,\n0,1,,3.0\n0,2,6.3,\n")
    # a checkpoint after 2 steps: step 2's row came from the killed attempt's next step
    trim_metrics(path, trained_steps=2)
    assert path.read_text() == "epoch,step,train/loss,val/bleu\n0,0,6.5,\n0,1,6.4,\n0,1,,3.0\n"


def test_trimming_restores_the_row_the_killed_attempt_did_not_write(tmp_path: Path) -> None:
    path = tmp_path / "metrics.csv"
    path.write_text("epoch,step,train/loss\n0,0,6.5\n")
    row = {"train/loss": 6.4, "train/lr": 0.001, "epoch": 0, "step": 1}
    trim_metrics(path, trained_steps=2, unlogged=row)
    expected = "epoch,step,train/loss,train/lr\n0,0,6.5,\n0,1,6.4,0.001\n"
    assert path.read_text() == expected
    # the attempt that did write it: nothing added twice
    trim_metrics(path, trained_steps=2, unlogged=row)
    assert path.read_text() == expected


def test_trimming_without_a_checkpoint_keeps_only_the_header(tmp_path: Path) -> None:
    path = tmp_path / "metrics.csv"
    path.write_text("epoch,step,train/loss\n0,0,6.5\n")
    trim_metrics(path, trained_steps=0)
    assert path.read_text() == "epoch,step,train/loss\n"
    trim_metrics(tmp_path / "absent.csv", trained_steps=0)
    assert not (tmp_path / "absent.csv").exists()
