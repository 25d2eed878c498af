"""A Hydra sweeper that searches with Optuna and keeps its study in the sweep folder.

Written for t5mt instead of hydra-optuna-sweeper, which pins Optuna below 3.0 (whose SQLite
storage no longer works with SQLAlchemy 2). `n_trials` counts the trials of the whole study:
re-running a sweep into its folder (`hydra.sweep.dir=<sweep>`) loads the study, keeps its
trials and runs only the missing ones, each trial in the job folder of its trial number.
"""

import functools
import logging
import math
from pathlib import Path
from typing import Any

import optuna
from hydra.core.plugins import Plugins
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

from t5mt.optuna_study import (
    default_location,
    grid,
    open_study,
    save_best,
    search_space,
    tell,
    trial_overrides,
)

log = logging.getLogger(__name__)


class OptunaSweeper(Sweeper):
    """`hydra/sweeper=t5mt_optuna`: an ask-and-tell loop over batches of `n_jobs` trials, each
    batch run in parallel by the configured launcher."""

    def __init__(
        self,
        sampler: functools.partial,
        direction: str,
        storage: str | None,
        study_name: str | None,
        n_trials: int,
        n_jobs: int,
        params: DictConfig | None,
    ) -> None:
        self.sampler = sampler  # the sampler's class with its arguments (_partial_: true)
        self.direction = direction
        self.storage = storage
        self.study_name = study_name
        self.n_trials = n_trials
        self.n_jobs = n_jobs
        self.params = params or {}

    def setup(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        self.config = config
        self.launcher = Plugins.instance().instantiate_launcher(
            config=config, hydra_context=hydra_context, task_function=task_function
        )

    def sweep(self, arguments: list[str]) -> Any:
        sweep_dir = Path(self.config.hydra.sweep.dir)
        distributions, fixed = search_space(
            [f"{key}={value}" for key, value in self.params.items()] + list(arguments)
        )
        n_trials = self.n_trials
        if self.sampler.func is optuna.samplers.GridSampler:
            space = grid(distributions)
            sampler = self.sampler(search_space=space)
            n_trials = min(n_trials, math.prod(len(values) for values in space.values()))
        else:
            sampler = self.sampler()
        storage, name = default_location(sweep_dir, self.storage, self.study_name)
        study = open_study(storage, name, sampler, self.direction)
        earlier = len(study.trials)
        log.info(
            "study %s in %s: %d earlier trials, %d to run",
            name,
            storage,
            earlier,
            max(0, n_trials - earlier),
        )
        while (to_go := n_trials - len(study.trials)) > 0:
            trials = [study.ask(distributions) for _ in range(min(self.n_jobs, to_go))]
            jobs = self.launcher.launch(
                [trial_overrides(trial, fixed) for trial in trials],
                initial_job_idx=trials[0].number,  # job folder = trial number
            )
            for trial, job in zip(trials, jobs, strict=True):
                tell(study, trial, job)
        save_best(study, sweep_dir / "optimization_results.yaml")
        return None
