"""The user's own parallel files: every accepted layout, and a DataError for every defect."""

import gzip
import json
from pathlib import Path

import pytest

from t5mt.data.files import load_parallel_files, pairs_to_dataset_dict, read_split
from t5mt.errors import DataError, T5mtError

PAIRS = [("The dog sleeps.", "Der Hund schläft."), ("We help.", "Wir helfen.")]


def write(path: Path, text: str) -> Path:
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode("utf-8")))
    else:
        path.write_bytes(text.encode("utf-8"))
    return path


def write_aligned(prefix: Path, pairs=PAIRS, suffix: str = "") -> str:
    write(Path(f"{prefix}.en{suffix}"), "".join(f"{en}\n" for en, _ in pairs))
    write(Path(f"{prefix}.de{suffix}"), "".join(f"{de}\n" for _, de in pairs))
    return str(prefix)


def write_tsv(path: Path, pairs=PAIRS) -> str:
    return str(write(path, "".join(f"{en}\t{de}\n" for en, de in pairs)))


def write_jsonl(path: Path, pairs=PAIRS) -> str:
    lines = (
        json.dumps({"translation": {"en": en, "de": de}}, ensure_ascii=False) for en, de in pairs
    )
    return str(write(path, "".join(f"{line}\n" for line in lines)))


def as_pairs(split) -> list[tuple[str, str]]:
    return [(row["translation"]["en"], row["translation"]["de"]) for row in split]


def test_each_layout_gives_the_wmt_schema(tmp_path: Path):
    train = write_aligned(tmp_path / "train")
    validation = write_aligned(tmp_path / "valid", suffix=".gz")
    test = write_tsv(tmp_path / "test.tsv")
    corpus = load_parallel_files(train, validation, test)

    assert list(corpus) == ["train", "validation", "test"]
    for split in corpus.values():
        assert split.column_names == ["translation"]
        assert as_pairs(split) == PAIRS


def test_jsonl_and_gzipped_tsv(tmp_path: Path):
    jsonl = write_jsonl(tmp_path / "a.jsonl")
    tsv_gz = write_tsv(tmp_path / "b.tsv.gz")
    corpus = load_parallel_files(jsonl, tsv_gz, jsonl)
    assert as_pairs(corpus["train"]) == PAIRS
    assert as_pairs(corpus["validation"]) == PAIRS


def test_languages_are_parameters(tmp_path: Path):
    prefix = tmp_path / "c"
    write(Path(f"{prefix}.de"), "Der Hund.\n")
    write(Path(f"{prefix}.fr"), "Le chien.\n")
    corpus = load_parallel_files(str(prefix), str(prefix), str(prefix), "de", "fr")
    assert corpus["test"][0]["translation"] == {"de": "Der Hund.", "fr": "Le chien."}


def test_format_forces_the_reading(tmp_path: Path):
    path = write_tsv(tmp_path / "pairs.txt")
    assert read_split(path, format="tsv") == PAIRS
    with pytest.raises(DataError, match=r"pairs\.txt\.en"):  # auto: a prefix of aligned files
        read_split(path)
    with pytest.raises(T5mtError, match="unknown data format 'xml'"):
        read_split(path, format="xml")


def test_windows_line_endings_and_surrounding_spaces_are_dropped(tmp_path: Path):
    path = write(tmp_path / "crlf.tsv", "  The dog. \t Der Hund.\r\n")
    assert read_split(str(path)) == [("The dog.", "Der Hund.")]


def test_missing_file_names_both_candidates(tmp_path: Path):
    write(tmp_path / "train.en", "a\n")
    with pytest.raises(DataError, match=r"train\.de.*train\.de\.gz"):
        read_split(str(tmp_path / "train"))
    with pytest.raises(DataError, match=r"missing file: .*nothere\.tsv"):
        read_split(str(tmp_path / "nothere.tsv"))


def test_plain_and_gzip_side_by_side_is_ambiguous(tmp_path: Path):
    write_aligned(tmp_path / "x")
    write_aligned(tmp_path / "x", suffix=".gz")
    with pytest.raises(DataError, match="both"):
        read_split(str(tmp_path / "x"))


def test_line_count_mismatch_names_both_files_and_counts(tmp_path: Path):
    write(tmp_path / "m.en", "a\nb\nc\n")
    write(tmp_path / "m.de", "a\nb\n")
    with pytest.raises(DataError, match=r"m\.en has 3 lines but .*m\.de has 2 lines"):
        read_split(str(tmp_path / "m"))


