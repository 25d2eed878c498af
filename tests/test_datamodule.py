"""DataModule: tokenized batches with dynamic padding, labels masked with -100."""

import pytest
import torch
from datasets import Dataset, DatasetDict

from t5mt.data.batching import RandomBatching
from t5mt.data.datamodule import TranslationDataModule
from t5mt.data.tokenizer import train_sentencepiece
from t5mt.errors import DataError
from tests.conftest import batches_lightning_trains_on


@pytest.fixture
def datamodule(tiny_corpus, tmp_path) -> TranslationDataModule:
    module = TranslationDataModule(
        corpus=lambda: tiny_corpus, batching=RandomBatching(batch_size=4), eval_batch_size=5
    )
    module.set_tokenizer(train_sentencepiece(module.training_texts(), tmp_path, vocab_size=80))
    module.setup("fit")
    return module


def test_training_batches_are_padded_to_their_longest_pair(datamodule) -> None:
    batch = next(iter(datamodule.train_dataloader()))
    assert batch["input_ids"].shape[0] == 4
    assert batch["input_ids"].shape == batch["attention_mask"].shape
    lengths = batch["attention_mask"].sum(dim=1)
    assert batch["input_ids"].shape[1] == int(lengths.max())  # dynamic, not max_length
    padded = batch["attention_mask"] == 0
    assert torch.all(batch["input_ids"][padded] == datamodule.tokenizer.pad_token_id)


def test_labels_are_masked_with_minus_100_after_eos(datamodule) -> None:
    batch = next(iter(datamodule.val_dataloader()))
    tokenizer = datamodule.tokenizer
    for labels, pair in zip(batch["labels"], datamodule.pairs("validation"), strict=True):
        kept = labels[labels != -100].tolist()
        assert kept == tokenizer(text_target=pair["de"])["input_ids"]
        assert kept[-1] == tokenizer.eos_token_id
        assert torch.all(labels[len(kept) :] == -100)


def test_eval_loaders_keep_corpus_order(datamodule) -> None:
    batch = next(iter(datamodule.test_dataloader()))
    sources = datamodule.tokenizer.batch_decode(batch["input_ids"], skip_special_tokens=True)
    assert sources == [p["en"] for p in datamodule.pairs("test")]


def test_task_prefix_is_prepended_to_sources(tiny_corpus, tmp_path) -> None:
    module = TranslationDataModule(corpus=lambda: tiny_corpus, task_prefix="translate: ")
    module.set_tokenizer(train_sentencepiece(module.training_texts(), tmp_path, vocab_size=80))
    module.setup("fit")
    first = module.tokenized["train"][0]["input_ids"]
    assert first == module.tokenizer("translate: The dog sleeps.")["input_ids"]
    assert first != module.tokenizer("The dog sleeps.")["input_ids"]


def test_truncation_respects_max_lengths(tiny_corpus, tmp_path) -> None:
    module = TranslationDataModule(
        corpus=lambda: tiny_corpus, max_source_length=6, max_target_length=5
    )
    module.set_tokenizer(train_sentencepiece(module.training_texts(), tmp_path, vocab_size=80))
    module.setup("fit")
    assert max(len(ids) for ids in module.tokenized["train"]["input_ids"]) == 6
    assert max(len(ids) for ids in module.tokenized["train"]["labels"]) == 5


def test_training_order_is_reproducible_under_the_seed(datamodule) -> None:
    def first_batch(seed: int) -> list[list[int]]:
        datamodule.seed = seed
        return next(iter(datamodule.train_dataloader()))["input_ids"].tolist()

    assert first_batch(1) == first_batch(1)
    assert any(first_batch(1) != first_batch(s) for s in range(2, 8))


def test_lightning_trains_every_epoch_in_its_own_order(tiny_corpus, tmp_path) -> None:
    module = TranslationDataModule(
        corpus=lambda: tiny_corpus, batching=RandomBatching(batch_size=1)
    )
    module.set_tokenizer(train_sentencepiece(module.training_texts(), tmp_path, vocab_size=80))
    batches = batches_lightning_trains_on(module, epochs=3, root=tmp_path)
    orders = [
        [batch["input_ids"].tolist() for batch in batches[e * 5 : e * 5 + 5]] for e in range(3)
    ]
    assert all(sorted(order) == sorted(orders[0]) for order in orders)  # each pair once an epoch
    assert orders[0] != orders[1] != orders[2]


def test_a_corpus_without_a_test_split_is_reported() -> None:
    split = Dataset.from_dict({"translation": [{"en": "a", "de": "b"}]})
    module = TranslationDataModule(corpus=lambda: DatasetDict(train=split, validation=split))
    with pytest.raises(DataError, match="no 'test' split"):
        _ = module.corpus
