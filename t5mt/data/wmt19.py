"""WMT19 de-en from the Hugging Face Hub: a seeded, cleaned subset streamed from the train split."""

from __future__ import annotations

import logging
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import datasets
from datasets import DatasetDict
from datasets.exceptions import DataFilesNotFoundError, DatasetNotFoundError

from t5mt.data.files import Pair, check_languages, pairs_to_dataset_dict
from t5mt.errors import DataError, HubUnreachableError, T5mtError

log = logging.getLogger(__name__)

CONFIG = "de-en"
OFFLINE_ALTERNATIVES = (
    "data=synthetic",
    "data=multi30k data.corpus.mirror=<dir>",
    "data=files data.corpus.train=... data.corpus.validation=... data.corpus.test=...",
)


# Why a pair is dropped, in the order the rules are tried: it counts under the first it breaks.
DROP_REASONS = ("empty", "too_long", "length_ratio", "source_equals_target")


@dataclass
class CleaningReport:
    """How many streamed training pairs were read, kept, and dropped for each reason."""

    read: int = 0
    kept: int = 0
    dropped: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, int]:
        """The counts as a plain dict, ready for JSON: read, kept, then every drop reason."""
        return {"read": self.read, "kept": self.kept} | {
            reason: self.dropped[reason] for reason in DROP_REASONS
        }


def load_wmt19(
    train_size: int = 100_000,
    validation_size: int = 500,
    seed: int = 0,
    dataset_name: str = "wmt/wmt19",
    max_length_words: int = 200,
    max_length_ratio: float = 3.0,
    shuffle_buffer: int = 10_000,
    source_lang: str = "en",
    target_lang: str = "de",
    report: CleaningReport | None = None,
) -> DatasetDict:
    """Load a seeded, cleaned WMT19 de-en subset; `report`, if given, receives the cleaning counts.

    train: the Hub's ``train`` split is streamed (never downloaded whole), shuffled with
    ``seed`` in a buffer of ``shuffle_buffer`` pairs, cleaned by :func:`clean_pairs`, and the
    first ``train_size`` surviving pairs are kept; the same arguments give the same subset.
    validation and test: both come from the Hub's ``validation`` split (newstest2018), in its
    order and uncleaned: the first ``validation_size`` pairs are validation, the rest are test.

    ``dataset_name`` may be a local folder in the Hub's layout. An unreachable Hub raises
    :class:`HubUnreachableError` naming the offline alternatives.
    """
    check_languages(source_lang, target_lang)
    if train_size < 1 or validation_size < 1:
        raise T5mtError(
            f"train_size and validation_size must be positive, got {train_size}, {validation_size}"
        )
    report = report if report is not None else CleaningReport()
    with _hub_errors(dataset_name):
        stream = _load_split(dataset_name, "train").shuffle(seed=seed, buffer_size=shuffle_buffer)
        rows = _pairs(stream, _where(dataset_name, "train"), source_lang, target_lang)
        cleaned = clean_pairs(rows, report, max_length_words, max_length_ratio)
        train = list(islice(cleaned, train_size))
        stream = _load_split(dataset_name, "validation")
        newstest = list(
            _pairs(stream, _where(dataset_name, "validation"), source_lang, target_lang)
        )
    log.info("WMT19 train cleaning (seed %d): %s", seed, report.to_dict())
    if len(train) < train_size:
        raise DataError(
            f"{_where(dataset_name, 'train')} has only {len(train)} usable pairs after cleaning"
            f" {report.read} rows, fewer than train_size={train_size}"
        )
    if validation_size >= len(newstest):
        raise DataError(
            f"{_where(dataset_name, 'validation')} has {len(newstest)} pairs; validation_size"
            f"={validation_size} would leave none for test"
        )
    splits = {
        "train": train,
        "validation": newstest[:validation_size],
        "test": newstest[validation_size:],
    }
    return pairs_to_dataset_dict(splits, source_lang, target_lang)


