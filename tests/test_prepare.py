"""`python -m t5mt.prepare` and prepared corpora: parquet splits, stats.json, loading them back."""

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datasets import DatasetDict
from hydra import compose, initialize_config_dir

from t5mt.data.prepared import (
    STATS_FILE,
    fingerprint,
    load_prepared,
    prepared_datamodule,
    split_file,
    write_prepared,
)
from t5mt.errors import DataError
from t5mt.prepare import prepare
from tests.conftest import CONF, pairs_to_corpus, run_module
from tests.test_wmt19 import hub_folder, no_shutdown_sleep  # noqa: F401 (fixtures)

SMALL = ("data.corpus.train_size=60", "data.corpus.validation_size=10", "data.corpus.test_size=10")


def as_pairs(corpus: DatasetDict, split: str) -> list[tuple[str, str]]:
    return [(p["en"], p["de"]) for p in corpus[split]["translation"]]


@pytest.mark.slow
def test_the_command_writes_splits_and_stats_that_train_reads_back(tmp_path: Path) -> None:
    result = run_module("t5mt.prepare", *SMALL, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    folder = tmp_path / "data" / "synthetic"
    assert sorted(p.name for p in folder.iterdir()) == [
        "stats.json",
        "test.parquet",
        "train.parquet",
        "validation.parquet",
    ]
    stats = json.loads((folder / STATS_FILE).read_text())
    assert stats["name"] == "synthetic"
    assert stats["pairs"] == {"train": 60, "validation": 10, "test": 10, "total": 80}
    assert stats["source"]["train_size"] == 60
    assert stats["filtered"] is None
    lengths = stats["lengths"]["train"]["en"]
    assert 0 < lengths["min"] <= lengths["median"] <= lengths["p95"] <= lengths["max"]

    corpus = prepared_datamodule(str(folder), seed=0).corpus
    assert [len(corpus[split]) for split in ("train", "validation", "test")] == [60, 10, 10]
    assert stats["fingerprint"] == fingerprint(corpus)


def test_write_then_load_gives_the_same_pairs(tmp_path: Path, tiny_corpus: DatasetDict) -> None:
    write_prepared(tiny_corpus, tmp_path / "tiny", {"fingerprint": fingerprint(tiny_corpus)})
    loaded = load_prepared(str(tmp_path / "tiny"))
    for split in ("train", "validation", "test"):
        assert as_pairs(loaded, split) == as_pairs(tiny_corpus, split)


def test_writing_again_replaces_the_folder_whole(tmp_path: Path, tiny_corpus) -> None:
    folder = tmp_path / "tiny"
    write_prepared(tiny_corpus, folder, {"version": 1})
    (folder / "stale.txt").write_text("from an older version")
    smaller = pairs_to_corpus([("One.", "Eins.")])
    write_prepared(smaller, folder, {"version": 2})
    assert not (folder / "stale.txt").exists()
    assert json.loads((folder / STATS_FILE).read_text()) == {"version": 2}
    assert as_pairs(load_prepared(str(folder)), "train") == [("One.", "Eins.")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny"]  # no staging leftovers


def test_a_failed_write_keeps_the_previous_version(tmp_path: Path, tiny_corpus) -> None:
    folder = tmp_path / "tiny"
    write_prepared(tiny_corpus, folder, {"version": 1})
    with pytest.raises(TypeError):
        write_prepared(tiny_corpus, folder, {"version": object()})  # not JSON
    assert json.loads((folder / STATS_FILE).read_text()) == {"version": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny"]


def test_fingerprint_follows_the_content(tiny_corpus: DatasetDict) -> None:
    same = pairs_to_corpus(as_pairs(tiny_corpus, "train"))
    assert fingerprint(same) == fingerprint(tiny_corpus)
    changed = pairs_to_corpus([*as_pairs(tiny_corpus, "train")[:-1], ("Other.", "Andere.")])
    assert fingerprint(changed) != fingerprint(tiny_corpus)


def test_a_missing_folder_names_the_path_and_the_command(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"no prepared corpus at '.*nowhere'.*t5mt\.prepare"):
        prepared_datamodule(str(tmp_path / "nowhere")).corpus  # noqa: B018 (loads lazily)


def test_a_missing_split_names_the_file(tmp_path: Path, tiny_corpus) -> None:
    write_prepared(tiny_corpus, tmp_path / "tiny", {})
    split_file(tmp_path / "tiny", "validation").unlink()
    with pytest.raises(DataError, match=r"missing file: .*validation\.parquet"):
        load_prepared(str(tmp_path / "tiny"))


def test_a_damaged_or_foreign_file_is_a_data_error(tmp_path: Path, tiny_corpus) -> None:
    folder = tmp_path / "tiny"
    write_prepared(tiny_corpus, folder, {})
    split_file(folder, "test").write_bytes(b"not parquet")
    with pytest.raises(DataError, match=r"cannot read .*test\.parquet"):
        load_prepared(str(folder))
    pq.write_table(pa.table({"text": ["a"]}), split_file(folder, "test"))
    with pytest.raises(DataError, match=r"test\.parquet must have exactly one column"):
        load_prepared(str(folder))


def test_the_languages_must_be_in_the_files(tmp_path: Path, tiny_corpus) -> None:
    write_prepared(tiny_corpus, tmp_path / "tiny", {})
    with pytest.raises(DataError, match=r"train\.parquet: 'translation' has no \['fr'\]"):
        load_prepared(str(tmp_path / "tiny"), source_lang="en", target_lang="fr")


def test_wmt19_cleaning_counts_go_into_the_stats(tmp_path: Path, hub_folder: str) -> None:  # noqa: F811
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(
            "prepare",
            [
                "data=wmt19",
                f"data.corpus.dataset_name={hub_folder}",
                "data.corpus.train_size=50",
                "data.corpus.validation_size=10",
                "name=wmt19-small",
                f"out={tmp_path / 'wmt19'}",
            ],
        )
    stats = prepare(cfg)
    filtered = stats["filtered"]
    assert filtered["kept"] == 50
    dropped = sum(v for k, v in filtered.items() if k not in ("read", "kept"))
    assert dropped > 0 and filtered["read"] == filtered["kept"] + dropped
    assert stats["pairs"] == {"train": 50, "validation": 10, "test": 20, "total": 80}
    assert json.loads((tmp_path / "wmt19" / STATS_FILE).read_text()) == stats


def test_a_prepared_corpus_cannot_be_prepared_again(tmp_path: Path) -> None:
    result = run_module("t5mt.prepare", "data=prepared", "data.path=x", cwd=tmp_path, timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith("error: this data config has no corpus loader")
    assert "Traceback" not in result.stderr
