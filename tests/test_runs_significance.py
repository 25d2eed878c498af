"""`runs compare A B`: sacreBLEU's paired bootstrap resampling and approximate randomisation on
two runs' stored test sentences, equal to the sacrebleu command line's on the same files."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from t5mt.runs.__main__ import main
from t5mt.runs.significance import paired_tests
from tests.conftest import run_module

pytestmark = pytest.mark.slow


def copy_run(run: Path, into: Path) -> Path:
    shutil.copytree(run, into, ignore=shutil.ignore_patterns("tokenizer", "*.ckpt"))
    return into


def write_hypotheses(run: Path, drop_every: int) -> None:
    """Hypotheses that are the references with the last word dropped on every
    `drop_every`-th line (a debug run's own are empty: too little to test with)."""
    references = (run / "test.ref").read_text().splitlines()
    hypotheses = [
        " ".join(ref.split()[:-1]) if i % drop_every else ref for i, ref in enumerate(references)
    ]
    (run / "test.hyp").write_text("".join(h + "\n" for h in hypotheses))


@pytest.fixture
def two_runs(seed_sweep: Path, tmp_path: Path) -> tuple[Path, Path]:
    """Copies of seeds 0 and 1 of the sweep with hypotheses of different quality."""
    a, b = copy_run(seed_sweep / "0", tmp_path / "a"), copy_run(seed_sweep / "1", tmp_path / "b")
    write_hypotheses(a, 2)
    write_hypotheses(b, 3)
    return a, b


def sacrebleu(reference: Path, a: Path, b: Path, *options: str) -> str:
    """The sacrebleu command line on A (the baseline) and B, seed pinned as `runs compare`'s."""
    result = subprocess.run(
        [sys.executable, "-m", "sacrebleu", str(reference), "-i", str(a), str(b), *options],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "SACREBLEU_SEED": "12345"},
    )
    return result.stdout


def test_a_run_stores_every_scored_test_sentence(debug_run: Path) -> None:
    results = json.loads((debug_run / "results.json").read_text())
    counts = {
        suffix: len((debug_run / f"test.{suffix}").read_text().split("\n")) - 1
        for suffix in ("src", "ref", "hyp")
    }
    assert counts == dict.fromkeys(("src", "ref", "hyp"), results["test"]["sentences"])
    first = (debug_run / "samples.txt").read_text().split("\n\n")[0].splitlines()
    assert first[0] == "SRC " + (debug_run / "test.src").read_text().splitlines()[0]
    assert first[1] == "REF " + (debug_run / "test.ref").read_text().splitlines()[0]


def test_paired_tests_equal_the_sacrebleu_command_line(two_runs: tuple[Path, Path]) -> None:
    a, b = two_runs
    files = (a / "test.ref", a / "test.hyp", b / "test.hyp")
    lines = [path.read_text().splitlines() for path in files]
    bleu, chrf = paired_tests(lines[1], lines[2], [lines[0]], resamples=1000, trials=10000)
    assert bleu.metric == "BLEU" and chrf.metric == "chrF2"
    assert bleu.delta < 0  # B drops more words

    # BLEU, bootstrap: the command line's JSON has every digit
    cli = json.loads(sacrebleu(*files, "-m", "bleu", "--paired-bs", "-f", "json"))
    assert cli[0]["BLEU"]["score"] == bleu.a and cli[1]["BLEU"]["score"] == bleu.b
    assert cli[1]["BLEU"]["p_value"] == bleu.p_bootstrap
    assert cli[0]["BLEU"]["mean"] == bleu.a_mean and cli[0]["BLEU"]["ci"] == bleu.a_ci
    assert cli[1]["BLEU"]["mean"] == bleu.b_mean and cli[1]["BLEU"]["ci"] == bleu.b_ci

    # both metrics, approximate randomisation
    cli = json.loads(sacrebleu(*files, "-m", "bleu", "chrf", "--paired-ar", "-f", "json"))
    assert cli[1]["BLEU"]["p_value"] == bleu.p_randomisation
    assert cli[1]["chrF2"]["p_value"] == chrf.p_randomisation
    assert cli[1]["chrF2"]["score"] == chrf.b

    # chrF, bootstrap: its JSON fails in sacreBLEU 2.6 (a float32), so the table, 6 decimals
    table = sacrebleu(*files, "-m", "bleu", "chrf", "--paired-bs", "-w", "6", "-f", "text")
    chrf_a, chrf_b = re.findall(r"(\d+\.\d{6}) \((\d+\.\d{6}) ± (\d+\.\d{6})\) │\s*$", table, re.M)
    assert [float(x) for x in chrf_a] == [
        round(chrf.a, 6),
        round(chrf.a_mean, 6),
        round(chrf.a_ci, 6),
    ]
    assert [float(x) for x in chrf_b] == [
        round(chrf.b, 6),
        round(chrf.b_mean, 6),
        round(chrf.b_ci, 6),
    ]
    p_values = re.findall(r"\(p = (\d\.\d{4})\)", table)
    assert p_values == [f"{bleu.p_bootstrap:.4f}", f"{chrf.p_bootstrap:.4f}"]
    # the interval of B − A comes from the same resamples: B − A lies within it
    assert bleu.delta_low <= bleu.b_mean - bleu.a_mean <= bleu.delta_high


