"""What a run's reproducibility record holds: code version, packages, hardware, data and seed."""

import importlib.metadata
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch

from t5mt.resources import assigned
from t5mt.run_folder import RunFolder

PACKAGES = (
    "t5mt",
    "torch",
    "pytorch-lightning",
    "transformers",
    "datasets",
    "tokenizers",
    "sentencepiece",
    "hydra-core",
    "omegaconf",
    "sacrebleu",
    "numpy",
)
REPO = Path(__file__).resolve().parents[1]


def git_state(repo: Path = REPO) -> dict[str, Any]:
    """Commit and dirty flag of the code's git checkout, plus the diff when it is dirty."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, timeout=30
        ).stdout

    try:
        commit = git("rev-parse", "HEAD").strip()
        diff = git("diff", "HEAD")
        untracked = git("ls-files", "--others", "--exclude-standard").split()
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None, "diff": ""}
    return {
        "commit": commit,
        "dirty": bool(diff or untracked),
        "diff": diff,
        "untracked": untracked,
    }


def package_versions() -> dict[str, str | None]:
    """Installed versions of the packages a run's numbers depend on."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def hardware() -> dict[str, Any]:
    """The machine: platform, CPU, threads torch uses, GPUs, and the CPUs and GPUs the run was
    given (`assigned`: by Ray for a `launcher=ray` job)."""
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpus": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())],
        "assigned": assigned(),
    }


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def reproducibility_record(
    run: RunFolder,
    config: dict[str, Any],
    overrides: list[str],
    seed: int,
    data: dict[str, Any],
    git: dict[str, Any],
    init_from: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The content of reproducibility.json: what it takes to train the run again.

    `data` describes the corpus (fingerprint, pair counts); `git` is `git_state()` less its diff;
    `init_from` the run or folder a fine-tuned run started from (None: from scratch).
    """
    return {
        "seed": seed,
        "init_from": init_from,
        "command": [Path(sys.argv[0]).name, *sys.argv[1:]],
        "overrides": overrides,
        "git": git,
        "packages": package_versions(),
        "hardware": hardware(),
        "data": data,
        "config": config,
        # Hydra's own files, to put back should a later command overwrite them
        "hydra_files": {path.name: path.read_text(encoding="utf-8") for path in run.hydra_files},
    }
