"""Prepared corpora: a data config materialised as parquet splits plus stats.json.

<folder>/
  train.parquet, validation.parquet, test.parquet   one column `translation` = {en, de}
  stats.json                                       pairs, lengths, filtered counts, fingerprint

`python -m t5mt.prepare` writes such a folder; `data=prepared data.path=<folder>` trains from it.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datasets import Dataset, DatasetDict

from t5mt.data.files import SPLITS
from t5mt.errors import DataError
from t5mt.run_folder import corpus_fingerprint, staged_folder, write_json_atomic

if TYPE_CHECKING:
    from t5mt.data.datamodule import TranslationDataModule

STATS_FILE = "stats.json"
HOW_TO_PREPARE = "create it with: python -m t5mt.prepare data=<option> name=<name>"


def split_file(folder: Path, split: str) -> Path:
    """The parquet file of one split in a prepared-corpus folder."""
    return folder / f"{split}.parquet"


def fingerprint(corpus: DatasetDict, source_lang: str = "en", target_lang: str = "de") -> str:
    """The corpus fingerprint (t5mt.run_folder) of a DatasetDict, as stats.json records it."""
    splits = {split: corpus[split]["translation"] for split in SPLITS}
    return corpus_fingerprint(splits, source_lang, target_lang)


def write_prepared(corpus: DatasetDict, folder: Path, stats: dict[str, Any]) -> None:
    """Write the splits and stats.json into `folder`, replacing a previous version whole.

    A reader never sees a mix of old and new files, and a failed write leaves the old ones.
    """
    with staged_folder(folder) as staging:
        for split in SPLITS:
            corpus[split].to_parquet(split_file(staging, split))
        write_json_atomic(staging / STATS_FILE, stats)


def load_prepared(path: str, source_lang: str = "en", target_lang: str = "de") -> DatasetDict:
    """Read a prepared-corpus folder back as a DatasetDict in the WMT schema.

    A missing folder or file, an unreadable parquet file, or a file without the
    `translation.{source_lang, target_lang}` columns raises DataError naming it.
    """
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise DataError(f"no prepared corpus at '{path}' (not a folder); {HOW_TO_PREPARE}")
    return DatasetDict(
        {
            split: _read_split(split_file(folder, split), source_lang, target_lang)
            for split in SPLITS
        }
    )


def _read_split(file: Path, source_lang: str, target_lang: str) -> Dataset:
    if not file.is_file():
        raise DataError(
            f"missing file: {file} (a prepared corpus has {', '.join(SPLITS)}); {HOW_TO_PREPARE}"
        )
    try:
        split = Dataset.from_parquet(str(file))
    except Exception as error:  # pyarrow raises several unrelated types for a damaged file
        raise DataError(f"cannot read {file}: {error}") from None
    languages = split.features.get("translation")
    if split.column_names != ["translation"] or not isinstance(languages, dict):
        raise DataError(
            f"{file} must have exactly one column 'translation', found {split.column_names}"
        )
    missing = [lang for lang in (source_lang, target_lang) if lang not in languages]
    if missing:
        raise DataError(f"{file}: 'translation' has no {missing} (it has {sorted(languages)})")
    return split


def prepared_datamodule(path: str, **settings: Any) -> TranslationDataModule:
    """The DataModule over a prepared corpus (`data=prepared data.path=<folder>`)."""
    # Imported here: it loads Lightning and transformers, which `t5mt.prepare` does not need.
    from t5mt.data.datamodule import TranslationDataModule

    corpus = partial(
        load_prepared,
        path,
        settings.get("source_lang", "en"),
        settings.get("target_lang", "de"),
    )
    return TranslationDataModule(corpus=corpus, **settings)
