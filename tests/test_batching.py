"""Batch samplers: every example once per epoch, deterministic, and little padding when bucketed."""

import random

from t5mt.data.batching import BucketBatchSampler


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
