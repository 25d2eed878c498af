"""`python -m t5mt.serve run=<run folder> [host=... port=... workers=...]`: start uvicorn."""

import os

import hydra
import uvicorn
from omegaconf import DictConfig

from t5mt.cli import reported_errors
from t5mt.serve.settings import SETTINGS_ENV, settings_from_config


def serve(cfg: DictConfig) -> None:
    """Check the run folder, then serve it until SIGTERM or Ctrl-C (in-flight requests finish)."""
    settings = settings_from_config(cfg)
    os.environ[SETTINGS_ENV] = settings.to_json()
    uvicorn.run(
        "t5mt.serve.app:app_from_environment",
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
