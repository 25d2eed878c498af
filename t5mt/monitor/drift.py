"""Drift statistics: the population stability index (PSI) with a verdict, and the KS test.

PSI = Σ (live − reference) · ln(live / reference) over the shares of a feature's bins; by the
usual rule of thumb below 0.1 is stable, 0.1–0.25 a moderate shift and above 0.25 drift.
"""

from collections.abc import Mapping, Sequence

import numpy as np
from scipy import stats

MODERATE_PSI = 0.1
DRIFT_PSI = 0.25
# Below this many live sentences PSI over 10 bins is mostly sampling noise (about 9 / n).
MIN_LIVE_SENTENCES = 200
# Empty bins get this share, so that the logarithm stays finite.
EPSILON = 1e-4


def psi(reference: Sequence[float], live: Sequence[float]) -> float:
    """PSI between two distributions over the same bins (counts or shares)."""
    ref = _shares(reference)
    cur = _shares(live)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def verdict(value: float, live_sentences: int) -> str:
    """`stable`, `moderate` or `drift` by PSI; `too few samples` for a small live sample."""
    if live_sentences < MIN_LIVE_SENTENCES:
        return "too few samples"
    if value >= DRIFT_PSI:
        return "drift"
    return "moderate" if value >= MODERATE_PSI else "stable"


def quantile_edges(reference: Sequence[float], bins: int = 10) -> list[float]:
    """Inner bin edges at the reference's quantiles (merged where values repeat)."""
    return sorted({float(q) for q in np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1])})


def bin_counts(values: Sequence[float], edges: Sequence[float]) -> list[int]:
    """How many values fall in (-inf, e0], (e0, e1], ..., (e_last, inf)."""
    return np.bincount(np.searchsorted(edges, values), minlength=len(edges) + 1).tolist()


def numeric_drift(reference: Sequence[float], live: Sequence[float]) -> dict:
    """PSI over the reference's deciles, the two-sample KS test, and summary statistics."""
    edges = quantile_edges(reference)
    ref_counts, live_counts = bin_counts(reference, edges), bin_counts(live, edges)
    ks = stats.ks_2samp(reference, live)
    value = psi(ref_counts, live_counts)
    return {
        "kind": "numeric",
        "psi": round(value, 4),
        "ks_statistic": round(float(ks.statistic), 4),
        "ks_p_value": float(ks.pvalue),
        "verdict": verdict(value, len(live)),
        "reference": _summary(reference),
        "live": _summary(live),
        "bins": {
            "upper_edges": [*edges, None],
            "reference": _rounded_shares(ref_counts),
            "live": _rounded_shares(live_counts),
        },
    }


def categorical_drift(
    reference: Mapping[str, float], live: Mapping[str, float], live_sentences: int
) -> dict:
    """PSI between the category shares of the reference and the live data."""
    categories = sorted(set(reference) | set(live))
    ref_counts = [reference.get(c, 0) for c in categories]
    live_counts = [live.get(c, 0) for c in categories]
    value = psi(ref_counts, live_counts)
    return {
        "kind": "categorical",
        "psi": round(value, 4),
        "verdict": verdict(value, live_sentences),
        "categories": categories,
        "reference": _rounded_shares(ref_counts),
        "live": _rounded_shares(live_counts),
    }


def _shares(counts: Sequence[float]) -> np.ndarray:
    array = np.asarray(counts, dtype=float)
    array = array / array.sum() if array.sum() else np.full(len(array), 1 / len(array))
    array = np.maximum(array, EPSILON)
    return array / array.sum()


def _rounded_shares(counts: Sequence[float]) -> list[float]:
    total = sum(counts)
    return [round(c / total, 4) if total else 0.0 for c in counts]


def _summary(values: Sequence[float]) -> dict[str, float]:
    array = np.asarray(values, dtype=float)
    return {
        "count": int(array.size),
        "mean": round(float(array.mean()), 3),
        "p50": float(np.percentile(array, 50)),
        "p95": float(np.percentile(array, 95)),
        "max": float(array.max()),
    }
