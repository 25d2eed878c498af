"""The reproducibility record of a run: code version, packages, hardware, data and seed."""

import hashlib
import importlib.metadata
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch

from t5mt.runs import RunFolder, write_json_atomic, write_text_atomic

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
    """The machine: platform, CPU, threads torch uses, and GPUs."""
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpus": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())],
    }


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def data_fingerprint(splits: dict[str, list[dict[str, str]]]) -> dict[str, Any]:
    """SHA-256 over every sentence pair of every split, and the pair counts."""
    digest = hashlib.sha256()
    for name in sorted(splits):
        digest.update(name.encode())
        for pair in splits[name]:
            for lang in sorted(pair):
                digest.update(b"\0" + pair[lang].encode())
            digest.update(b"\n")
    return {"sha256": digest.hexdigest(), "pairs": {k: len(v) for k, v in splits.items()}}


def write_record(
    run: RunFolder,
    config: dict[str, Any],
    overrides: list[str],
    seed: int,
    splits: dict[str, list[dict[str, str]]],
) -> dict[str, Any]:
    """Write reproducibility.json (and git.diff when the code has uncommitted changes)."""
    git = git_state()
    diff = git.pop("diff")
    if git["dirty"]:
        write_text_atomic(run.git_diff, diff)
    record = {
        "seed": seed,
        "command": [Path(sys.argv[0]).name, *sys.argv[1:]],
        "overrides": overrides,
        "git": git,
        "packages": package_versions(),
        "hardware": hardware(),
        "data": data_fingerprint(splits),
        "config": config,
        # Hydra's own files, to put back should a later command overwrite them
        "hydra_files": {path.name: path.read_text(encoding="utf-8") for path in run.hydra_files},
    }
    write_json_atomic(run.reproducibility, record)
    return record
