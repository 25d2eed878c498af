"""How a training job ends: a single run reports a known error as one line, and a failing job
of a `-m` sweep is logged while the sweep goes on."""

import logging
from collections.abc import Callable

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode

from t5mt.cli import reported_errors

log = logging.getLogger(__name__)


def run_job(train: Callable[[], float | None], name: str) -> float | None:
    """Call `train` (the job called `name`, its run folder) and return its score.

    In a sweep, a failing job (NaN loss, out of memory, a bad combination) has recorded the
    failure in its own folder: the basic sweeper gets NaN and goes on (it would stop at an
    exception), Optuna gets the exception and marks the trial failed (it rejects NaN).
    """
    hydra = HydraConfig.get()
    if hydra.mode != RunMode.MULTIRUN:
        with reported_errors():
            return train()
    try:
        return train()
    except Exception:
        log.exception("job failed: %s", name)
        if "optuna" in hydra.sweeper._target_:
            raise
        return float("nan")
