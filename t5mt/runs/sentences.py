"""A system's scored test sentences — a run's test.hyp or evaluate's eval/<name>.hyp, with the
sources and references beside them —, whether two of them can be compared pair by pair, and
where two differ sentence by sentence."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from t5mt.data.files import read_lines
from t5mt.errors import RunFolderError, T5mtError
from t5mt.metrics import translation_metrics
from t5mt.run_folder import RunFolder, read_json, reference_paths, sources_path


@dataclass(frozen=True)
class ScoredSentences:
    """Hypotheses with the sources and reference streams they were scored against."""

    label: str  # the run folder or the file
    hypotheses: list[str]
    references: list[list[str]]
    sources: list[str]
    bleu_signature: str | None
    # the recorded fingerprint of the test split (reproducibility.json), when there is one
    test_fingerprint: str | None
    target_lang: str


def of_run(run: RunFolder) -> ScoredSentences:
    """A run's test sentences (test.hyp, test.src, test.ref) and its BLEU signature."""
    if not run.test_hypotheses.is_file():
        raise RunFolderError(
            f"'{run.root}' has no {run.test_hypotheses.name}: it was tested by an older t5mt or "
            "not at all, so there is nothing to test pair by pair"
        )
    data = run.read_reproducibility().get("data", {})
    return _read(
        str(run.root),
        run.test_hypotheses,
        (run.read_results().get("test") or {}).get("bleu_signature"),
        data.get("test_fingerprint"),
        run.read_config().get("target_lang", "de"),
    )


def of_file(path: Path) -> ScoredSentences:
    """An `evaluate` output <name>.hyp with <name>.src, <name>.ref… and <name>.json beside it."""
    if not path.is_file():
        raise T5mtError(f"'{path}' is not a file")
    report = read_json(path.with_suffix(".json"))
    run = RunFolder(path.parent.parent)  # <run>/eval/<name>.hyp
    target_lang = run.read_config().get("target_lang", "de") if run.is_run() else "de"
    return _read(str(path), path, report.get("bleu_signature"), None, target_lang)


def _read(
    label: str, path: Path, signature: str | None, fingerprint: str | None, target_lang: str
) -> ScoredSentences:
    references = reference_paths(path)
    if not references:
        raise RunFolderError(f"'{path}' has no references beside it ({path.stem}.ref)")
    sources = sources_path(path)
    return ScoredSentences(
        label=label,
        hypotheses=read_lines(path, allow_empty=True),
        references=[read_lines(reference, allow_empty=True) for reference in references],
        sources=read_lines(sources, allow_empty=True) if sources.is_file() else [],
        bleu_signature=signature,
        test_fingerprint=fingerprint,
        target_lang=target_lang,
    )


def check_comparable(a: ScoredSentences, b: ScoredSentences) -> None:
    """T5mtError unless A and B translated the same test set and were scored the same way."""
    if a.test_fingerprint and b.test_fingerprint and a.test_fingerprint != b.test_fingerprint:
        raise T5mtError(
            f"A and B were tested on different test sets: their test fingerprints differ "
            f"({a.test_fingerprint} in {a.label}, {b.test_fingerprint} in {b.label}, from "
            "reproducibility.json); a paired test needs the same sentences"
        )
    if a.references != b.references:
        raise T5mtError(
            f"A and B were scored against different references ({_difference(a, b)}): "
            "a paired test needs the same test set"
        )
    if a.bleu_signature != b.bleu_signature:
        raise T5mtError(
            f"A and B were scored with different BLEU signatures ({a.bleu_signature} and "
            f"{b.bleu_signature}): their scores are not comparable"
        )


def _difference(a: ScoredSentences, b: ScoredSentences) -> str:
    """Where two reference sets first differ, for the error message."""
    shapes = [[len(stream) for stream in x.references] for x in (a, b)]
    if shapes[0] != shapes[1]:
        return f"lines per stream: {shapes[0]} in {a.label}, {shapes[1]} in {b.label}"
    line, ref_a, ref_b = next(
        (line, ref_a, ref_b)
        for stream_a, stream_b in zip(a.references, b.references, strict=True)
        for line, (ref_a, ref_b) in enumerate(zip(stream_a, stream_b, strict=True), start=1)
        if ref_a != ref_b
    )
    return f"line {line}: {ref_a!r} in {a.label}, {ref_b!r} in {b.label}"


# Source lengths in words: the upper end of each bucket (the last takes the rest).
BUCKETS = (5, 10, 15, 20)


def length_bucket(source: str) -> str:
    """The source-length bucket of a sentence: `1-5`, `6-10`, …, `21+` words."""
    words = len(source.split())
    low = 1
    for high in BUCKETS:
        if words <= high:
            return f"{low}-{high}"
        low = high + 1
    return f"{low}+"


def sentence_view(a: ScoredSentences, b: ScoredSentences, shown: int = 200) -> dict[str, Any]:
    """Where two systems differ on the same test set: per source-length bucket the sentences,
    how many translations differ and each system's BLEU; and the differing sentences with their
    sentence chrF, largest change first (at most `shown`)."""
    check_comparable(a, b)
    metrics = translation_metrics(a.target_lang)
    bleu, chrf = metrics["bleu"], metrics["chrf"]
    sources = a.sources or [""] * len(a.hypotheses)
    rows = []
    for i, (source, hyp_a, hyp_b) in enumerate(
        zip(sources, a.hypotheses, b.hypotheses, strict=True)
    ):
        references = [stream[i] for stream in a.references]
        rows.append(
            {
                "line": i + 1,
                "bucket": length_bucket(source),
                "source": source,
                "reference": references[0],
                "a": hyp_a,
                "b": hyp_b,
                "chrf_a": chrf.sentence_score(hyp_a, references).score,
                "chrf_b": chrf.sentence_score(hyp_b, references).score,
            }
        )
    buckets = []
    for name in dict.fromkeys(sorted((row["bucket"] for row in rows), key=_bucket_order)):
        lines = [row["line"] - 1 for row in rows if row["bucket"] == name]
        streams = [[stream[i] for i in lines] for stream in a.references]
        buckets.append(
            {
                "bucket": name,
                "sentences": len(lines),
                "differ": sum(a.hypotheses[i] != b.hypotheses[i] for i in lines),
                "bleu_a": bleu.corpus_score([a.hypotheses[i] for i in lines], streams).score,
                "bleu_b": bleu.corpus_score([b.hypotheses[i] for i in lines], streams).score,
            }
        )
    differing = [row for row in rows if row["a"] != row["b"]]
    differing.sort(key=lambda row: -abs(row["chrf_b"] - row["chrf_a"]))
    return {
        "a": a.label,
        "b": b.label,
        "sentences": len(rows),
        "differ": len(differing),
        "buckets": buckets,
        "rows": differing[:shown],
    }


def _bucket_order(name: str) -> int:
    return int(name.split("-")[0].rstrip("+"))
