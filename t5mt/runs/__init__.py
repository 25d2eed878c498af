"""The run folder: the contract between training and every command that reads a run.

<run>/
  .hydra/config.yaml, overrides.yaml   resolved config and command-line overrides (Hydra)
  run.json                             status, seed, start and end time
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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so that readers see the old file or the new one, never a partial one."""
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file through a temporary file in the same folder and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.fchmod(handle, 0o644)  # mkstemp creates 0600; results are meant to be shared
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


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

    @property
    def results(self) -> Path:
        return self.root / "results.json"

    @property
    def samples(self) -> Path:
        return self.root / "samples.txt"

    def read_status(self) -> dict[str, Any]:
        """run.json, or an empty dict if the run has not started."""
        if not self.status_file.exists():
            return {}
        return json.loads(self.status_file.read_text(encoding="utf-8"))

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
