"""The DVC pipeline and remotes with the real DVC CLI, in a copy of the repository's DVC files.

One `dvc repro` (debug settings from params.yaml) feeds the other tests: metrics and params,
push → fresh clone → pull through the default local remote and through a GCS emulator on
127.0.0.1, and the credentials check of the real GCS remote.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from t5mt.inference import load_translator
from tests.conftest import REPO, run_module
from tests.test_multi30k import refused_port

PIPELINE_FILES = (
    ".dvc/config",
    ".dvc/.gitignore",
    ".dvcignore",
    ".gitignore",
    "dvc.yaml",
    "params.yaml",
)
RUN = Path("models/pipeline")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of every command: this Python first on PATH, no cloud credentials.

    Without credentials, Google's auth libraries look for a metadata server (GCE): point them
    at a closed port on this machine, and at an empty gcloud configuration.
    """
    closed = f"127.0.0.1:{refused_port()}"
    environment = {
        key: value for key, value in os.environ.items() if key != "GOOGLE_APPLICATION_CREDENTIALS"
    }
    return {
        **environment,
        "NO_GCE_CHECK": "true",
        "GCE_METADATA_HOST": closed,
        "GCE_METADATA_IP": closed,
        "CLOUDSDK_CONFIG": str(tmp_path_factory.mktemp("gcloud")),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }


def sh(*command: str, cwd: Path, env: dict[str, str], timeout: float = 120) -> str:
    """Run a command, fail the test with its output if it fails, return its stdout."""
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{command}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def dvc(*args: str, cwd: Path, env: dict[str, str], timeout: float = 120) -> str:
    return sh(sys.executable, "-m", "dvc", *args, cwd=cwd, env=env, timeout=timeout)


def git(*args: str, cwd: Path, env: dict[str, str]) -> str:
    return sh(
        "git", "-c", "user.name=t5mt", "-c", "user.email=t5mt@example.com", *args, cwd=cwd, env=env
    )


def clone(project: Path, name: str, env: dict[str, str]) -> Path:
    """A fresh git clone of the project beside it: no workspace data, no DVC cache."""
    git("clone", "-q", str(project), name, cwd=project.parent, env=env)
    return project.parent / name