@pytest.mark.parametrize("side", ["en", "de"])
def test_empty_line_on_either_side(tmp_path: Path, side: str):
    write_aligned(tmp_path / "e", [("a", "b"), ("c", "d"), ("e", "f")])
    write(tmp_path / f"e.{side}", "x\n \ny\n")
    with pytest.raises(DataError, match=rf"e\.{side}, line 2: empty line"):
        read_split(str(tmp_path / "e"))


def test_no_trailing_newline_is_fine_but_a_blank_last_line_is_not(tmp_path: Path):
    assert read_split(str(write(tmp_path / "ok.tsv", "a\tb\nc\td"))) == [("a", "b"), ("c", "d")]
    with pytest.raises(DataError, match="line 2: empty line"):
        read_split(str(write(tmp_path / "blank.tsv", "a\tb\n\n")))


def test_empty_file(tmp_path: Path):
    write_aligned(tmp_path / "z", [])
    with pytest.raises(DataError, match=r"z\.en is empty"):
        read_split(str(tmp_path / "z"))


def test_invalid_utf8_names_file_and_line(tmp_path: Path):
    (tmp_path / "bad.tsv").write_bytes(b"a\tb\nc\t\xff\xfe\n")
    with pytest.raises(DataError, match=r"bad\.tsv, line 2: invalid UTF-8"):
        read_split(str(tmp_path / "bad.tsv"))


def test_invalid_utf8_inside_gzip(tmp_path: Path):
    (tmp_path / "g.en.gz").write_bytes(gzip.compress(b"ok\n\xc3(\n"))
    write(tmp_path / "g.de.gz", "gut\nschlecht\n")
    with pytest.raises(DataError, match=r"g\.en\.gz, line 2: invalid UTF-8"):
        read_split(str(tmp_path / "g"))


def test_corrupt_gzip_is_a_data_error(tmp_path: Path):
    (tmp_path / "c.en.gz").write_bytes(b"not gzip at all\n")
    write(tmp_path / "c.de.gz", "x\n")
    with pytest.raises(DataError, match=r"cannot read .*c\.en\.gz"):
        read_split(str(tmp_path / "c"))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("no tab here", "expected exactly one tab.*found 0"),
        ("a\tb\tc", "expected exactly one tab.*found 2"),
        ("a\t ", "the target side is empty"),
        ("\tb", "the source side is empty"),
    ],
)
def test_tsv_defects(tmp_path: Path, line: str, message: str):
    path = write(tmp_path / "t.tsv", f"fine\tgut\n{line}\n")
    with pytest.raises(DataError, match=rf"t\.tsv, line 2: {message}"):
        read_split(str(path))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"translation": {"en": "a"', "invalid JSON"),
        ('["a", "b"]', 'no "translation" object'),
        ('{"en": "a", "de": "b"}', 'no "translation" object'),
        ('{"translation": {"en": "a"}}', '"translation" has no string "de"'),
        ('{"translation": {"en": 1, "de": "b"}}', '"translation" has no string "en"'),
        ('{"translation": {"en": "a", "de": " "}}', r'"translation\.de" is empty'),
    ],
)
def test_jsonl_defects(tmp_path: Path, line: str, message: str):
    good = json.dumps({"translation": {"en": "a", "de": "b"}})
    path = write(tmp_path / "j.jsonl", f"{good}\n{good}\n{line}\n")
    with pytest.raises(DataError, match=rf"j\.jsonl, line 3: {message}"):
        read_split(str(path))


def test_the_error_names_the_split_file_that_is_broken(tmp_path: Path):
    good = write_tsv(tmp_path / "good.tsv")
    bad = str(write(tmp_path / "bad.tsv", "a\tb\nc\n"))
    with pytest.raises(DataError, match=r"bad\.tsv, line 2"):
        load_parallel_files(good, good, bad)


def test_same_language_twice_is_refused(tmp_path: Path):
    tsv = write_tsv(tmp_path / "p.tsv")
    with pytest.raises(T5mtError, match="both 'en'"):
        load_parallel_files(tsv, tsv, tsv, "en", "en")


def test_pairs_to_dataset_dict_requires_the_three_splits():
    with pytest.raises(ValueError, match="splits"):
        pairs_to_dataset_dict({"train": PAIRS, "validation": PAIRS})