def clean_pairs(
    pairs: Iterable[Pair],
    report: CleaningReport,
    max_length_words: int = 200,
    max_length_ratio: float = 3.0,
) -> Iterator[Pair]:
    """Yield the pairs worth training on, counting each one read, kept or dropped in ``report``.

    Dropped: either side empty; either side over ``max_length_words`` words; one side over
    ``max_length_ratio`` times as many words as the other; source identical to target.
    """
    for source, target in pairs:
        report.read += 1
        source, target = source.strip(), target.strip()
        reason = drop_reason(source, target, max_length_words, max_length_ratio)
        if reason is None:
            report.kept += 1
            yield source, target
        else:
            report.dropped[reason] += 1


def drop_reason(
    source: str, target: str, max_length_words: int, max_length_ratio: float
) -> str | None:
    """The first of DROP_REASONS that the stripped pair breaks, or None to keep it."""
    source_words, target_words = len(source.split()), len(target.split())
    if not source or not target:
        return "empty"
    if max(source_words, target_words) > max_length_words:
        return "too_long"
    if max(source_words, target_words) > max_length_ratio * min(source_words, target_words):
        return "length_ratio"
    if source == target:
        return "source_equals_target"
    return None


def _load_split(dataset_name: str, split: str) -> datasets.IterableDataset:
    try:
        return datasets.load_dataset(dataset_name, CONFIG, split=split, streaming=True)
    except (DatasetNotFoundError, DataFilesNotFoundError, FileNotFoundError, ValueError) as error:
        if _is_network_error(error):
            raise  # _hub_errors reports it
        raise DataError(f"cannot load {_where(dataset_name, split)}: {error}") from error


def _pairs(
    rows: Iterable[dict[str, Any]], where: str, source_lang: str, target_lang: str
) -> Iterator[Pair]:
    for index, row in enumerate(rows):
        translation = row.get("translation")
        if not isinstance(translation, dict):
            translation = {}
        source, target = translation.get(source_lang), translation.get(target_lang)
        if not isinstance(source, str) or not isinstance(target, str):
            raise DataError(
                f"{where}, row {index}: expected string translation.{source_lang} and"
                f" translation.{target_lang}, got {row!r:.200}"
            )
        yield source, target


def _where(dataset_name: str, split: str) -> str:
    return f"{dataset_name!r} ({CONFIG}, {split})"


@contextmanager
def _hub_errors(dataset_name: str) -> Iterator[None]:
    """Turn any connection or offline-mode error into one HubUnreachableError."""
    try:
        yield
    except Exception as error:
        if not _is_network_error(error):
            raise
        raise HubUnreachableError(
            f"cannot reach the Hugging Face Hub for dataset {dataset_name!r}"
            f" ({type(error).__name__}: {error}). Offline, use one of: "
            + "; ".join(OFFLINE_ALTERNATIVES)
        ) from error


def _is_network_error(error: BaseException) -> bool:
    """Whether ``error``, or an error it was raised from, means the network was unusable."""
    types = _network_error_types()
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, types):
            return True
        seen = seen.__cause__
    return False


def _network_error_types() -> tuple[type[BaseException], ...]:
    # datasets wraps most failures in the built-in ConnectionError, but streaming reads can
    # surface the HTTP client's own errors; only clients already imported can have raised.
    types: list[type[BaseException]] = [ConnectionError, TimeoutError]
    candidates = [
        ("huggingface_hub.errors", "OfflineModeIsEnabled"),
        ("huggingface_hub.errors", "LocalEntryNotFoundError"),
        ("httpx", "TransportError"),
        ("httpx2", "TransportError"),
        ("requests.exceptions", "ConnectionError"),
        ("requests.exceptions", "Timeout"),
        ("aiohttp", "ClientConnectionError"),
    ]
    for module_name, attribute in candidates:
        error_type = getattr(sys.modules.get(module_name), attribute, None)
        if isinstance(error_type, type) and issubclass(error_type, BaseException):
            types.append(error_type)
    return tuple(types)
