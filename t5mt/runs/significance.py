"""Paired significance of B against A on the same sentences: sacreBLEU's paired bootstrap
resampling and approximate randomisation (`sacrebleu.significance.PairedTest`), seeded."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from sacrebleu.metrics.base import Metric
from sacrebleu.significance import PairedTest, Result

from t5mt.errors import T5mtError
from t5mt.metrics import translation_metrics

RESAMPLES = 1000  # bootstrap resamples: sacreBLEU's --paired-bs-n default
TRIALS = 10000  # approximate randomisation trials: sacreBLEU's --paired-ar-n default
SEED = 12345  # sacreBLEU's default SACREBLEU_SEED
LEVEL = 0.05  # the p-value below which a difference is called significant


@dataclass(frozen=True)
class PairedResult:
    """One metric of a paired comparison of system B against baseline A."""

    metric: str  # as sacreBLEU names it: BLEU, chrF2
    a: float
    b: float
    # bootstrap mean and half-width of the 95% interval of each system, as sacreBLEU prints them
    a_mean: float
    a_ci: float
    b_mean: float
    b_ci: float
    # the 95% interval of B − A over the same bootstrap resamples
    delta_low: float
    delta_high: float
    p_bootstrap: float
    p_randomisation: float
    signature: str  # of the bootstrap test: the metric's, with the resamples and the seed

    @property
    def delta(self) -> float:
        return self.b - self.a

    def verdict(self) -> str:
        """A plain sentence: better, worse or no significant difference, and how sure."""
        if self.delta == 0:
            # sacreBLEU gives equal systems the smallest p-value (no resample beats a zero
            # difference): it is no evidence of anything
            return f"no difference in {self.metric}: A and B score the same"
        p = max(self.p_bootstrap, self.p_randomisation)
        if p < LEVEL:
            side = "better" if self.delta > 0 else "worse"
            return f"B is {side} than A on {self.metric} (both tests p < {LEVEL})"
        if min(self.p_bootstrap, self.p_randomisation) < LEVEL:
            return f"B and A may differ on {self.metric}: only one test has p < {LEVEL}"
        return f"no significant difference in {self.metric} (p ≥ {LEVEL}): it may be noise"


@contextmanager
def _sacrebleu_seed(seed: int) -> Iterator[None]:
    """PairedTest reads its seed from SACREBLEU_SEED (as the command line does)."""
    before = os.environ.get("SACREBLEU_SEED")
    os.environ["SACREBLEU_SEED"] = str(seed)
    try:
        yield
    finally:
        if before is None:
            del os.environ["SACREBLEU_SEED"]
        else:
            os.environ["SACREBLEU_SEED"] = before


def paired_tests(
    a: list[str],
    b: list[str],
    references: list[list[str]],
    target_lang: str = "de",
    resamples: int = RESAMPLES,
    trials: int = TRIALS,
    seed: int = SEED,
) -> list[PairedResult]:
    """BLEU and chrF of hypotheses `b` against baseline `a` on the same reference streams:
    scores, bootstrap intervals and p-values equal to `sacrebleu REF -i A B -m bleu chrf
    --paired-bs` (and `--paired-ar`) with SACREBLEU_SEED=`seed`."""
    if seed < 1:
        # sacreBLEU takes a seed of 0 for "no seed" in the paired test
        raise T5mtError(f"the seed must be a positive integer, not {seed}")
    if len(a) != len(b) or any(len(stream) != len(a) for stream in references):
        raise T5mtError(
            f"A has {len(a)} hypotheses, B {len(b)}, the references "
            f"{[len(stream) for stream in references]} lines: a paired test needs equal counts"
        )
    systems = [("A", a), ("B", b)]
    outcome: dict[str, dict[str, list[Result]]] = {}
    signatures: dict[str, dict] = {}
    with _sacrebleu_seed(seed):
        for kind, samples in (("bs", resamples), ("ar", trials)):
            metrics = translation_metrics(target_lang)
            signatures[kind], scores = PairedTest(
                systems, metrics, references, test_type=kind, n_samples=samples
            )()
            outcome[kind] = {name: column for name, column in scores.items() if name != "System"}
    results = []
    metrics = translation_metrics(target_lang)
    for (name, bootstrap), metric in zip(outcome["bs"].items(), metrics.values(), strict=True):
        base, system = bootstrap
        low, high = _difference_interval(metric, a, b, references, resamples, seed)
        results.append(
            PairedResult(
                metric=name,
                a=base.score,
                b=system.score,
                a_mean=float(base.mean),
                a_ci=float(base.ci),
                b_mean=float(system.mean),
                b_ci=float(system.ci),
                delta_low=low,
                delta_high=high,
                p_bootstrap=system.p_value,
                p_randomisation=outcome["ar"][name][1].p_value,
                signature=signatures["bs"][name].format(),
            )
        )
    return results


def _difference_interval(
    metric: Metric,
    a: list[str],
    b: list[str],
    references: list[list[str]],
    resamples: int,
    seed: int,
) -> tuple[float, float]:
    """The 95% interval of B − A over the resamples that sacreBLEU's paired bootstrap draws
    (the same generator, seed and draw), with its own sufficient statistics and its own rule
    for the interval's ends (the 1/40 from each side)."""
    rng = np.random.default_rng(seed)
    indices = rng.choice(len(a), size=(resamples, len(a)), replace=True)
    per_system = []
    for hypotheses in (a, b):
        statistics = np.array(
            metric._extract_corpus_statistics(hypotheses, references), dtype="float32"
        )
        per_system.append(
            np.array(
                [metric._compute_score_from_stats(s.sum(0)).score for s in statistics[indices]]
            )
        )
    differences = np.sort(per_system[1] - per_system[0])
    cut = resamples // 40
    return float(differences[cut]), float(differences[resamples - cut - 1])
