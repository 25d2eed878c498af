"""`python -m t5mt.translate`: text, files and stdin, order and count preserved."""

import json
from pathlib import Path

import pytest
import torch

from t5mt.errors import RunFolderError
from t5mt.inference import load_translator
from tests.conftest import run_module

pytestmark = pytest.mark.slow


def test_text_argument_prints_one_translation(debug_run: Path, tmp_path: Path) -> None:
    result = run_module(
        "t5mt.translate",
        f"run={debug_run}",
        "text='The dog sleeps.'",
        "max_new_tokens=16",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("\n") == 1


def test_file_input_keeps_count_order_and_empty_lines(debug_run: Path, tmp_path: Path) -> None:
    sentences = ["The dog sleeps.", "", "We help the small children in the garden.", "", "I read."]
    source = tmp_path / "in.en"
    source.write_text("\n".join(sentences) + "\n", encoding="utf-8")
    output = tmp_path / "out.de"
    result = run_module(
        "t5mt.translate",
        f"run={debug_run}",
        f"input={source}",
        f"output={output}",
        "num_beams=4",
        "max_new_tokens=16",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = output.read_text(encoding="utf-8").split("\n")[:-1]
    assert len(lines) == len(sentences)
    assert lines[1] == "" and lines[3] == ""
    # the same sentences translated one by one give the same lines: batching restored the order
    translator = load_translator(debug_run)
    assert lines == [
        translator.translate([s], num_beams=4, max_new_tokens=16)[0] for s in sentences
    ]


def test_stdin_is_translated_line_by_line(debug_run: Path, tmp_path: Path) -> None:
    result = run_module(
        "t5mt.translate",
        f"run={debug_run}",
        "num_beams=1",
        "max_new_tokens=16",
        cwd=tmp_path,
        input="A cat.\n\nA dog.\n",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.split("\n")
    assert len(lines) == 4 and lines[1] == ""


def test_invalid_utf8_names_the_line(debug_run: Path, tmp_path: Path) -> None:
    source = tmp_path / "bad.en"
    source.write_bytes(b"Fine.\nAlso fine.\nbroken \xff here\n")
    result = run_module("t5mt.translate", f"run={debug_run}", f"input={source}", cwd=tmp_path)
    assert result.returncode == 2
    assert f"{source}, line 3: invalid UTF-8" in result.stderr
    assert "Traceback" not in result.stderr


def test_over_long_inputs_are_truncated_with_a_counted_warning(debug_run: Path, caplog) -> None:
    translator = load_translator(debug_run)
    long = " ".join(["The small dog sees the old man."] * 40)
    with caplog.at_level("WARNING"):
        out = translator.translate([long, "The dog sleeps.", long], num_beams=1, max_new_tokens=8)
    assert len(out) == 3
    assert "2 of 3 inputs are longer than" in caplog.text


def test_not_a_run_folder(tmp_path: Path) -> None:
    result = run_module("t5mt.translate", f"run={tmp_path}", "text=Hello", cwd=tmp_path)
    assert result.returncode == 2
    assert "is not a t5mt run folder" in result.stderr and "Traceback" not in result.stderr


def test_a_checkpoint_that_does_not_fit_the_model_is_refused_by_name(
    debug_run: Path, tmp_path: Path
) -> None:
    state = torch.load(debug_run / "checkpoints/best.ckpt", map_location="cpu", weights_only=False)
    del state["state_dict"]["network.lm_head.weight"]
    state["state_dict"]["network.adapter.weight"] = torch.zeros(1)
    damaged = tmp_path / "damaged.ckpt"
    torch.save(state, damaged)
    with pytest.raises(RunFolderError) as refused:
        load_translator(debug_run, ckpt=str(damaged))
    assert "missing lm_head.weight; unexpected adapter.weight" in str(refused.value)


def test_nbest_writes_four_scored_hypotheses_per_input_in_order(
    debug_run: Path, tmp_path: Path
) -> None:
    sentences = ["The dog sleeps.", "We help the small children in the garden.", "I read."]
    source = tmp_path / "in.en"
    source.write_text("\n".join(sentences) + "\n", encoding="utf-8")
    output = tmp_path / "nbest.jsonl"
    result = run_module(
        "t5mt.translate",
        f"run={debug_run}",
        f"input={source}",
        f"output={output}",
        "num_beams=4",
        "nbest=4",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [line["source"] for line in lines] == sentences
    best = load_translator(debug_run).translate(sentences, num_beams=4)
    for line, expected in zip(lines, best, strict=True):
        scores = [h["score"] for h in line["hypotheses"]]
        assert len(scores) == 4 and scores == sorted(scores, reverse=True)
        assert line["hypotheses"][0]["text"] == expected


def test_a_bad_decoding_option_is_one_error_line(debug_run: Path, tmp_path: Path) -> None:
    result = run_module("t5mt.translate", f"run={debug_run}", "text=Hi.", "nbest=4", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: nbest=4 needs num_beams=4 or more (it is 1), or do_sample=true"
    )
