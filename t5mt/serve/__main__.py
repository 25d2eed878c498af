"""`python -m t5mt.serve run=<run folder> [host=... port=... workers=...]`: start uvicorn."""

import os

# The server translates with what the run folder holds; it never fetches from the Hub. Set before
# transformers and huggingface_hub are imported: they read it at import time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import hydra
import uvicorn
from omegaconf import DictConfig

from t5mt.cli import reported_errors
from t5mt.serve.settings import SETTINGS_ENV, settings_from_config

# prometheus-client's multiprocess mode: read when it is first imported (by the workers' app)
METRICS_ENV = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def metrics_folder(folder: str | None) -> Iterator[str]:
    """Where the workers write their metrics: `folder` emptied of old values, or a new one."""
    if folder is None:
        with tempfile.TemporaryDirectory(prefix="t5mt-metrics-") as new:
            yield new
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for old in Path(folder).glob("*.db"):  # counters of a previous server would be summed in
        old.unlink()
    yield folder


def serve(cfg: DictConfig) -> None:
    """Check the run folder, then serve it until SIGTERM or Ctrl-C (in-flight requests finish)."""
    settings = settings_from_config(cfg)
    os.environ[SETTINGS_ENV] = settings.to_json()
    with metrics_folder(cfg.metrics_dir) as folder:
        os.environ[METRICS_ENV] = folder
        uvicorn.run(
            "t5mt.serve.worker:app_from_environment",
            factory=True,
            host=cfg.host,
            port=int(cfg.port),
            workers=cfg.workers,
            timeout_graceful_shutdown=cfg.graceful_timeout_s,
        )


@hydra.main(version_base="1.3", config_path="../../conf", config_name="serve")
def main(cfg: DictConfig) -> None:
    """Hydra entrypoint."""
    with reported_errors():
        serve(cfg)


if __name__ == "__main__":
    main()
