"""Corpus-level translation scores with sacreBLEU, reported with their signatures."""

from collections.abc import Sequence

from sacrebleu.metrics import BLEU, CHRF, TER


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
    metrics = {"bleu": BLEU(trg_lang=target_lang), "chrf": CHRF()}
    if with_ter:
        metrics["ter"] = TER()
    scores: dict[str, float | str] = {}
    for name, metric in metrics.items():
        scores[name] = metric.corpus_score(list(hypotheses), references).score
        scores[f"{name}_signature"] = str(metric.get_signature())
    return scores
