"""The Optuna side of `sweep=optuna`: the search space of Hydra's sweep overrides, and a study
kept in the sweep folder, so that re-running the sweep continues it."""

import logging
import math
from pathlib import Path
from typing import Any

import optuna
import yaml
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import IntervalSweep, Override, Transformer
from hydra.core.utils import JobReturn
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.trial import TrialState

from t5mt.errors import ConfigError
from t5mt.run_folder.files import write_text_atomic

log = logging.getLogger(__name__)

STORAGE_FILE = "optuna.db"


def search_space(overrides: list[str]) -> tuple[dict[str, BaseDistribution], list[str]]:
    """Optuna distributions of the sweep overrides — `choice(...)`, `range(...)`,
    `interval(a, b)` and `tag(log, interval(a, b))` — and the other overrides, which every trial
    gets as they are."""
    distributions: dict[str, BaseDistribution] = {}
    fixed: list[str] = []
    for override in OverridesParser.create().parse_overrides(overrides):
        if override.is_sweep_override():
            distributions[override.get_key_element()] = _distribution(override)
        else:
            fixed.append(override.input_line or "")
    return distributions, fixed


def _distribution(override: Override) -> BaseDistribution:
    if override.is_interval_sweep():
        interval = override.value()
        assert isinstance(interval, IntervalSweep)
        log_scale = "log" in interval.tags
        if isinstance(interval.start, int) and isinstance(interval.end, int):
            return IntDistribution(interval.start, interval.end, log=log_scale)
        return FloatDistribution(float(interval.start), float(interval.end), log=log_scale)
    # choice(...) and range(...): the listed values
    return CategoricalDistribution(list(override.sweep_iterator(transformer=Transformer.encode)))


def grid(distributions: dict[str, BaseDistribution]) -> dict[str, list[Any]]:
    """The search space of Optuna's GridSampler: every parameter's values."""
    for name, distribution in distributions.items():
        if not isinstance(distribution, CategoricalDistribution):
            raise ConfigError(
                f"hydra.sweeper.params.{name}: the grid sampler needs choice(...) or range(...)"
            )
    return {name: list(d.choices) for name, d in distributions.items()}  # type: ignore[attr-defined]


def trial_overrides(trial: optuna.trial.Trial, fixed: list[str]) -> list[str]:
    """The overrides of one trial's job: the fixed ones and the trial's suggested values."""
    return [*fixed, *(f"{name}={Transformer.str(value)}" for name, value in trial.params.items())]


def default_location(sweep_dir: Path, storage: str | None, name: str | None) -> tuple[str, str]:
    """The storage URL and study name to use: by default an SQLite file in the sweep folder and
    the sweep folder's name."""
    sweep_dir.mkdir(parents=True, exist_ok=True)
    url = storage or f"sqlite:///{(sweep_dir / STORAGE_FILE).resolve()}"
    return url, name or sweep_dir.resolve().name


def open_study(
    storage: str, name: str, sampler: optuna.samplers.BaseSampler, direction: str
) -> optuna.Study:
    """Create the study, or load it to continue; a trial still `running` in it was interrupted
    with its sweep (the sweep runs its trials to the end) and is marked failed."""
    study = optuna.create_study(
        storage=storage, study_name=name, sampler=sampler, direction=direction, load_if_exists=True
    )
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        log.warning("trial %d was interrupted with its sweep: marked failed", trial.number)
        study.tell(trial.number, state=TrialState.FAIL)
    return study


def tell(study: optuna.Study, trial: optuna.trial.Trial, job: JobReturn) -> None:
    """Record a job's score as its trial's value, or the trial as failed when the job failed or
    has no finite score."""
    try:
        value = float(job.return_value)
    except Exception as error:  # the job's own exception, raised again by JobReturn
        log.warning("trial %d failed: %s", trial.number, error)
        study.tell(trial, state=TrialState.FAIL)
        return
    if not math.isfinite(value):
        log.warning("trial %d failed: its score is %s", trial.number, value)
        study.tell(trial, state=TrialState.FAIL)
        return
    study.tell(trial, value)


def save_best(study: optuna.Study, path: Path) -> None:
    """Write the best trial's parameters and value (`optimization_results.yaml`)."""
    completed = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not completed:
        log.warning("no trial of study %s completed: no best parameters", study.study_name)
        return
    best = study.best_trial
    results = {
        "name": "optuna",
        "study": study.study_name,
        "best_trial": best.number,
        "best_params": best.params,
        "best_value": best.value,
    }
    write_text_atomic(path, yaml.safe_dump(results, sort_keys=False))
