"""RunFolder: the paths of a run folder, what makes a folder one, and its records."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from t5mt.errors import RunFolderError
from t5mt.run_folder.config import read_overrides
from t5mt.run_folder.files import read_json, write_json_atomic

# ckpt=average averages every kept checkpoint, ckpt=average:N the last N
AVERAGE = "average"


@dataclass(frozen=True)
class RunFolder:
    """Paths of one run folder (the layout is in t5mt.run_folder's docstring).

    A folder is a run when it holds `.hydra/config.yaml`, which Hydra writes before anything
    else; every other file appears as the run goes on.
    """

    root: Path

    @classmethod
    def at(cls, path: str | Path, needs_model: bool = False) -> "RunFolder":
        """The run folder at `path`; RunFolderError when it is none (or, with `needs_model`,
        holds no trained model to load)."""
        run = cls(Path(path))
        if not run.root.is_dir():
            raise RunFolderError(f"'{path}' is not a folder")
        required = [run.config, *((run.model_config, run.tokenizer_dir) if needs_model else ())]
        for item in required:
            if not item.exists():
                raise RunFolderError(
                    f"'{path}' is not a t5mt run folder: it has no {item.relative_to(run.root)}"
                )
        return run

    def is_run(self) -> bool:
        """Whether the folder holds a run (see the class docstring)."""
        return self.config.is_file()

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
    def heartbeat_file(self) -> Path:
        return self.root / "heartbeat.json"

    @property
    def log_file(self) -> Path:
        return self.root / "train.log"

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
    def metrics_csv(self) -> Path:
        return self.root / "metrics.csv"

    @property
    def results(self) -> Path:
        return self.root / "results.json"

    @property
    def samples(self) -> Path:
        return self.root / "samples.txt"

    def val_samples(self, step: int) -> Path:
        """The validation samples written at training step `step`."""
        return self.root / "samples" / f"val-step-{step:07d}.txt"

    @property
    def kept_dir(self) -> Path:
        """The last N validations' checkpoints (`callbacks.keep_last.n`), named by step."""
        return self.checkpoints_dir / "kept"

    @property
    def average_checkpoint(self) -> Path:
        """Where `python -m t5mt.average` writes the average of the kept checkpoints."""
        return self.checkpoints_dir / "average.ckpt"

    @property
    def test_hypotheses(self) -> Path:
        """The model's translation of every scored test sentence, one per line, beside test.src
        and test.ref (see t5mt.run_folder.scored)."""
        return self.root / "test.hyp"

    def read_config(self) -> dict[str, Any]:
        """The config as Hydra saved it, interpolations unresolved (so that each run's own
        folder, `${paths.run_dir}`, is no difference between runs)."""
        try:
            config = OmegaConf.to_container(OmegaConf.load(self.config), resolve=False)
        except (yaml.YAMLError, OmegaConfBaseException) as error:
            raise RunFolderError(f"{self.config}: not a readable config ({error})") from None
        return config if isinstance(config, dict) else {}

    def checkpoint(self, name: str = "best") -> Path:
        """`best`, `last`, or a path to a .ckpt file; the error lists what the run has."""
        path = self.checkpoints_dir / f"{name}.ckpt" if name in ("best", "last") else Path(name)
        if not path.is_file():
            present = sorted(p.name for p in self.checkpoints_dir.glob("*.ckpt"))
            raise RunFolderError(
                f"no checkpoint '{path}' (checkpoints in {self.root}: {present or 'none'})"
            )
        return path

    def kept_checkpoints(self) -> list[Path]:
        """The kept checkpoints, oldest first (their names hold the zero-padded step)."""
        return sorted(self.kept_dir.glob("step-*.ckpt"))

    def checkpoint_files(self, ckpt: str = "best") -> list[Path]:
        """The files whose weights `ckpt` means: one for `best`, `last` or a path; the last N
        kept checkpoints for `average:N`, all of them for `average`. The one place that
        resolves a command's `ckpt=`."""
        if ckpt != AVERAGE and not ckpt.startswith(f"{AVERAGE}:"):
            return [self.checkpoint(ckpt)]
        kept = self.kept_checkpoints()
        count = _average_count(ckpt) or len(kept)
        if not kept:
            raise RunFolderError(
                f"no kept checkpoints to average in {self.kept_dir} (train with "
                "callbacks.keep_last.n=5 to keep those of the last 5 validations)"
            )
        if len(kept) < count:
            raise RunFolderError(
                f"averaging the last {count} checkpoints needs as many kept ones, but "
                f"{self.kept_dir} has {len(kept)} (train with callbacks.keep_last.n={count} "
                "to keep them)"
            )
        return kept[-count:]

    def last_checkpoint(self) -> Path | None:
        """checkpoints/last.ckpt, the one a resumed run continues from, if the run has one."""
        last = self.checkpoints_dir / "last.ckpt"
        return last if last.is_file() else None

    def read_overrides(self) -> tuple[str, ...]:
        """The command-line overrides Hydra recorded for the run."""
        return read_overrides(self.overrides)

    def read_status(self) -> dict[str, Any]:
        """run.json, or an empty dict if the run has not started."""
        return read_json(self.status_file)

    def read_results(self) -> dict[str, Any]:
        """results.json, or an empty dict until the run has finished."""
        return read_json(self.results)

    def read_reproducibility(self) -> dict[str, Any]:
        """reproducibility.json, or an empty dict for runs that have none."""
        return read_json(self.reproducibility)

    def update_status(self, **fields: Any) -> None:
        """Merge `fields` into run.json atomically."""
        write_json_atomic(self.status_file, {**self.read_status(), **fields})


def _average_count(ckpt: str) -> int | None:
    """N of `average:N` (None for plain `average`); RunFolderError unless N is a positive int."""
    _, _, number = ckpt.partition(":")
    if not number:
        return None
    if not number.isdigit() or int(number) < 1:
        raise RunFolderError(f"ckpt={ckpt}: N of average:N must be a positive whole number")
    return int(number)
