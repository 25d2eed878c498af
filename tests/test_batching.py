"""Batch samplers: every example once per epoch, deterministic, and little padding when bucketed."""

import random

import pytest
from conftest import MULTI30K, needs_multi30k
from datasets import Dataset

from t5mt.data.batching import (
    BucketBatchSampler,
    RandomBatching,
    Shard,
    TokenBatchSampler,
    padding_fraction,
    token_budget_batches,
)
from t5mt.data.multi30k import load_multi30k
from t5mt.data.synthetic import generate_pairs
from t5mt.data.tokenizer import train_sentencepiece


def padding_share(batches: list[list[int]], lengths: list[int]) -> float:
    slots = sum(len(b) * max(lengths[i] for i in b) for b in batches)
    return 1 - sum(lengths) / slots


def test_bucketed_batches_cover_every_example_once_per_epoch() -> None:
    lengths = [random.Random(i).randint(3, 60) for i in range(1001)]
    sampler = BucketBatchSampler(lengths, batch_size=16, pool_batches=8, seed=3)
    batches = list(sampler)
    assert len(batches) == len(sampler)
    assert sorted(i for b in batches for i in b) == list(range(1001))
    assert all(len(b) <= 16 for b in batches)


def test_bucketing_removes_most_padding() -> None:
    rng = random.Random(0)
    lengths = [rng.randint(5, 60) for _ in range(4000)]
    bucketed = list(BucketBatchSampler(lengths, batch_size=32, pool_batches=50, seed=0))
    order = list(range(4000))
    rng.shuffle(order)
    shuffled = [order[i : i + 32] for i in range(0, 4000, 32)]
    assert padding_share(bucketed, lengths) < 0.05 < 0.3 < padding_share(shuffled, lengths)


def test_order_depends_on_seed_and_epoch_only() -> None:
    lengths = list(range(500))
    sampler = BucketBatchSampler(lengths, batch_size=10, pool_batches=5, seed=1)
    first = list(sampler)
    assert list(sampler) == first  # same epoch, same order
    sampler.set_epoch(1)
    assert list(sampler) != first
    again = BucketBatchSampler(lengths, batch_size=10, pool_batches=5, seed=1)
    again.set_epoch(1)
    assert list(again) == list(sampler)
    assert list(BucketBatchSampler(lengths, 10, 5, seed=2)) != first


def test_token_batches_stay_within_budget_and_cover_every_example() -> None:
    rng = random.Random(0)
    source = [rng.randint(3, 40) for _ in range(3000)]
    target = [length + rng.randint(-2, 3) for length in source]  # translations: similar lengths
    sampler = TokenBatchSampler(source, target, max_tokens=1000, pool_size=1000, seed=0)
    batches = list(sampler)
    assert len(batches) == len(sampler)
    assert sorted(i for b in batches for i in b) == list(range(3000))
    for batch in batches:
        cost = len(batch) * (max(source[i] for i in batch) + max(target[i] for i in batch))
        assert cost <= 1000
    # the budget is used: batches of short pairs hold more of them
    assert padding_fraction(batches, source, target) < 0.15
    assert max(map(len, batches)) > 2 * min(map(len, batches))


def test_a_pair_over_the_budget_is_a_batch_of_its_own() -> None:
    batches = token_budget_batches([0, 1, 2], 10, [2, 30, 2], [2, 2, 2])
    assert batches == [[0], [1], [2]]
    assert token_budget_batches(range(5), 100, [1] * 5, max_size=2) == [[0, 1], [2, 3], [4]]


def test_token_batches_are_reshuffled_every_epoch_under_the_seed() -> None:
    lengths = [random.Random(i).randint(3, 30) for i in range(800)]
    sampler = TokenBatchSampler(lengths, lengths, 300, pool_size=200, seed=5)
    first = list(sampler)
    sampler.set_epoch(1)
    second = list(sampler)
    assert first != second and sorted(map(sorted, first)) != sorted(map(sorted, second))
    again = TokenBatchSampler(lengths, lengths, 300, pool_size=200, seed=5)
    again.set_epoch(1)
    assert list(again) == second


@pytest.mark.parametrize(
    "make",
    [
        lambda lengths, shard: TokenBatchSampler(lengths, lengths, 200, 300, seed=1, shard=shard),
        lambda lengths, shard: BucketBatchSampler(lengths, 8, 10, seed=1, shard=shard),
    ],
    ids=["tokens", "bucketed"],
)
def test_ddp_shards_are_disjoint_and_equal_in_count(make) -> None:
    lengths = [random.Random(i).randint(3, 30) for i in range(997)]
    whole = make(lengths, Shard())
    shards = [list(make(lengths, Shard(rank, 3))) for rank in range(3)]
    assert len({len(shard) for shard in shards}) == 1 == len({len(s) for s in shards})
    assert all(len(shard) == len(make(lengths, Shard(0, 3))) for shard in shards)
    dealt = [i for shard in shards for batch in shard for i in batch]
    assert len(dealt) == len(set(dealt))  # no pair on two processes
    # together the processes train on all but at most two of the epoch's batches
    assert len(list(whole)) - sum(map(len, shards)) < 3


def test_random_batching_shards_the_epoch_between_processes() -> None:
    dataset = Dataset.from_dict({"x": list(range(100))})
    shards = [list(RandomBatching(8).batch_sampler(dataset, 0, Shard(r, 2))) for r in range(2)]
    assert len(shards[0]) == len(shards[1])
    assert set().union(*shards[0]).isdisjoint(set().union(*shards[1]))
    assert len(set().union(*shards[0], *shards[1])) == 100


def test_a_token_budget_keeps_translations_and_their_order(tiny_translator) -> None:
    sentences = [english for english, _ in generate_pairs(30, seed=2)]
    sentences[3] = ""
    expected = tiny_translator.translate(sentences, batch_size=64)
    assert tiny_translator.translate(sentences, batch_size=64, batch_tokens=40) == expected


@needs_multi30k
@pytest.mark.slow
def test_token_batches_of_multi30k_are_under_ten_percent_padding(tmp_path) -> None:
    corpus = load_multi30k(mirror=str(MULTI30K))
    pairs = corpus["train"]["translation"]
    tokenizer = train_sentencepiece(
        (text for pair in pairs[:5000] for text in pair.values()), tmp_path, vocab_size=4000
    )
    source = [len(ids) for ids in tokenizer([p["en"] for p in pairs])["input_ids"]]
    target = [len(ids) for ids in tokenizer([p["de"] for p in pairs])["input_ids"]]
    budget = 64 * (sum(source) + sum(target)) // len(source)
    batches = list(TokenBatchSampler(source, target, budget, pool_size=16384, seed=0))
    assert padding_fraction(batches, source, target) < 0.10
    assert len(source) / len(batches) > 55  # about the 64 pairs per batch the budget is for
