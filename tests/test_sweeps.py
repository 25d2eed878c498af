"""Sweeps as users run them (`python -m t5mt.train -m ...`): failing jobs are recorded and the
sweep goes on, a re-run skips what completed, Optuna and the launchers work."""

import contextlib
import json
from pathlib import Path

import optuna
import psutil
import pytest
import yaml
from optuna.trial import TrialState

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


def optuna_search(cwd: Path, n_trials: int) -> None:
    """A search over a learning rate that trains (2e-3) and one that diverges, in `search/`."""
    result = run_module(
        "t5mt.train",
        "-m",
        *TINY,
        "sweep=optuna",
        f"hydra.sweeper.n_trials={n_trials}",
        "hydra.sweeper.sampler.seed=0",  # draws 1e9, 2e-3, 1e9
        # the other searched parameters held fixed
        f"hydra.sweeper.params={{optim.lr:'choice(2e-3,{DIVERGES})',optim.warmup_steps:'300',"
        "module.label_smoothing:'0.0'}",
        "hydra.sweep.dir=search",
        cwd=cwd,
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.slow
def test_optuna_keeps_its_study_in_the_sweep_folder_and_a_rerun_continues_it(
    tmp_path: Path,
) -> None:
    optuna_search(tmp_path, n_trials=2)
    search = tmp_path / "search"
    storage = f"sqlite:///{search / 'optuna.db'}"
    earlier = optuna.load_study(study_name="search", storage=storage).trials
    assert [trial.state for trial in earlier] == [TrialState.FAIL, TrialState.COMPLETE]
    assert [status(search / str(n))["status"] for n in (0, 1)] == ["failed", "completed"]
    best = yaml.safe_load((search / "optimization_results.yaml").read_text())
    assert best["best_params"]["optim.lr"] == 2e-3
    assert best["best_value"] == json.loads((search / "1/results.json").read_text())["val"]["bleu"]

    optuna_search(tmp_path, n_trials=3)  # the same sweep, one trial more
    trials = optuna.load_study(study_name="search", storage=storage).trials
    assert [trial.number for trial in trials] == [0, 1, 2]
    for before, after in zip(earlier, trials[:2], strict=True):
        assert (after.params, after.value) == (before.params, before.value)
        assert status(search / str(after.number))["attempts"] == 1
    # the new trial ran in the folder of its number, with the learning rate Optuna suggested
    assert [trial.state for trial in trials][2] == TrialState.FAIL
    assert trials[2].params["optim.lr"] == 1e9
    assert f"optim.lr={1e9}" in (search / "2/.hydra/overrides.yaml").read_text()
    assert status(search / "2")["status"] == "failed"


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


def ray_processes(started_in: Path) -> set[int]:
    """The Ray daemons (a local Ray's raylet and GCS server) of the drivers that ran in
    `started_in`: they keep their driver's working folder, and tests running beside this one
    may start Ray daemons of their own."""
    daemons = set()
    for process in psutil.process_iter(["name"]):
        if process.info["name"] in ("raylet", "gcs_server"):
            with contextlib.suppress(psutil.Error):  # gone since the listing, or not ours
                if Path(process.cwd()) == started_in.resolve():
                    daemons.add(process.pid)
    return daemons


@pytest.fixture(scope="module")
def ray_sweep(tmp_path_factory) -> dict:
    """A `launcher=ray` sweep of two jobs that train and one that diverges, one CPU each on a
    two-CPU local Ray, run twice into the same folder; what each run left behind."""
    cwd = tmp_path_factory.mktemp("ray_sweep")
    sweep = (
        "-m",
        *TINY,
        "launcher=ray",
        "hydra.launcher.ray.init.num_cpus=2",
        f"optim.lr=2e-3,{DIVERGES},3e-3",
        "hydra.sweep.dir=sweep",
    )
    first = run_module("t5mt.train", *sweep, cwd=cwd)
    assert first.returncode == 0, first.stderr[-3000:]
    jobs = [cwd / "sweep" / str(n) for n in range(3)]
    statuses = [status(job) for job in jobs]
    again = run_module("t5mt.train", *sweep, cwd=cwd)
    assert again.returncode == 0, again.stderr[-3000:]
    return {
        "jobs": jobs,
        "first": statuses,
        "again": [status(job) for job in jobs],
        "left_running": ray_processes(started_in=cwd),
    }


@pytest.mark.slow
def test_ray_jobs_record_the_cpus_they_were_given_and_use_as_many_threads(ray_sweep) -> None:
    for job in ray_sweep["jobs"]:
        hardware = json.loads((job / "reproducibility.json").read_text())["hardware"]
        assert hardware["assigned"]["by"] == "ray"
        assert hardware["assigned"]["cpus"] == 1 and hardware["assigned"]["gpus"] == []
        assert hardware["torch_threads"] == 1


@pytest.mark.slow
def test_a_failing_ray_job_is_recorded_and_a_rerun_retries_only_it(ray_sweep) -> None:
    first, again = ray_sweep["first"], ray_sweep["again"]
    assert [job["status"] for job in first] == ["completed", "failed", "completed"]
    assert "TrainingDiverged" in first[1]["error"]
    assert [job["attempts"] for job in again] == [1, 2, 1]
    assert [job["status"] for job in again] == ["completed", "failed", "completed"]
    assert not ray_sweep["left_running"], "the sweep's local Ray was not shut down"
