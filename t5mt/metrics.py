"""Corpus-level translation scores with sacreBLEU, reported with their signatures."""

from collections.abc import Sequence

from sacrebleu.metrics import BLEU, CHRF, TER
from sacrebleu.metrics.base import Metric


def translation_metrics(target_lang: str = "de", with_ter: bool = False) -> dict[str, Metric]:
    """The metrics t5mt scores with, by name: BLEU (tokenized for `target_lang`), chrF, TER."""
    metrics: dict[str, Metric] = {"bleu": BLEU(trg_lang=target_lang), "chrf": CHRF()}
    if with_ter:
        metrics["ter"] = TER()
    return metrics


def corpus_scores(
    hypotheses: Sequence[str],
    references: Sequence[Sequence[str]],
    target_lang: str = "de",
    with_ter: bool = False,
) -> dict[str, float | str]:
    """BLEU and chrF (and TER if asked) of `hypotheses` against one or more reference streams.

    `references` is a list of reference streams, each aligned with `hypotheses`, as sacrebleu
    takes them. The returned dict holds each score and its signature (`bleu_signature`, ...).
    """
    scores: dict[str, float | str] = {}
    for name, metric in translation_metrics(target_lang, with_ter).items():
        scores[name] = metric.corpus_score(list(hypotheses), references).score
        scores[f"{name}_signature"] = str(metric.get_signature())
    return scores
