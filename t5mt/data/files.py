"""Parallel corpora from the user's own files, and the in-memory format every source returns.

Every corpus source builds a ``DatasetDict`` with the splits ``train``, ``validation`` and
``test``, each holding one column ``translation`` = ``{source_lang: str, target_lang: str}``
(the WMT schema); :func:`pairs_to_dataset_dict` is the one place that builds it.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from datasets import Dataset, DatasetDict, Features, Value

from t5mt.errors import DataError, T5mtError

Pair = tuple[str, str]
SPLITS = ("train", "validation", "test")
FORMATS = ("auto", "text", "tsv", "jsonl")


def pairs_to_dataset_dict(
    splits: Mapping[str, Sequence[Pair]], source_lang: str = "en", target_lang: str = "de"
) -> DatasetDict:
    """Build the ``train``/``validation``/``test`` DatasetDict from (source, target) pairs."""
    if set(splits) != set(SPLITS):
        raise ValueError(f"expected the splits {SPLITS}, got {tuple(splits)}")
    features = Features(
        {"translation": {source_lang: Value("string"), target_lang: Value("string")}}
    )
    return DatasetDict(
        {
            name: Dataset.from_dict(
                {"translation": [{source_lang: s, target_lang: t} for s, t in splits[name]]},
                features=features,
            )
            for name in SPLITS
        }
    )


def check_languages(source_lang: str, target_lang: str) -> None:
    """Raise T5mtError unless the two language codes differ (they key the translation dict)."""
    if source_lang == target_lang:
        raise T5mtError(f"source_lang and target_lang are both {source_lang!r}")


def load_parallel_files(
    train: str,
    validation: str,
    test: str,
    source_lang: str = "en",
    target_lang: str = "de",
    format: str = "auto",
) -> DatasetDict:
    """Load three splits of the user's parallel data.

    Each split is a path prefix of two aligned text files (``<prefix>.<lang>`` or
    ``<prefix>.<lang>.gz``), a ``.tsv`` file (source<TAB>target) or a ``.jsonl`` file in the
    WMT schema; ``format`` (``auto|text|tsv|jsonl``) forces one reading. Any problem raises
    :class:`DataError` naming the file and, where it applies, the 1-based line.
    """
    check_languages(source_lang, target_lang)
    specs = {"train": train, "validation": validation, "test": test}
    return pairs_to_dataset_dict(
        {name: read_split(spec, source_lang, target_lang, format) for name, spec in specs.items()},
        source_lang,
        target_lang,
    )


def read_split(
    spec: str, source_lang: str = "en", target_lang: str = "de", format: str = "auto"
) -> list[Pair]:
    """Read one split given as a text prefix, a ``.tsv`` or a ``.jsonl`` path."""
    if format not in FORMATS:
        raise T5mtError(f"unknown data format {format!r}; choose one of {', '.join(FORMATS)}")
    path = Path(spec).expanduser()
    if format == "auto":
        format = _guess_format(path)
    if format == "tsv":
        return read_tsv(path)
    if format == "jsonl":
        return read_jsonl(path, source_lang, target_lang)
    return read_aligned_text(_language_file(path, source_lang), _language_file(path, target_lang))


def read_aligned_text(source_path: Path, target_path: Path) -> list[Pair]:
    """Read two line-aligned text files (gzip if the name ends in ``.gz``) into pairs."""
    sources, targets = read_aligned([source_path, target_path])
    return [
        (source.strip(), target.strip()) for source, target in zip(sources, targets, strict=True)
    ]


def read_aligned(paths: Sequence[Path], allow_empty: bool = False) -> list[list[str]]:
    """The lines of each file (see `read_lines`), checked to be aligned line by line: a
    DataError names both files and the first line that has no partner."""
    first, *others = paths
    texts = [read_lines(path, allow_empty) for path in paths]
    for path, lines in zip(others, texts[1:], strict=True):
        if len(lines) != len(texts[0]):
            raise DataError(
                f"{first} has {len(texts[0])} lines but {path} has {len(lines)} lines (line "
                f"{min(len(lines), len(texts[0])) + 1} has no partner); aligned files must have "
                "the same number of lines"
            )
    return texts


def read_tsv(path: Path) -> list[Pair]:
    """Read ``source<TAB>target`` lines."""
    pairs = []
    for lineno, text in _read_lines(path):
        fields = text.split("\t")
        if len(fields) != 2:
            raise DataError(
                f"{path}, line {lineno}: expected exactly one tab (source<TAB>target),"
                f" found {len(fields) - 1}"
            )
        source, target = (field.strip() for field in fields)
        if not source or not target:
            side = "source" if not source else "target"
            raise DataError(f"{path}, line {lineno}: the {side} side is empty")
        pairs.append((source, target))
    return pairs


def read_jsonl(path: Path, source_lang: str = "en", target_lang: str = "de") -> list[Pair]:
    """Read ``{"translation": {source_lang: ..., target_lang: ...}}`` lines."""
    pairs = []
    for lineno, text in _read_lines(path):
        try:
            record = json.loads(text)
        except json.JSONDecodeError as error:
            raise DataError(f"{path}, line {lineno}: invalid JSON ({error.msg})") from None
        translation = record.get("translation") if isinstance(record, dict) else None
        if not isinstance(translation, dict):
            raise DataError(f'{path}, line {lineno}: no "translation" object')
        sides = []
        for lang in (source_lang, target_lang):
            value = translation.get(lang)
            if not isinstance(value, str):
                raise DataError(f'{path}, line {lineno}: "translation" has no string "{lang}"')
            if not value.strip():
                raise DataError(f'{path}, line {lineno}: "translation.{lang}" is empty')
            sides.append(value.strip())
        pairs.append((sides[0], sides[1]))
    return pairs


def _guess_format(path: Path) -> str:
    name = path.name.removesuffix(".gz")
    if name.endswith(".tsv"):
        return "tsv"
    if name.endswith(".jsonl"):
        return "jsonl"
    return "text"


def _language_file(prefix: Path, lang: str) -> Path:
    plain = Path(f"{prefix}.{lang}")
    zipped = Path(f"{plain}.gz")
    if plain.is_file() and zipped.is_file():
        raise DataError(f"both {plain} and {zipped} exist; remove one so the choice is explicit")
    if zipped.is_file():
        return zipped
    if plain.is_file():
        return plain
    raise DataError(f"missing file: neither {plain} nor {zipped} exists")


def read_lines(path: Path, allow_empty: bool = False) -> list[str]:
    """The lines of a text file (gzip if the name ends in ``.gz``) without their line endings.

    Invalid UTF-8 raises DataError naming the line; so do blank lines and empty files unless
    `allow_empty` (translation input, where an empty line translates to an empty line).
    """
    return [text for _, text in _read_lines(path, allow_empty)]


def _read_lines(path: Path, allow_empty: bool = False) -> Iterator[tuple[int, str]]:
    """Yield (1-based line number, text without its line ending) for each line of a file.

    Unreadable or empty files, invalid UTF-8 and blank lines raise DataError (the last two
    only without `allow_empty`).
    """
    count = 0
    try:
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rb") as stream:
            # Binary iteration splits on b"\n" only, so line numbers match `wc -l` and editors.
            for count, raw in enumerate(stream, start=1):
                try:
                    text = raw.decode("utf-8").rstrip("\r\n")
                except UnicodeDecodeError as error:
                    raise DataError(
                        f"{path}, line {count}: invalid UTF-8 at byte {error.start}"
                    ) from None
                if not text.strip() and not allow_empty:
                    raise DataError(f"{path}, line {count}: empty line")
                yield count, text
    except FileNotFoundError:
        raise DataError(f"missing file: {path}") from None
    except (OSError, EOFError) as error:  # permissions, directories, corrupt or truncated gzip
        raise DataError(f"cannot read {path} (after line {count}): {error}") from None
    if count == 0 and not allow_empty:
        raise DataError(f"{path} is empty")
