"""The run-folder contract: unique new folders, liveness, config differences, the corpus
fingerprint, and what counts as a run folder."""

import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import pytest

from t5mt.data.prepared import fingerprint
from t5mt.errors import RunFolderError
from t5mt.run_folder import (
    Heartbeat,
    RunFolder,
    config_differences,
    corpus_fingerprint,
    latest_run,
    new_run_dir,
    run_state,
    this_process,
    write_json_atomic,
)


def test_a_taken_folder_gives_the_next_run_a_numbered_one(tmp_path: Path) -> None:
    base = str(tmp_path / "outputs/2026-12-02/10-00-00")
    Path(base).mkdir(parents=True)
    (Path(base) / "run.json").write_text("{}")
    claimed = new_run_dir(base)
    assert claimed == base + "-2" and Path(claimed).is_dir()
    # Hydra resolves its run directory more than once: the same process keeps its folder
    assert new_run_dir(base) == claimed
    assert sorted(p.name for p in Path(base).parent.iterdir()) == ["10-00-00", "10-00-00-2"]


def test_processes_claiming_the_same_name_at_once_get_distinct_folders(tmp_path: Path) -> None:
    base = str(tmp_path / "16-00-00")
    claim = f"from t5mt.run_folder import new_run_dir; print(new_run_dir({base!r}))"
    processes = [
        subprocess.Popen([sys.executable, "-c", claim], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    claimed = [process.communicate(timeout=120)[0].strip() for process in processes]
    assert sorted(claimed) == sorted([base, f"{base}-2", f"{base}-3", f"{base}-4"])


def running_run(tmp_path: Path, **process: object) -> RunFolder:
    run = RunFolder(tmp_path / "run")
    run.config.parent.mkdir(parents=True)
    run.config.write_text("seed: 0\n")
    write_json_atomic(run.status_file, {"status": "running", **this_process(), **process})
    return run


def test_a_running_run_of_a_live_process_is_running(tmp_path: Path) -> None:
    run = running_run(tmp_path)
    heartbeat = Heartbeat(run)
    heartbeat.start()
    try:
        state = run_state(run)
    finally:
        heartbeat.stop()
    assert state.status == "running" and state.holder_alive
    assert datetime.now(UTC) - state.heartbeat < timedelta(seconds=5)


def test_a_running_run_whose_process_is_gone_crashed(tmp_path: Path) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    run = running_run(tmp_path, pid=int(gone.stdout))
    write_json_atomic(run.heartbeat_file, {"time": "2026-12-02T10:00:00+00:00"})
    state = run_state(run)
    assert state.status == "crashed" and not state.holder_alive
    assert state.heartbeat == datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def test_a_reused_process_id_does_not_keep_a_crashed_run_alive(tmp_path: Path) -> None:
    # this process's pid, but the run's process started a minute earlier: another process
    run = running_run(tmp_path, process_started=psutil.Process().create_time() - 60)
    assert run_state(run).status == "crashed"


@pytest.mark.parametrize(("age_seconds", "status"), [(5, "running"), (600, "crashed")])
def test_a_run_on_another_host_is_judged_by_its_heartbeat(
    tmp_path: Path, age_seconds: int, status: str
) -> None:
    run = running_run(tmp_path, host=f"not-{socket.gethostname()}", pid=1)
    beat = datetime.now(UTC) - timedelta(seconds=age_seconds)
    write_json_atomic(run.heartbeat_file, {"time": beat.isoformat(timespec="seconds")})
    assert run_state(run).status == status


def test_finished_runs_keep_their_recorded_status(tmp_path: Path) -> None:
    run = running_run(tmp_path, pid=os.getpid())
    for recorded in ("completed", "failed"):
        run.update_status(status=recorded)
        assert run_state(run).status == recorded


def test_config_differences_tell_an_absent_key_from_null() -> None:
    old = {"optim": {"lr": 1e-3, "warmup": None}, "seed": 0}
    new = {"optim": {"lr": 2e-3}, "seed": 0, "extra": None}
    assert config_differences(old, new) == ["extra", "optim.lr", "optim.warmup"]
    assert config_differences(old, old) == []


def test_the_fingerprint_is_the_same_for_pairs_and_for_a_dataset_dict(tiny_corpus) -> None:
    pairs = {split: list(tiny_corpus[split]["translation"]) for split in tiny_corpus}
    assert corpus_fingerprint(pairs) == fingerprint(tiny_corpus)
    pairs["test"] = pairs["test"][:-1]
    assert corpus_fingerprint(pairs) != fingerprint(tiny_corpus)


def test_a_folder_without_hydra_config_is_not_a_run(tmp_path: Path) -> None:
    with pytest.raises(RunFolderError, match=r"is not a t5mt run folder: it has no \.hydra"):
        RunFolder.at(tmp_path)
    with pytest.raises(RunFolderError, match="is not a folder"):
        RunFolder.at(tmp_path / "missing")
    run = running_run(tmp_path)
    assert RunFolder.at(run.root).is_run()
    with pytest.raises(RunFolderError, match=r"it has no model_config\.json"):
        RunFolder.at(run.root, needs_model=True)


def test_latest_is_the_most_recently_started_run(tmp_path: Path) -> None:
    for name, started in (("a", "2026-01-02T00:00:00+00:00"), ("b", "2026-01-01T00:00:00+00:00")):
        run = RunFolder(tmp_path / name)
        run.config.parent.mkdir(parents=True)
        run.config.write_text("{}")
        run.status_file.write_text(json.dumps({"started": started}))
    assert latest_run(tmp_path).root == tmp_path / "a"
    with pytest.raises(RunFolderError, match="there are no runs under"):
        latest_run(tmp_path / "a" / ".hydra")


def test_ckpt_names_resolve_to_checkpoint_files(tmp_path: Path) -> None:
    run = RunFolder(tmp_path)
    run.kept_dir.mkdir(parents=True)
    (run.checkpoints_dir / "best.ckpt").touch()
    assert run.checkpoint_files("best") == [run.checkpoints_dir / "best.ckpt"]
    with pytest.raises(RunFolderError, match="no kept checkpoints to average"):
        run.checkpoint_files("average")
    for step in (900, 1000, 1100):
        (run.kept_dir / f"step-{step:07d}.ckpt").touch()
    assert [p.name for p in run.checkpoint_files("average:2")] == [
        "step-0001000.ckpt",
        "step-0001100.ckpt",
    ]
    assert len(run.checkpoint_files("average")) == 3
    with pytest.raises(RunFolderError, match="averaging the last 4 checkpoints"):
        run.checkpoint_files("average:4")
    with pytest.raises(RunFolderError, match="must be a positive whole number"):
        run.checkpoint_files("average:0")