def file_contents(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> Path:
    """A git repository with the pipeline's files, reproduced once with `dvc repro`."""
    root = tmp_path_factory.mktemp("dvc") / "project"
    root.mkdir()
    for name in PIPELINE_FILES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, root / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for folder in ("conf", "t5mt"):
        shutil.copytree(REPO / folder, root / folder, ignore=ignore)
    git("init", "-q", cwd=root, env=env)
    started = time.perf_counter()
    dvc("repro", cwd=root, env=env, timeout=900)
    print(f"dvc repro: {time.perf_counter() - started:.0f} s")
    git("add", "-A", cwd=root, env=env)
    git("commit", "-q", "-m", "pipeline", cwd=root, env=env)
    return root


@pytest.mark.slow
def test_repro_runs_prepare_train_evaluate_and_reports_metrics(project, env) -> None:
    stats = json.loads((project / "pipeline/data/stats.json").read_text())
    assert stats["pairs"]["train"] == 400
    config = yaml.safe_load((project / RUN / ".hydra/config.yaml").read_text())
    assert config["data"]["path"] == "pipeline/data"
    assert config["trainer"]["limit_train_batches"] == 5  # trainer=debug from params.yaml
    metrics = json.loads(dvc("metrics", "show", "--json", cwd=project, env=env))
    files = next(iter(metrics.values()))["data"]
    results = files[str(RUN / "results.json")]["data"]
    evaluation = files["pipeline/eval/test.json"]["data"]
    assert "bleu" in results["test"] and evaluation["sentences"] == 40
    assert "Data and pipelines are up to date" in dvc("status", cwd=project, env=env)


@pytest.mark.slow
def test_params_diff_shows_a_changed_setting_and_its_stage(project, env) -> None:
    params = project / "params.yaml"
    original = params.read_text()
    try:
        params.write_text(original.replace("lr: 2e-3", "lr: 1e-3"))
        diff = json.loads(dvc("params", "diff", "--json", cwd=project, env=env))
        change = diff["params.yaml"].pop("train.lr")
        assert (change["old"], change["new"]) == (0.002, 0.001)
        assert diff == {"params.yaml": {}}
        status = dvc("status", "train", cwd=project, env=env)
        assert "modified:" in status and "train" in status
    finally:
        params.write_text(original)


@pytest.mark.slow
def test_push_then_pull_into_a_fresh_clone_through_the_default_local_remote(project, env) -> None:
    dvc("push", cwd=project, env=env)
    # the default remote is a folder beside the repository
    assert any((project.parent / "t5mt-dvc-storage").rglob("*"))
    fresh = clone(project, "fresh", env)
    assert not (fresh / RUN).exists()
    dvc("pull", cwd=fresh, env=env)
    for folder in (RUN, Path("pipeline")):
        assert file_contents(fresh / folder) == file_contents(project / folder)
    assert "up to date" in dvc("status", cwd=fresh, env=env)
    # what a serving image does: load the pulled run and translate with it
    translator = load_translator(fresh / RUN)
    assert isinstance(translator.translate(["The dog sleeps."])[0], str)


@pytest.fixture
def gcs_emulator(env: dict[str, str]) -> Iterator[str]:
    """A Cloud Storage emulator on 127.0.0.1 with one bucket; yields its endpoint URL."""
    port = refused_port()
    command = [
        *(sys.executable, "-m", "gcp_storage_emulator", "start"),
        *("--host=127.0.0.1", f"--port={port}", "--in-memory", "--default-bucket=t5mt-test"),
    ]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "the emulator did not start in 30 s"
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def use_emulator(repo: Path, endpoint: str, env: dict[str, str]) -> None:
    dvc("remote", "modify", "--local", "gcs", "url", "gs://t5mt-test/dvc", cwd=repo, env=env)
    dvc("remote", "modify", "--local", "gcs", "endpointurl", endpoint, cwd=repo, env=env)


@pytest.mark.slow
def test_push_then_pull_through_a_gcs_emulator(project, env, gcs_emulator: str) -> None:
    use_emulator(project, gcs_emulator, env)
    try:
        dvc("push", "-r", "gcs", cwd=project, env=env)
    finally:
        (project / ".dvc/config.local").unlink()
    fresh = clone(project, "fresh-gcs", env)
    use_emulator(fresh, gcs_emulator, env)
    dvc("pull", "-r", "gcs", cwd=fresh, env=env)
    for folder in (RUN, Path("pipeline")):
        assert file_contents(fresh / folder) == file_contents(project / folder)


def test_missing_gcs_credentials_fail_fast_with_a_clear_message(tmp_path: Path, env) -> None:
    (tmp_path / ".dvc").mkdir()
    shutil.copy2(REPO / ".dvc/config", tmp_path / ".dvc/config")
    started = time.monotonic()
    result = run_module("t5mt.gcs_auth", "gcs", cwd=tmp_path, env=env, timeout=60)
    assert time.monotonic() - started < 30
    assert result.returncode == 2
    assert result.stderr.startswith("error: no Google Cloud credentials for DVC remote 'gcs'")
    assert "gcloud auth application-default login" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_emulator_endpoint_needs_no_credentials(tmp_path: Path, env) -> None:
    git("init", "-q", cwd=tmp_path, env=env)
    (tmp_path / ".dvc").mkdir()
    shutil.copy2(REPO / ".dvc/config", tmp_path / ".dvc/config")
    endpoint = "http://127.0.0.1:1"
    dvc("remote", "modify", "--local", "gcs", "endpointurl", endpoint, cwd=tmp_path, env=env)
    result = run_module("t5mt.gcs_auth", cwd=tmp_path, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"the endpoint {endpoint}" in result.stdout


def test_data_dvc_tracks_the_data_folder_which_git_ignores(env) -> None:
    tracked = yaml.safe_load((REPO / "data.dvc").read_text())["outs"]
    assert [out["path"] for out in tracked] == ["data"]
    assert tracked[0]["md5"].endswith(".dir")
    for path in ("data/synthetic/train.parquet", "pipeline/data", "models/pipeline/x"):
        sh("git", "check-ignore", "-q", path, cwd=REPO, env=env)
    assert subprocess.run(["git", "check-ignore", "-q", "models/x.dvc"], cwd=REPO).returncode == 1
