"""Sweeps as users run them (`python -m t5mt.train -m ...`): failing jobs are recorded and the
sweep goes on, a re-run skips what completed, Optuna and the launchers work."""

import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import SMALL_DATA, run_module

TINY = ("trainer=debug", "trainer.enable_progress_bar=false", *SMALL_DATA)
DIVERGES = "1e9"  # a learning rate that turns the loss into NaN within a few steps


def status(job: Path) -> dict:
    return json.loads((job / "run.json").read_text())


@pytest.mark.slow
def test_a_failing_job_is_recorded_and_a_rerun_skips_completed_jobs(tmp_path: Path) -> None:
    sweep = (
        "-m",
        *TINY,
        "launcher=joblib",
        f"optim.lr=2e-3,{DIVERGES}",
        "hydra.sweep.dir=sweep",
    )
    first = run_module("t5mt.train", *sweep, cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    good, bad = tmp_path / "sweep/0", tmp_path / "sweep/1"
    assert status(good)["status"] == "completed"
    assert (good / "results.json").is_file()
    assert status(bad)["status"] == "failed"
    assert "TrainingDiverged: the training loss became nan" in status(bad)["error"]
    assert not (bad / "results.json").exists()

    results = (good / "results.json").read_text()
    again = run_module("t5mt.train", *sweep, cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "already completed, skipped" in (good / "train.log").read_text()
    assert (good / "results.json").read_text() == results
    assert status(good)["attempts"] == 1
    assert status(bad)["attempts"] == 2 and status(bad)["status"] == "failed"


@pytest.mark.slow
def test_optuna_searches_records_failed_trials_and_reports_the_best(tmp_path: Path) -> None:
    result = run_module(
        "t5mt.train",
        "-m",
        *TINY,
        "sweep=optuna",
        "hydra.sweeper.n_trials=3",
        "hydra.sweeper.sampler.seed=0",  # draws 1e9, 2e-3, 1e9
        # the other searched parameters held fixed
        f"hydra.sweeper.params={{optim.lr:'choice(2e-3,{DIVERGES})',optim.warmup_steps:'300',"
        "module.label_smoothing:'0.0'}",
        "hydra.sweep.dir=search",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = sorted((tmp_path / "search").glob("[0-9]*"))
    statuses = {status(job)["status"] for job in jobs}
    assert len(jobs) == 3 and statuses == {"completed", "failed"}
    best = yaml.safe_load((tmp_path / "search/optimization_results.yaml").read_text())
    assert best["best_params"]["optim.lr"] == 2e-3
    completed = [job for job in jobs if status(job)["status"] == "completed"]
    scores = [json.loads((job / "results.json").read_text())["val"]["bleu"] for job in completed]
    assert best["best_value"] == max(scores)


@pytest.mark.slow
def test_submitit_runs_the_jobs_of_a_sweep_as_separate_processes(tmp_path: Path) -> None:
    result = run_module(
        "t5mt.train",
        "-m",
        *TINY,
        "launcher=submitit_local",
        "seed=1,2",
        "hydra.sweep.dir=cluster",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for job, seed in (("0", 1), ("1", 2)):
        assert status(tmp_path / "cluster" / job)["seed"] == seed
        assert status(tmp_path / "cluster" / job)["status"] == "completed"
    # submitit's own bookkeeping: one log per job, as on a SLURM cluster
    assert len(list((tmp_path / "cluster/.submitit").glob("*/*_log.out"))) == 2
