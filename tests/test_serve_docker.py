"""Dockerfile.serve and its Cloud Build step (hadolint and the build context: tests/test_docker.py).

What the serving image copies from a run folder is enough to translate; it serves that copy on
$PORT as a non-root user; cloudbuild.yaml builds and pushes it.
"""

import shlex
import shutil
from pathlib import Path

import pytest
import yaml
from hydra import compose, initialize_config_dir

from t5mt.inference import load_translator
from tests.conftest import CONF, REPO
from tests.test_docker import exec_form, instructions

SERVE = REPO / "Dockerfile.serve"
RUN_ARG = "${RUN}"


def run_folder_copies() -> list[tuple[str, str]]:
    """(path inside the run folder, destination) of each COPY from the RUN build argument."""
    copies = []
    for name, arguments in instructions(SERVE):
        words = shlex.split(arguments)
        if name == "COPY" and words[0].startswith(RUN_ARG):
            copies.append((words[0].removeprefix(RUN_ARG).strip("/"), words[1]))
    return copies


@pytest.mark.slow
def test_the_run_folder_part_it_copies_is_enough_to_translate(
    debug_run: Path, tmp_path: Path
) -> None:
    workdir = tmp_path / "app"
    for source, destination in run_folder_copies():
        path, copy = debug_run / source, workdir / destination
        assert path.exists(), f"a run folder has no {source}"
        if path.is_dir():
            shutil.copytree(path, copy)
        else:
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, copy)
    sentences = ["The dog sleeps.", "We help the children."]
    assert load_translator(workdir / "run").translate(sentences) == load_translator(
        debug_run
    ).translate(sentences)


def test_it_serves_the_copied_run_on_port_as_non_root(monkeypatch) -> None:
    steps = dict(instructions(SERVE))
    assert steps["FROM"].endswith("-slim")
    assert steps["WORKDIR"] == "/app"
    assert steps["USER"] not in ("root", "0")
    command = exec_form(steps["CMD"])
    assert command[:3] == ["python", "-m", "t5mt.serve"]
    assert {"run=/app/run", "host=0.0.0.0"} <= set(command)
    assert all(dest.startswith("run/") for _, dest in run_folder_copies())
    # the port comes from $PORT, which Cloud Run sets
    monkeypatch.setenv("PORT", "9123")
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(config_name="serve", overrides=command[3:])
    assert int(cfg.port) == 9123 and cfg.run == "/app/run"


def test_cloudbuild_builds_and_pushes_the_serving_image() -> None:
    build = yaml.safe_load((REPO / "cloudbuild.yaml").read_text(encoding="utf-8"))
    steps = {step["id"]: step for step in build["steps"]}
    assert "--file=Dockerfile.serve" in steps["build-serve"]["args"]
    assert "--build-arg=RUN=${_RUN}" in steps["build-serve"]["args"]
    assert "--tag=${_SERVE_IMAGE}:latest" in steps["build-serve"]["args"]
    assert steps["push-serve"]["args"] == ["push", "--all-tags", "${_SERVE_IMAGE}"]
    assert steps["push-serve"]["waitFor"] == ["build-serve"]
