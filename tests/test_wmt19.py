"""WMT19 loading, streamed from a local folder laid out like the Hub's wmt/wmt19 repository."""

import logging
from pathlib import Path

import datasets
import huggingface_hub
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from t5mt.data.wmt19 import CleaningReport, clean_pairs, load_wmt19
from t5mt.errors import DataError, HubUnreachableError

GOOD = [(f"This is sentence number {i} .", f"Das ist Satz Nummer {i} .") for i in range(200)]
BAD = {
    "empty": [("", "Leer."), ("Empty.", "   "), ("", "")],
    "too_long": [(" ".join(["word"] * 201), " ".join(["Wort"] * 200))] * 2,
    "length_ratio": [("One.", "Eins zwei drei vier."), ("A b c d e f g", "A b")],
    "source_equals_target": [("Berlin", "Berlin"), ("OK .", " OK . ")],
}
NEWSTEST = [(f"News sentence {i} .", f"Nachrichtensatz {i} .") for i in range(30)]

# The Hub's wmt/wmt19 README declares the de-en config and its parquet files like this;
# without the `configs` block, load_dataset(folder, "de-en") finds only a "default" config.
README = """---
dataset_info:
- config_name: de-en
  features:
  - name: translation
    dtype:
      translation:
        languages:
        - de
        - en
configs:
- config_name: de-en
  data_files:
  - split: train
    path: de-en/train-*
  - split: validation
    path: de-en/validation-*
---
"""


@pytest.fixture(autouse=True)
def no_shutdown_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    # datasets waits 5 s after each shuffled parquet stream ends (a guard for apache/arrow#45214
    # when a process exits); one pause per load is nothing in a run, but minutes in this file.
    monkeypatch.setattr(datasets.config, "SLEEP_TIME_ON_THREADS_SHUTDOWN", 0)


def write_split(path: Path, pairs: list[tuple[str, str]]) -> None:
    struct = pa.struct([("de", pa.string()), ("en", pa.string())])
    rows = [{"de": de, "en": en} for en, de in pairs]
    pq.write_table(pa.table({"translation": pa.array(rows, type=struct)}), path)


@pytest.fixture(scope="module")
def hub_folder(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A folder in the Hub's layout: README.md and de-en/{train,validation}-*.parquet."""
    root = tmp_path_factory.mktemp("wmt19")
    (root / "de-en").mkdir()
    (root / "README.md").write_text(README)
    bad = [pair for pairs in BAD.values() for pair in pairs]
    write_split(root / "de-en" / "train-00000-of-00001.parquet", bad + GOOD)
    write_split(root / "de-en" / "validation-00000-of-00001.parquet", NEWSTEST)
    return str(root)


def as_pairs(split) -> list[tuple[str, str]]:
    return [(row["translation"]["en"], row["translation"]["de"]) for row in split]


def test_seeded_subset_is_deterministic_clean_and_sized(hub_folder: str):
    first = load_wmt19(train_size=50, validation_size=10, dataset_name=hub_folder)
    again = load_wmt19(train_size=50, validation_size=10, dataset_name=hub_folder)
    other = load_wmt19(train_size=50, validation_size=10, seed=1, dataset_name=hub_folder)

    train = as_pairs(first["train"])
    assert len(train) == 50
    assert len(set(train)) == 50
    assert set(train) <= set(GOOD)
    assert train == as_pairs(again["train"])
    assert train != as_pairs(other["train"])
    assert train != GOOD[:50]  # shuffled, not the head of the file
    assert first["train"].column_names == ["translation"]
    assert first["train"].features == first["test"].features


def test_cleaning_counts_every_reason(hub_folder: str, caplog: pytest.LogCaptureFixture):
    # A buffer of one keeps the file order, so every bad row (at the top) is read.
    with caplog.at_level(logging.INFO, logger="t5mt.data.wmt19"):
        report = CleaningReport()
        corpus = load_wmt19(
            train_size=len(GOOD),
            validation_size=10,
            dataset_name=hub_folder,
            shuffle_buffer=1,
            report=report,
        )
    expected = {reason: len(pairs) for reason, pairs in BAD.items()}
    assert report.to_dict() == {"read": 209, "kept": 200, **expected}
    assert sorted(as_pairs(corpus["train"])) == sorted(GOOD)
    assert "'length_ratio': 2" in caplog.text


def test_clean_pairs_thresholds():
    pairs = [
        ("a b c", "x"),  # ratio exactly 3: kept
        ("a b c d", "x"),  # ratio 4
        (" ".join("w" * 10), "x " * 10),  # 10 words each: kept
        (" ".join("w" * 11), "x " * 11),  # 11 words: too long
        ("\t", "x"),
        ("Same", "Same"),
    ]
    report = CleaningReport()
    kept = list(clean_pairs(pairs, report, max_length_words=10, max_length_ratio=3.0))
    assert kept == [("a b c", "x"), (" ".join("w" * 10), ("x " * 10).strip())]
    assert report.to_dict() == {
        "read": 6,
        "kept": 2,
        "empty": 1,
        "too_long": 1,
        "length_ratio": 1,
        "source_equals_target": 1,
    }


def test_validation_is_the_head_of_newstest_and_test_the_rest(hub_folder: str):
    corpus = load_wmt19(train_size=5, validation_size=10, dataset_name=hub_folder)
    assert as_pairs(corpus["validation"]) == NEWSTEST[:10]
    assert as_pairs(corpus["test"]) == NEWSTEST[10:]


def test_language_direction_is_a_parameter(hub_folder: str):
    corpus = load_wmt19(
        train_size=5,
        validation_size=10,
        dataset_name=hub_folder,
        source_lang="de",
        target_lang="en",
    )
    assert corpus["validation"][0]["translation"] == {"de": NEWSTEST[0][1], "en": NEWSTEST[0][0]}


def test_too_few_pairs_after_cleaning(hub_folder: str):
    with pytest.raises(DataError, match=r"only 200 usable pairs after cleaning 209 rows"):
        load_wmt19(train_size=201, validation_size=10, dataset_name=hub_folder)


def test_validation_size_must_leave_a_test_set(hub_folder: str):
    with pytest.raises(DataError, match="has 30 pairs; validation_size=30"):
        load_wmt19(train_size=5, validation_size=30, dataset_name=hub_folder)


def test_missing_language_is_a_data_error(hub_folder: str):
    with pytest.raises(DataError, match=r"row 0: expected string translation\.fr"):
        load_wmt19(train_size=5, dataset_name=hub_folder, source_lang="fr")


def test_a_folder_without_the_config_is_a_data_error(tmp_path: Path):
    (tmp_path / "de-en").mkdir()
    write_split(tmp_path / "de-en" / "train-00000-of-00001.parquet", GOOD)
    with pytest.raises(DataError, match="de-en"):
        load_wmt19(train_size=5, dataset_name=str(tmp_path))
    with pytest.raises(DataError, match="cannot load"):
        load_wmt19(train_size=5, dataset_name=str(tmp_path / "absent"))


def test_unreachable_hub_names_the_offline_alternatives(monkeypatch: pytest.MonkeyPatch):
    # Offline mode makes datasets refuse before any request, so this never touches the network.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)

    with pytest.raises(HubUnreachableError) as caught:
        load_wmt19(dataset_name="t5mt-tests/no-such-wmt19")
    message = str(caught.value)
    assert "'t5mt-tests/no-such-wmt19'" in message
    assert "data=synthetic" in message
    assert "data=multi30k data.corpus.mirror=<dir>" in message
    assert "data=files data.corpus.train=" in message
