"""The container images and the cloud route, checked offline (no Docker engine runs here).

Dockerfiles: hadolint, and every path they copy is in the build context. Dockerfile.train: its
commands are those of docs/deploy.md, and their overrides compose. cloudbuild.yaml and the Vertex
AI job spec: they name the same image, run the image's entrypoint and pass overrides that compose.
"""

import json
import re
import shlex
import subprocess
from fnmatch import fnmatch
from pathlib import Path

import pytest
import yaml
from dvc.config import Config
from hydra import compose, initialize_config_dir

from tests.conftest import CONF, REPO

DOCKERFILES = sorted(REPO.glob("Dockerfile.*"))
TRAIN = REPO / "Dockerfile.train"
DEPLOY_DOC = (REPO / "docs" / "deploy.md").read_text()


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order; comments dropped, continuation lines joined."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(maxsplit=1)[0].upper(), line.split(maxsplit=1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def exec_form(arguments: str) -> list[str]:
    return json.loads(arguments)


def dockerignored(path: str) -> bool:
    """Whether a .dockerignore pattern (without wildcards across `/`) leaves `path` out."""
    patterns = [
        line.strip().strip("/").removeprefix("**/")
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith(("#", "!"))
    ]
    parts = Path(path).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(fnmatch(prefix, pattern) for prefix in prefixes for pattern in patterns)


def compose_overrides(overrides: list[str]) -> None:
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        compose("config", overrides=overrides, return_hydra_config=True)


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.name)
def test_hadolint_passes(dockerfile: Path) -> None:
    result = subprocess.run(["hadolint", dockerfile.name], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.name)
def test_every_copied_path_is_in_the_build_context(dockerfile: Path) -> None:
    copies = [args for name, args in instructions(dockerfile) if name in ("COPY", "ADD")]
    assert copies
    for arguments in copies:
        words = [w for w in shlex.split(arguments) if not w.startswith("--")]
        for source in words[:-1]:
            if "$" in source:  # named by a build argument: checked where the image is built
                continue
            assert (REPO / source).exists(), f"{dockerfile.name} copies {source}: no such path"
            assert not dockerignored(source), f"{dockerfile.name} copies {source}: .dockerignore"


def test_the_training_image_runs_the_train_entrypoint_with_its_volumes() -> None:
    steps = dict(instructions(TRAIN))
    assert exec_form(steps["ENTRYPOINT"]) == ["python", "-m", "t5mt.train"]
    assert "CMD" not in steps  # arguments are Hydra overrides only
    assert set(exec_form(steps["VOLUME"])) == {"/app/outputs", "/app/data"}
    assert steps["WORKDIR"] == "/app"
    assert re.match(r"pytorch/pytorch:[\d.]+-cuda[\d.]+-cudnn\d+-runtime$", steps["FROM"])


def test_the_docs_have_the_training_image_commands_and_they_fit_it() -> None:
    header = [line[1:].strip() for line in TRAIN.read_text().splitlines() if line.startswith("#")]
    commands = [line for line in header if line.startswith("docker ")]
    assert len(commands) == 2
    for command in commands:
        assert command in DEPLOY_DOC, f"docs/deploy.md lacks: {command}"
    build, run = (shlex.split(command) for command in commands)
    assert build[build.index("-f") + 1] == TRAIN.name
    image = build[build.index("-t") + 1]
    volumes = {run[i + 1].split(":")[1] for i, word in enumerate(run) if word == "-v"}
    assert volumes == set(exec_form(dict(instructions(TRAIN))["VOLUME"]))
    overrides = run[run.index(image) + 1 :]
    assert overrides == ["trainer=gpu", "optim.lr=1e-3"]
    compose_overrides(overrides)


def load_yaml(name: str) -> dict:
    return yaml.safe_load((REPO / name).read_text())


def train_image_of_cloud_build() -> str:
    """The training image that cloudbuild.yaml pushes, its substitutions at their defaults."""
    build = load_yaml("cloudbuild.yaml")
    substitutions = {**build["substitutions"], "PROJECT_ID": "PROJECT_ID"}
    image = substitutions["_TRAIN_IMAGE"]
    for name, value in substitutions.items():
        image = image.replace(f"${{{name}}}", str(value))
    steps = {step["id"]: step for step in build["steps"]}
    assert "--file=Dockerfile.train" in steps["build-train"]["args"]
    assert "--tag=${_TRAIN_IMAGE}:latest" in steps["build-train"]["args"]
    assert steps["push-train"]["args"] == ["push", "--all-tags", "${_TRAIN_IMAGE}"]
    return image


def test_vertex_job_runs_the_pushed_training_image_on_one_gpu() -> None:
    (pool,) = load_yaml("vertex/train-job.yaml")["workerPoolSpecs"]
    assert pool["replicaCount"] == 1 and pool["machineSpec"]["acceleratorCount"] == 1
    container = pool["containerSpec"]
    assert container["imageUri"] == f"{train_image_of_cloud_build()}:latest"
    shell, flag, script, name = container["command"]
    entrypoint = shlex.join(exec_form(dict(instructions(TRAIN))["ENTRYPOINT"]))
    assert (shell, flag, name) == ("sh", "-c", "t5mt-train")
    assert script.endswith(f'exec {entrypoint} "$@"')
    assert "python -m t5mt.gcs_auth gcs && dvc pull -r gcs data.dvc &&" in script


def test_vertex_job_reads_dvc_data_and_writes_runs_to_the_remote_bucket() -> None:
    args = load_yaml("vertex/train-job.yaml")["workerPoolSpecs"][0]["containerSpec"]["args"]
    compose_overrides(args)
    settings = dict(arg.split("=", 1) for arg in args)
    assert settings["data"] == "prepared" and settings["trainer"] == "gpu"
    tracked = [out["path"] for out in load_yaml("data.dvc")["outs"]]
    assert Path(settings["data.path"]).parts[0] in tracked
    bucket = Config(dvc_dir=str(REPO / ".dvc"))["remote"]["gcs"]["url"].split("/")[2]
    assert settings["hydra.run.dir"].startswith(f"/gcs/{bucket}/outputs/")
    copied = [args for name, args in instructions(TRAIN) if name == "COPY"]
    assert any("data.dvc" in args for args in copied)
