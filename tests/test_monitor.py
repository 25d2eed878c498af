"""The drift monitor: features, PSI verdicts, the log reader, and the report command end to end."""

import json
import random
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from t5mt.data.synthetic import generate_pairs
from t5mt.errors import DataError
from t5mt.monitor.__main__ import main as monitor_cli
from t5mt.monitor.drift import MIN_LIVE_SENTENCES, numeric_drift, psi, verdict
from t5mt.monitor.features import charset_class
from t5mt.monitor.report import read_request_log
from t5mt.serve.app import create_app
from t5mt.serve.settings import ServeSettings
from tests.conftest import run_module


@pytest.mark.parametrize(
    ("char", "kind"),
    [
        ("a", "ascii_letter"),
        ("7", "digit"),
        (" ", "space"),
        ("\u00a0", "space"),
        (",", "ascii_punctuation"),
        ("ß", "latin_letter"),
        ("É", "latin_letter"),
        ("ж", "other_letter"),
        ("中", "other_letter"),
        ("€", "other"),
        ("\x07", "other"),
    ],
)
def test_character_classes(char: str, kind: str) -> None:
    assert charset_class(char) == kind


def test_psi_is_zero_for_equal_shares_and_large_for_moved_mass() -> None:
    assert psi([10, 20, 70], [1, 2, 7]) == pytest.approx(0.0)
    assert psi([50, 50, 0], [0, 50, 50]) > 1
    assert psi([90, 10], [80, 20]) == pytest.approx(0.1 * 0.693 + 0.1 * 0.118, abs=1e-2)


@pytest.mark.parametrize(
    ("value", "sentences", "expected"),
    [
        (0.05, 500, "stable"),
        (0.1, 500, "moderate"),
        (0.3, 500, "drift"),
        (3.0, MIN_LIVE_SENTENCES - 1, "too few samples"),
    ],
)
def test_verdict_thresholds(value: float, sentences: int, expected: str) -> None:
    assert verdict(value, sentences) == expected


def test_numeric_drift_tells_a_sample_of_the_same_lengths_from_longer_ones() -> None:
    rng = random.Random(0)
    reference = [rng.randint(5, 15) for _ in range(5000)]
    same = [rng.randint(5, 15) for _ in range(1000)]
    longer = [rng.randint(12, 30) for _ in range(1000)]
    assert numeric_drift(reference, same)["verdict"] == "stable"
    shifted = numeric_drift(reference, longer)
    assert shifted["verdict"] == "drift" and shifted["ks_statistic"] > 0.5
    assert sum(shifted["bins"]["live"]) == pytest.approx(1.0, abs=1e-3)


def test_log_reader_skips_failed_requests_and_names_a_bad_line(tmp_path: Path) -> None:
    log = tmp_path / "requests.jsonl"
    ok = {"status": 200, "characters": [3], "tokens": [2], "unknown_tokens": [0], "charset": {}}
    log.write_text(json.dumps(ok) + "\n" + json.dumps({"status": 422}) + "\n\n")
    features, requests, skipped = read_request_log(log)
    assert (features.characters, requests, skipped) == ([3], 2, 1)
    with log.open("a") as file:
        file.write('{"status": 200, "characters": [1]}\n')
    with pytest.raises(DataError, match=r"requests.jsonl, line 4: not a request record"):
        read_request_log(log)
    log.write_text(json.dumps({"status": 500}) + "\n")
    with pytest.raises(DataError, match="holds no translated request"):
        read_request_log(log)


def serve_sentences(run: Path, log: Path, sentences: list[str]) -> None:
    """Send `sentences` through the real app, which writes the request log."""
    settings = ServeSettings(run=str(run), model_id="run", request_log=str(log))
    with TestClient(create_app(settings)) as client:
        while client.get("/ready").status_code != 200:
            pass
        for start in range(0, len(sentences), 32):
            batch = sentences[start : start + 32]
            response = client.post("/translate", json={"texts": batch, "max_new_tokens": 2})
            assert response.status_code == 200, response.text


@pytest.mark.slow
def test_report_command_sees_no_drift_in_familiar_inputs_and_drift_in_foreign_ones(
    debug_run: Path, tmp_path: Path, capsys
) -> None:
    # the debug run trained on the synthetic grammar: new sentences of it are familiar
    familiar = [en for en, _ in generate_pairs(2000, seed=99)[-300:]]
    foreign = [
        "Съешь же ещё этих мягких французских булок, да выпей чаю!",
        "東京の天気は今日とても良いです。",
        "Invoice #4521: total 1,299.00 EUR due 2025-03-31; see https://example.com/pay?id=77",
    ] * 100
    serve_sentences(debug_run, tmp_path / "familiar.jsonl", familiar)
    serve_sentences(debug_run, tmp_path / "foreign.jsonl", foreign)

    reports = {}
    out = tmp_path / "reports"
    for name in ("familiar", "foreign"):
        log = tmp_path / f"{name}.jsonl"
        monitor_cli(["report", "--log", str(log), "--run", str(debug_run), "--out", str(out)])
        assert "overall:" in capsys.readouterr().out
        reports[name] = json.loads((out / f"{name}.json").read_text())
        html = (out / f"{name}.html").read_text()
        assert "<table" in html and reports[name]["verdict"] in html

    familiar_report, foreign_report = reports["familiar"], reports["foreign"]
    assert familiar_report["live"]["sentences"] == 300
    assert familiar_report["reference"]["sentences"] == 400  # the debug run's train split
    assert {f["verdict"] for f in familiar_report["features"].values()} == {"stable"}
    foreign_features = foreign_report["features"]
    assert {f["verdict"] for f in foreign_features.values()} == {"drift"}
    assert foreign_features["unknown_token_rate"]["live_rate"] > 0.1
    assert foreign_features["charset"]["live"] != foreign_features["charset"]["reference"]
    assert foreign_report["verdict"] == "drift"


@pytest.mark.slow
def test_report_command_reports_a_bad_log_without_traceback(
    debug_run: Path, tmp_path: Path
) -> None:
    log = tmp_path / "broken.jsonl"
    log.write_text("not json\n")
    result = run_module(
        "t5mt.monitor", "report", "--log", str(log), "--run", str(debug_run), cwd=tmp_path
    )
    assert result.returncode == 2
    assert f"error: {log}, line 1: not a request record" in result.stderr
    assert "Traceback" not in result.stderr
