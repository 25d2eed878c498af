"""Forced-decoding scores: equal to what the decoder itself scored, batch-independent, and a
command that names the file and line of misaligned input."""

import json
from pathlib import Path

import pytest
import torch
from conftest import run_module

from t5mt.data.synthetic import generate_pairs
from t5mt.inference import Translator
from t5mt.inference.scoring import forced_scores

SOURCES = [english for english, _ in generate_pairs(8, seed=3)]


def test_a_translation_scores_minus_its_training_loss(talkative: Translator) -> None:
    translations = [hs[0].text for hs in talkative.hypotheses(SOURCES)]
    translations[1] = "Der Hund schläft."
    network = talkative.engine.network
    for source, translation, forced in zip(
        SOURCES, translations, forced_scores(talkative, SOURCES, translations), strict=True
    ):
        assert forced.tokens[-1] == "</s>" and len(forced.token_logprobs) == len(forced.tokens)
        assert forced.logprob == pytest.approx(sum(forced.token_logprobs), abs=1e-3)
        text = talkative.tokenizer.convert_tokens_to_string(forced.tokens[:-1])
        assert text.strip() == translation
        # transformers' own cross-entropy of the pair, as training computes it
        inputs = talkative.tokenizer([source], return_tensors="pt")
        labels = talkative.tokenizer(text_target=[translation], return_tensors="pt").input_ids
        with torch.no_grad():
            loss = network(**inputs, labels=labels).loss.item()
        assert forced.per_token == pytest.approx(-loss, abs=1e-3)


def test_scores_do_not_depend_on_the_batch(talkative: Translator) -> None:
    translations = ["Der Hund schläft.", "", "Die kleine Katze sieht den alten Mann im Garten."] * 2
    together = forced_scores(talkative, SOURCES[:6], translations, batch_size=6)
    alone = forced_scores(talkative, SOURCES[:6], translations, batch_size=1)
    for a, b in zip(together, alone, strict=True):
        assert a.tokens == b.tokens
        assert a.logprob == pytest.approx(b.logprob, abs=1e-3)
    assert together[1].tokens == ["</s>"]  # an empty translation is just its end


@pytest.mark.slow
def test_score_command_writes_json_lines_and_names_misaligned_lines(
    debug_run: Path, tmp_path: Path
) -> None:
    source, hyp = tmp_path / "src.en", tmp_path / "hyp.de"
    source.write_text("The dog sleeps.\nI read.\n", encoding="utf-8")
    hyp.write_text("Der Hund schläft.\nIch lese.\n", encoding="utf-8")
    output = tmp_path / "scores.jsonl"
    args = (f"run={debug_run}", f"src={source}", f"hyp={hyp}")
    result = run_module("t5mt.score", *args, f"output={output}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 2 and all(line["logprob"] < 0 for line in lines)
    assert set(lines[0]) == {"logprob", "per_token", "tokens", "token_logprobs"}
    hyp.write_text("Der Hund schläft.\n", encoding="utf-8")
    result = run_module("t5mt.score", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: {source} has 2 lines but {hyp} has 1 lines (line 2 has no partner); "
        "aligned files must have the same number of lines"
    )
