"""How training examples are grouped into batches: a swappable component of the DataModule."""

from dataclasses import dataclass
from typing import Any

import torch
from torch.utils.data import Dataset


@dataclass
class RandomBatching:
    """Shuffled batches of a fixed number of sentence pairs, as most recipes use."""

    batch_size: int = 64

    def train_loader_kwargs(self, dataset: Dataset, seed: int) -> dict[str, Any]:
        """DataLoader arguments for the training split, reshuffled every epoch under `seed`."""
        generator = torch.Generator().manual_seed(seed)
        return {"batch_size": self.batch_size, "shuffle": True, "generator": generator}
