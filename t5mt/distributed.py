"""What this process is in a distributed (DDP) job, and sharing Python objects between ranks."""

import os

import torch
from pytorch_lightning.utilities import rank_zero_only


def is_global_zero() -> bool:
    """Whether this is the process that keeps the run folder's records: local rank 0 (which
    Lightning reads from the environment of the processes it launches) on node 0."""
    return rank_zero_only.rank == 0 and int(os.environ.get("NODE_RANK", "0")) == 0


def gather_objects(items: list) -> list:
    """The `items` of every DDP process, concatenated in rank order (just `items` without DDP)."""
    if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
        return items
    parts: list[list | None] = [None] * torch.distributed.get_world_size()
    torch.distributed.all_gather_object(parts, items)
    return [item for part in parts for item in part]
