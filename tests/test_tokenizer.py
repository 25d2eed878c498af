"""The SentencePiece tokenizer trained on a corpus: real vocabulary, lossless round trip."""

import pytest

from t5mt.data.synthetic import synthetic_corpus
from t5mt.data.tokenizer import load_pretrained, load_saved, train_sentencepiece
from t5mt.errors import HubUnreachableError


@pytest.fixture(scope="module")
def corpus_texts() -> list[str]:
    corpus = synthetic_corpus(train_size=3000, validation_size=200, test_size=200)
    return [text for split in corpus.values() for p in split["translation"] for text in p.values()]


@pytest.fixture(scope="module")
def tokenizer(corpus_texts, tmp_path_factory):
    return train_sentencepiece(corpus_texts, tmp_path_factory.mktemp("tok"), vocab_size=600)


def test_vocabulary_has_the_requested_size(tokenizer) -> None:
    # the transformers-5 trap: a tokenizer built from the vocab file alone has 4 tokens
    assert len(tokenizer) == 600
    assert (tokenizer.pad_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id) == (0, 1, 2)


def test_decode_encode_round_trip_over_the_corpus(tokenizer, corpus_texts) -> None:
    encoded = tokenizer(corpus_texts)["input_ids"]
    assert all(ids[-1] == tokenizer.eos_token_id for ids in encoded)
    assert tokenizer.unk_token_id not in {i for ids in encoded for i in ids}
    decoded = tokenizer.batch_decode(encoded, skip_special_tokens=True)
    assert decoded == corpus_texts


def test_saved_tokenizer_reloads_identically(tokenizer, corpus_texts, tmp_path) -> None:
    tokenizer.save_pretrained(tmp_path)
    reloaded = load_saved(tmp_path)
    assert len(reloaded) == len(tokenizer)
    assert reloaded(corpus_texts[:50])["input_ids"] == tokenizer(corpus_texts[:50])["input_ids"]


def test_unreachable_pretrained_tokenizer_names_the_offline_alternatives(tmp_path) -> None:
    with pytest.raises(HubUnreachableError, match="model=t5_tiny"):
        load_pretrained("google-t5/t5-small", save_dir=tmp_path)
