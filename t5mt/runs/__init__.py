"""The run folder: the contract between training and every command that reads a run.

<run>/
  .hydra/config.yaml, overrides.yaml   resolved config and command-line overrides (Hydra)
  run.json                             status, seed, start and end time, attempts
  reproducibility.json                 git commit, packages, hardware, data fingerprint, config
  git.diff                             uncommitted changes of the code, when the tree was dirty
  train.log                            the log
  metrics.csv, hparams.yaml            per-step metrics (CSV logger)
  model_config.json                    the T5 architecture (rebuilds the network offline)
  tokenizer/                           the tokenizer the model was trained with
  checkpoints/best.ckpt, last.ckpt     best by validation BLEU, and the latest
  results.json                         validation and test scores with sacreBLEU signatures
  samples.txt                          source / reference / hypothesis of test sentences
"""

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from t5mt.errors import RunFolderError


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so that readers see the old file or the new one, never a partial one."""
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file so that readers see the old file or the new one, never a partial one."""
    with atomic_file(path) as file:
        file.write(text)


@contextmanager
def atomic_file(path: Path, mode: str = "w") -> Iterator[IO]:
    """A temporary file beside `path` that replaces it, flushed to disk, in one rename when the
    block ends without an error; on an error it is removed and `path` is left as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    encoding = None if "b" in mode else "utf-8"
    try:
        with os.fdopen(handle, mode, encoding=encoding) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)  # mkstemp creates 0600; results are meant to be shared
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from `path`, or an empty dict when the file does not exist.

    A malformed file raises RunFolderError naming it.
    """
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise RunFolderError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise RunFolderError(f"{path}: expected a JSON object, found {type(data).__name__}")
    return data


def now() -> str:
    """The current UTC time in ISO 8601."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class RunFolder:
    """Paths of one run folder (see the module docstring for the layout)."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / ".hydra" / "config.yaml"

    @property
    def overrides(self) -> Path:
        return self.root / ".hydra" / "overrides.yaml"

    @property
    def hydra_files(self) -> tuple[Path, Path]:
        """The files Hydra writes at every start: the composed config and the overrides."""
        return (self.config, self.overrides)

    @property
    def reproducibility(self) -> Path:
        return self.root / "reproducibility.json"

    @property
    def git_diff(self) -> Path:
        return self.root / "git.diff"

    @property
    def status_file(self) -> Path:
        return self.root / "run.json"

    @property
    def model_config(self) -> Path:
        return self.root / "model_config.json"

    @property
    def tokenizer_dir(self) -> Path:
        return self.root / "tokenizer"

    @property
    def checkpoints_dir(self) -> Path:
        return self.root / "checkpoints"

    def last_checkpoint(self) -> Path | None:
        """checkpoints/last.ckpt, the one a resumed run continues from, if the run has one."""
        last = self.checkpoints_dir / "last.ckpt"
        return last if last.is_file() else None

    @property
    def metrics_csv(self) -> Path:
        return self.root / "metrics.csv"

    @property
    def results(self) -> Path:
        return self.root / "results.json"

    @property
    def samples(self) -> Path:
        return self.root / "samples.txt"

    def read_status(self) -> dict[str, Any]:
        """run.json, or an empty dict if the run has not started."""
        return read_json(self.status_file)

    def read_reproducibility(self) -> dict[str, Any]:
        """reproducibility.json, or an empty dict for runs that have none."""
        return read_json(self.reproducibility)

    def update_status(self, **fields: Any) -> None:
        """Merge `fields` into run.json atomically."""
        write_json_atomic(self.status_file, {**self.read_status(), **fields})


def format_samples(sources: list[str], references: list[str], hypotheses: list[str]) -> str:
    """Source / reference / hypothesis blocks, one per sentence, for samples.txt."""
    blocks = [
        f"SRC {source}\nREF {reference}\nHYP {hypothesis}\n"
        for source, reference, hypothesis in zip(sources, references, hypotheses, strict=True)
    ]
    return "\n".join(blocks)
