"""`python -m t5mt.evaluate`: scores from a run folder, equal to the sacrebleu command line's."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from t5mt.evaluate import split_of_run
from t5mt.run_folder import RunFolder
from t5mt.runs.significance import paired_tests
from tests.conftest import run_module

pytestmark = pytest.mark.slow


def sacrebleu_cli(hypotheses: Path, *references: Path) -> dict[str, float]:
    """Scores from the sacrebleu command line, 4 decimals."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sacrebleu",
            *map(str, references),
            "-i",
            str(hypotheses),
            "-m",
            "bleu",
            "chrf",
            "ter",
            "-w",
            "4",
            "-f",
            "json",
            "-tok",
            "13a",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    # names as the CLI prints them: BLEU, chrF2, TER
    return {
        entry["name"].lower().rstrip("2"): entry["score"] for entry in json.loads(result.stdout)
    }


@pytest.fixture(scope="module")
def evaluated_run(debug_run: Path, tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("eval") / "run"
    shutil.copytree(debug_run, run)
    result = run_module("t5mt.evaluate", f"run={run}", cwd=run.parent)
    assert result.returncode == 0, result.stderr[-3000:]
    return run


def test_test_split_report_has_scores_signatures_and_speed(evaluated_run: Path) -> None:
    report = json.loads((evaluated_run / "eval/test.json").read_text())
    assert report["sentences"] == 40
    for metric in ("bleu", "chrf", "ter"):
        assert isinstance(report[metric], float)
        assert report[f"{metric}_signature"].startswith("nrefs:1")
    # by default evaluate decodes as the run did, so it reproduces the test score of training
    assert report["decoding"] == {
        "ckpt": "best",
        "engine": "pytorch",
        "batch_size": 64,
        "batch_tokens": 4096,
        "num_beams": 1,
        "length_penalty": 1.0,
        "max_new_tokens": 16,
        "nbest": 1,
        "no_repeat_ngram_size": 0,
        "repetition_penalty": 1.0,
        "do_sample": False,
        "top_k": 0,
        "top_p": 1.0,
        "temperature": 1.0,
        "seed": None,
    }
    trained = json.loads((evaluated_run / "results.json").read_text())["test"]
    assert report["bleu"] == pytest.approx(trained["bleu"])
    assert report["chrf"] == pytest.approx(trained["chrf"])
    assert report["sentences_per_second"] > 0
    hypotheses = (evaluated_run / "eval/test.hyp").read_text().split("\n")
    assert len(hypotheses) == 41 and hypotheses[-1] == ""


def test_scores_equal_the_sacrebleu_command_line(evaluated_run: Path, tmp_path: Path) -> None:
    _, references, _ = split_of_run(RunFolder(evaluated_run), "test")
    reference_file = tmp_path / "ref.de"
    reference_file.write_text("".join(r + "\n" for r in references[0]), encoding="utf-8")
    report = json.loads((evaluated_run / "eval/test.json").read_text())
    cli = sacrebleu_cli(evaluated_run / "eval/test.hyp", reference_file)
    for metric in ("bleu", "chrf", "ter"):
        assert report[metric] == pytest.approx(cli[metric], abs=1e-4), metric


def test_files_with_two_references(evaluated_run: Path, tmp_path: Path) -> None:
    source = tmp_path / "src.en"
    source.write_text("The dog sees the cat.\nWe help the children.\n", encoding="utf-8")
    first, second = tmp_path / "a.de", tmp_path / "b.de"
    first.write_text("Der Hund sieht die Katze.\nWir helfen den Kindern.\n", encoding="utf-8")
    second.write_text("Der Hund sieht eine Katze.\nWir helfen Kindern.\n", encoding="utf-8")
    result = run_module(
        "t5mt.evaluate",
        f"run={evaluated_run}",
        f"src={source}",
        f"ref=[{first},{second}]",
        "name=two_refs",
        "num_beams=2",
        "max_new_tokens=16",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((evaluated_run / "eval/two_refs.json").read_text())
    assert report["sentences"] == 2
    assert report["bleu_signature"].startswith("nrefs:2")
    cli = sacrebleu_cli(evaluated_run / "eval/two_refs.hyp", first, second)
    assert report["bleu"] == pytest.approx(cli["bleu"], abs=1e-4)
    # what it was scored against lies beside it, for `runs compare`
    assert (evaluated_run / "eval/two_refs.src").read_text() == source.read_text()
    assert (evaluated_run / "eval/two_refs.ref").read_text() == first.read_text()
    assert (evaluated_run / "eval/two_refs.ref2").read_text() == second.read_text()


def test_runs_compare_tests_two_evaluate_outputs_pair_by_pair(
    evaluated_run: Path, tmp_path: Path
) -> None:
    eval_dir = evaluated_run / "eval"
    for suffix in ("json", "src", "ref"):
        shutil.copy(eval_dir / f"test.{suffix}", eval_dir / f"oracle.{suffix}")
    shutil.copy(eval_dir / "test.ref", eval_dir / "oracle.hyp")  # B translates perfectly
    result = run_module(
        "t5mt.runs", "compare", str(eval_dir / "test.hyp"), str(eval_dir / "oracle.hyp"),
        "--trials", "1000", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    hypotheses = [
        (eval_dir / f"{name}.hyp").read_text().splitlines() for name in ("test", "oracle")
    ]
    references = [(eval_dir / "test.ref").read_text().splitlines()]
    bleu, _ = paired_tests(*hypotheses, references, trials=1000)
    row = next(line for line in result.stdout.splitlines() if line.startswith("│ BLEU "))
    assert f"{bleu.delta:+.2f}" in row and f"{bleu.p_bootstrap:.4f}" in row
    assert "BLEU: B is better than A" in result.stdout

    (eval_dir / "oracle.ref").write_text("Ein Satz.\n" * len(references[0]))
    refused = run_module(
        "t5mt.runs", "compare", str(eval_dir / "test.hyp"), str(eval_dir / "oracle.hyp"),
        cwd=tmp_path,
    )  # fmt: skip
    assert refused.returncode == 2
    assert "scored against different references" in refused.stderr


def test_reference_with_wrong_line_count_is_an_error(evaluated_run: Path, tmp_path: Path) -> None:
    source, reference = tmp_path / "src.en", tmp_path / "ref.de"
    source.write_text("One.\nTwo.\n", encoding="utf-8")
    reference.write_text("Eins.\n", encoding="utf-8")
    result = run_module(
        "t5mt.evaluate",
        f"run={evaluated_run}",
        f"src={source}",
        f"ref=[{reference}]",
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert f"{source} has 2 lines but {reference} has 1 lines (line 2 has no partner)" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "prepare,message",
    [
        (lambda run: shutil.rmtree(run / "tokenizer"), "has no tokenizer"),
        (lambda run: (run / "checkpoints/best.ckpt").unlink(), "checkpoints in"),
        (lambda run: shutil.rmtree(run / ".hydra"), "is not a t5mt run folder"),
    ],
)
def test_incomplete_run_folders_are_reported(
    debug_run: Path, tmp_path: Path, prepare, message
) -> None:
    run = tmp_path / "run"
    shutil.copytree(debug_run, run)
    prepare(run)
    result = run_module("t5mt.evaluate", f"run={run}", cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
