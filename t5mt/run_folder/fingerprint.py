"""The corpus fingerprint: one SHA-256 over a corpus's pairs, the same wherever it is computed."""

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence

SPLITS = ("train", "validation", "test")


def corpus_fingerprint(
    splits: Mapping[str, Iterable[Mapping[str, str]]],
    source_lang: str = "en",
    target_lang: str = "de",
    only: Sequence[str] = SPLITS,
) -> str:
    """`sha256:<hex>` over every pair of the train, validation and test splits in order (one
    JSON line `[split, source, target]` per pair): equal content gives an equal fingerprint.
    `only` takes some of the splits (`("test",)`: the test set's own fingerprint).

    Prepared corpora (stats.json) and training runs (reproducibility.json) both record it.
    """
    digest = hashlib.sha256()
    for split in only:
        for pair in splits[split]:
            record = [split, pair[source_lang], pair[target_lang]]
            digest.update(json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n")
    return f"sha256:{digest.hexdigest()}"
