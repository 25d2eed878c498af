"""How training examples are grouped into batches: a swappable component of the DataModule."""

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from datasets import Dataset
from torch.utils.data import Sampler


@dataclass
class RandomBatching:
    """Shuffled batches of a fixed number of sentence pairs, as most recipes use."""

    batch_size: int = 64

    def train_loader_kwargs(self, dataset: Dataset, seed: int) -> dict[str, Any]:
        """DataLoader arguments for the training split, reshuffled every epoch under `seed`."""
        generator = torch.Generator().manual_seed(seed)
        return {"batch_size": self.batch_size, "shuffle": True, "generator": generator}


@dataclass
class LengthBucketedBatching:
    """Batches of `batch_size` pairs of similar length, so little of each batch is padding.

    Each epoch shuffles the pairs, sorts them by length within pools of `pool_batches` batches,
    cuts the pools into batches and shuffles the batches.
    """

    batch_size: int = 64
    pool_batches: int = 100

    def train_loader_kwargs(self, dataset: Dataset, seed: int) -> dict[str, Any]:
        """DataLoader arguments with a length-bucketing batch sampler."""
        lengths = [
            len(source) + len(target)
            for source, target in zip(dataset["input_ids"], dataset["labels"], strict=True)
        ]
        sampler = BucketBatchSampler(lengths, self.batch_size, self.pool_batches, seed)
        return {"batch_sampler": sampler}


class BucketBatchSampler(Sampler[list[int]]):
    """Yields index batches of similar lengths; deterministic for a seed and an epoch."""

    def __init__(self, lengths: Sequence[int], batch_size: int, pool_batches: int, seed: int):
        self.lengths = lengths
        self.batch_size = batch_size
        self.pool_size = batch_size * pool_batches
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Called by Lightning before each epoch, so every epoch has its own order."""
        self.epoch = epoch

    def __iter__(self) -> Iterator[list[int]]:
        rng = random.Random(self.seed * 100_003 + self.epoch)
        order = list(range(len(self.lengths)))
        rng.shuffle(order)
        batches = []
        for start in range(0, len(order), self.pool_size):
            pool = sorted(order[start : start + self.pool_size], key=self.lengths.__getitem__)
            batches += [pool[i : i + self.batch_size] for i in range(0, len(pool), self.batch_size)]
        rng.shuffle(batches)
        return iter(batches)

    def __len__(self) -> int:
        full_pools, rest = divmod(len(self.lengths), self.pool_size)
        per_pool = math.ceil(self.pool_size / self.batch_size)
        return full_pools * per_pool + math.ceil(rest / self.batch_size)