def test_compare_prints_deltas_intervals_p_values_and_a_verdict(
    two_runs: tuple[Path, Path], capsys
) -> None:
    a, b = two_runs
    main(["compare", str(a), str(b)])
    output = capsys.readouterr().out
    lines = [
        path.read_text().splitlines() for path in (a / "test.ref", a / "test.hyp", b / "test.hyp")
    ]
    bleu, chrf = paired_tests(lines[1], lines[2], [lines[0]])
    row = next(line for line in output.splitlines() if line.startswith("│ BLEU "))
    for text in (
        f"{bleu.delta:+.2f}",
        f"[{bleu.delta_low:+.2f}, {bleu.delta_high:+.2f}]",
        f"{bleu.p_bootstrap:.4f}",
        f"{bleu.p_randomisation:.4f}",
    ):
        assert text in row
    assert f"BLEU: {bleu.verdict()}" in output and f"chrF2: {chrf.verdict()}" in output
    assert "config differences" in output and "seed" in output

    # a run against itself: no difference at all
    main(["compare", str(a), str(a), "--resamples", "200", "--trials", "200"])
    assert "BLEU: no difference in BLEU: A and B score the same" in capsys.readouterr().out


def test_compare_refuses_runs_tested_on_different_data(
    two_runs: tuple[Path, Path], tmp_path: Path
) -> None:
    a, b = two_runs
    record = json.loads((b / "reproducibility.json").read_text())
    record["data"]["test_fingerprint"] = "sha256:" + "0" * 64
    (b / "reproducibility.json").write_text(json.dumps(record))
    result = run_module("t5mt.runs", "compare", str(a), str(b), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: A and B were tested on different test sets")
    assert "sha256:000" in result.stderr and result.stdout == ""

    # a run without the test fingerprint (an older one) is checked by its references
    del record["data"]["test_fingerprint"]
    (b / "reproducibility.json").write_text(json.dumps(record))
    references = (b / "test.ref").read_text().splitlines()
    (b / "test.ref").write_text("".join(r + "\n" for r in ["Ein anderer Satz.", *references[1:]]))
    result = run_module("t5mt.runs", "compare", str(a), str(b), cwd=tmp_path)
    assert result.returncode == 2
    assert "scored against different references (line 1: " in result.stderr
    assert "'Ein anderer Satz.'" in result.stderr


def test_compare_refuses_different_bleu_signatures(two_runs: tuple[Path, Path], capsys) -> None:
    a, b = two_runs
    results = json.loads((b / "results.json").read_text())
    results["test"]["bleu_signature"] = results["test"]["bleu_signature"].replace("13a", "intl")
    (b / "results.json").write_text(json.dumps(results))
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", str(a), str(b)])
    assert exit_info.value.code == 2
    assert "different BLEU signatures" in capsys.readouterr().err


def test_compare_without_test_sentences_says_so(two_runs: tuple[Path, Path], capsys) -> None:
    a, b = two_runs
    (b / "test.hyp").unlink()
    main(["compare", str(a), str(b)])
    assert "no paired test: a run has no test.hyp" in capsys.readouterr().out
