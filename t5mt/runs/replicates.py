"""Replicates: runs whose configs differ only in the seed form a group, reported by the mean,
the spread and a 95% interval of their scores."""

import json
import math
import statistics
from dataclasses import dataclass

from scipy import stats

from t5mt.errors import T5mtError
from t5mt.run_folder import config_differences, flatten, relocated
from t5mt.runs.summary import RunSummary

# The key that replicates differ in (data.corpus.seed, the corpus's own, must be equal).
REPLICATE_KEYS = frozenset({"seed"})
RUN_DIR = "<run folder>"  # what a run's own path reads as, in case a config holds it resolved


@dataclass(frozen=True)
class Spread:
    """Mean, sample standard deviation and a two-sided 95% t interval of the mean."""

    n: int
    mean: float
    std: float | None
    low: float | None
    high: float | None

    def __str__(self) -> str:
        if self.std is None:
            return f"{self.mean:.2f} (n=1)"
        return f"{self.mean:.2f} ± {self.std:.2f} [{self.low:.2f}, {self.high:.2f}]"


def spread(values: list[float]) -> Spread | None:
    """The spread of `values`; None for none; no std or interval for one."""
    if not values:
        return None
    mean = statistics.fmean(values)
    if len(values) == 1:
        return Spread(1, mean, None, None, None)
    std = statistics.stdev(values)
    half = stats.t.ppf(0.975, len(values) - 1) * std / math.sqrt(len(values))
    return Spread(len(values), mean, std, mean - half, mean + half)


@dataclass(frozen=True)
class Group:
    """Runs with the same config but for the seed."""

    label: str  # the values of the keys that set this group apart from the others
    runs: list[RunSummary]

    @property
    def seeds(self) -> list[object]:
        return [run.results.get("seed", run.run.read_status().get("seed")) for run in self.runs]

    def scores(self, split: str) -> list[float]:
        """The BLEU on `split` (val or test) of each run that has one."""
        return [bleu for run in self.runs if (bleu := run.bleu(split)) is not None]

    def spread(self, split: str) -> Spread | None:
        return spread(self.scores(split))


def replicate_key(summary: RunSummary) -> str:
    """What replicates share: the run's saved config without the seed and its own folder, as
    canonical JSON."""
    run = summary.run
    own = relocated(run.read_config(), str(run.root), RUN_DIR)
    config = {key: value for key, value in flatten(own).items() if key not in REPLICATE_KEYS}
    return json.dumps(config, sort_keys=True, default=str)


def group_runs(summaries: list[RunSummary]) -> list[Group]:
    """The runs grouped as replicates, groups in the order of their first run."""
    members: dict[str, list[RunSummary]] = {}
    configs: dict[str, dict] = {}
    for summary in summaries:
        key = replicate_key(summary)
        members.setdefault(key, []).append(summary)
        configs.setdefault(key, json.loads(key))
    distinct = sorted(
        {k for a in configs.values() for b in configs.values() for k in config_differences(a, b)}
    )
    return [Group(_label(configs[key], distinct), runs) for key, runs in members.items()]


def _label(config: dict, keys: list[str]) -> str:
    if not keys:
        return "all runs"
    return " ".join(f"{key}={config.get(key, '(unset)')}" for key in keys)


@dataclass(frozen=True)
class MeanDifference:
    """B's mean minus A's with Welch's 95% interval over the seeds of each group."""

    a: Spread
    b: Spread
    delta: float
    low: float | None
    high: float | None

    def verdict(self) -> str:
        """Better, worse, or no clear difference over the seeds."""
        if self.low is None or self.high is None:
            return "a group has one seed: no interval, no verdict"
        if self.low <= 0 <= self.high:
            return "no clear difference (the 95% interval holds 0)"
        return f"B is {'better' if self.delta > 0 else 'worse'} (the 95% interval excludes 0)"


def mean_difference(a: list[float], b: list[float]) -> MeanDifference:
    """Welch's interval of mean(b) − mean(a); none when a group has fewer than two seeds."""
    spread_a, spread_b = spread(a), spread(b)
    if spread_a is None or spread_b is None:
        raise T5mtError("both groups need at least one run with a score to compare")
    delta = spread_b.mean - spread_a.mean
    if spread_a.std is None or spread_b.std is None:
        return MeanDifference(spread_a, spread_b, delta, None, None)
    var_a, var_b = spread_a.std**2 / spread_a.n, spread_b.std**2 / spread_b.n
    if var_a + var_b == 0:
        return MeanDifference(spread_a, spread_b, delta, delta, delta)
    dof = (var_a + var_b) ** 2 / (var_a**2 / (spread_a.n - 1) + var_b**2 / (spread_b.n - 1))
    half = stats.t.ppf(0.975, dof) * math.sqrt(var_a + var_b)
    return MeanDifference(spread_a, spread_b, delta, delta - half, delta + half)
