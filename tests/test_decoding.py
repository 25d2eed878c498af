"""Decoding options: n-best lists with scores, repetition controls and seeded sampling, the
same on the PyTorch and CTranslate2 engines, and a clear error for every bad value."""

import pytest

from t5mt.data.synthetic import generate_pairs
from t5mt.errors import ConfigError
from t5mt.export import export_network
from t5mt.inference import Ct2Engine, Decoding, Translator

SOURCES = [english for english, _ in generate_pairs(6, seed=2)]


@pytest.fixture(scope="module")
def ct2(talkative: Translator, tmp_path_factory) -> Translator:
    folder = tmp_path_factory.mktemp("ct2") / "float32"
    export_network(talkative.engine.network, talkative.tokenizer, "float32", folder)
    return Translator(Ct2Engine.load(folder), talkative.tokenizer, max_new_tokens=8)


def test_nbest_gives_k_distinct_hypotheses_best_first(talkative: Translator) -> None:
    nbest = talkative.hypotheses(["", *SOURCES], num_beams=4, nbest=4)
    assert nbest[0] == []  # an empty line has nothing to translate
    for found in nbest[1:]:
        assert len(found) == 4 and len({h.text for h in found}) == 4
        scores = [h.score for h in found]
        assert scores == sorted(scores, reverse=True) and all(s < 0 for s in scores)
    # the first hypothesis is the translation that beam search alone gives
    assert [found[0].text for found in nbest[1:]] == talkative.translate(SOURCES, num_beams=4)
    # a single best translation is not scored: that would keep every step's scores
    assert all(found[0].score is None for found in talkative.hypotheses(SOURCES, num_beams=4))


def test_ct2_nbest_lists_equal_pytorch(talkative: Translator, ct2: Translator) -> None:
    expected = talkative.hypotheses(SOURCES, num_beams=4, nbest=3)
    found = ct2.hypotheses(SOURCES, num_beams=4, nbest=3)
    assert [[h.text for h in hs] for hs in found] == [[h.text for h in hs] for hs in expected]


def test_seeded_sampling_repeats_and_seeds_differ(talkative: Translator) -> None:
    def sample(seed: int) -> list[list[str]]:
        found = talkative.hypotheses(SOURCES, do_sample=True, nbest=3, top_k=50, seed=seed)
        return [[h.text for h in hs] for hs in found]

    assert sample(1) == sample(1)
    assert sample(1) != sample(2)
    assert sample(1) != [[t] * 3 for t in talkative.translate(SOURCES)]


def test_ct2_samples_but_refuses_nbest_and_seed(ct2: Translator) -> None:
    options = {"do_sample": True, "top_k": 0, "temperature": 1.5}
    assert ct2.translate(SOURCES, **options) != ct2.translate(SOURCES)
    with pytest.raises(ConfigError, match="engine=ct2 samples one hypothesis"):
        ct2.hypotheses(SOURCES, nbest=2, **options)
    with pytest.raises(ConfigError, match="engine=ct2 cannot seed"):
        ct2.hypotheses(SOURCES, seed=1, **options)


def test_no_repeat_ngram_size_forbids_repeated_tokens(
    talkative: Translator, ct2: Translator
) -> None:
    for translator in (talkative, ct2):
        plain = translator.hypotheses(SOURCES, num_beams=2)
        assert any(repeats(talkative, hs[0].text) for hs in plain)  # so the option shows
        for hs in translator.hypotheses(SOURCES, num_beams=2, no_repeat_ngram_size=1):
            assert not repeats(talkative, hs[0].text)
    penalised = talkative.translate(SOURCES, repetition_penalty=3.0)
    assert penalised != talkative.translate(SOURCES)
    assert penalised == ct2.translate(SOURCES, repetition_penalty=3.0)


def repeats(translator: Translator, text: str) -> bool:
    ids = translator.tokenizer(text, add_special_tokens=False)["input_ids"]
    return len(set(ids)) < len(ids)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"nbest": 0}, "nbest=0 must be at least 1"),
        ({"nbest": 3, "num_beams": 2}, "nbest=3 needs num_beams=3 or more"),
        ({"no_repeat_ngram_size": -1}, "no_repeat_ngram_size=-1"),
        ({"repetition_penalty": 0.0}, "repetition_penalty=0.0 must be positive"),
        ({"top_p": 0.9}, "top_p need do_sample=true"),
        ({"temperature": 0.7, "seed": 1}, "temperature, seed need do_sample=true"),
        ({"do_sample": True, "top_p": 1.5}, r"top_p=1.5 must be in \(0, 1\]"),
        ({"do_sample": True, "top_k": -2}, "top_k=-2"),
        ({"do_sample": True, "temperature": 0.0}, "temperature=0.0 must be positive"),
    ],
)
def test_bad_decoding_values_name_the_key(options: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Decoding(**{"num_beams": 1, "max_new_tokens": 8, **options})
