"""Average: `python -m t5mt.average run=<run folder> [n=N]` writes the mean weights of the last N
kept checkpoints (`callbacks.keep_last.n`) to <run>/checkpoints/average.ckpt, atomically.

`evaluate`, `translate`, `serve` and `export` average on the fly with `ckpt=average[:N]`; the
file is for passing one checkpoint on (`ckpt=<run>/checkpoints/average.ckpt`).
"""

import logging
from pathlib import Path

import hydra
from omegaconf import DictConfig

from t5mt.averaging import averaged_checkpoint
from t5mt.checkpoint_io import AtomicCheckpointIO
from t5mt.cli import reported_errors
from t5mt.errors import ConfigError
from t5mt.run_folder import AVERAGE, RunFolder

log = logging.getLogger(__name__)


def average_run(run_root: str | Path, n: int | None = None, output: Path | None = None) -> Path:
    """Write the average of the run's last `n` kept checkpoints (all when None) to `output`
    (default: checkpoints/average.ckpt); returns the file."""
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 1):
        raise ConfigError(f"n={n} must be a positive whole number (or null: every kept one)")
    run = RunFolder.at(run_root)
    paths = run.checkpoint_files(AVERAGE if n is None else f"{AVERAGE}:{n}")
    output = output or run.average_checkpoint
    AtomicCheckpointIO().save_checkpoint(averaged_checkpoint(paths), output)
    log.info("averaged %s into %s", ", ".join(path.name for path in paths), output)
    return output


@hydra.main(version_base="1.3", config_path="../conf", config_name="average")
def main(cfg: DictConfig) -> None:
    """Hydra entrypoint."""
    with reported_errors():
        print(average_run(cfg.run, cfg.n, Path(cfg.output) if cfg.output else None))


if __name__ == "__main__":
    main()
