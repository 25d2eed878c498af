"""Where training is in the data, so that a resumed run continues with the very next batch.

Every batching's order depends only on the seed and the epoch; a checkpoint records the epoch
and how many of its batches were trained on, and the resumed run starts the epoch part-way.
"""

import itertools
from collections.abc import Iterator
from typing import Any

import pytorch_lightning as pl
from torch.utils.data import Sampler


class ResumableBatchSampler(Sampler[list[int]]):
    """A batch sampler, deterministic for an epoch, that can start an epoch after its first
    `batches_done` batches."""

    def __init__(self, batches: Sampler[list[int]]) -> None:
        self.batches = batches
        self.epoch = 0
        self._skip = 0

    def set_epoch(self, epoch: int) -> None:
        """Lightning calls this before each epoch; passed on to the samplers that shuffle."""
        self.epoch = epoch
        for target in (self.batches, getattr(self.batches, "sampler", None)):
            if hasattr(target, "set_epoch"):
                target.set_epoch(epoch)

    @property
    def sampler(self) -> "ResumableBatchSampler":
        """Lightning sets the epoch on `dataloader.batch_sampler.sampler`, never on the batch
        sampler itself: answering there is what makes every epoch's order its own."""
        return self

    def start_at(self, epoch: int, batches_done: int) -> None:
        """Make the next iteration continue `epoch` after `batches_done` batches."""
        if batches_done >= len(self):
            epoch, batches_done = epoch + 1, 0
        self.set_epoch(epoch)
        self._skip = batches_done

    def __iter__(self) -> Iterator[list[int]]:
        skip, self._skip = self._skip, 0
        return itertools.islice(iter(self.batches), skip, None)

    def __len__(self) -> int:
        return len(self.batches)


class DataPosition(pl.Callback):
    """Saves the epoch and the number of its batches trained on in every checkpoint; on resume,
    hands them to the DataModule before the training data loader is built."""

    def on_save_checkpoint(
        self, trainer: pl.Trainer, module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        checkpoint["data_position"] = {
            "epoch": trainer.current_epoch,
            # batches trained on this epoch (a mid-epoch save happens at the end of a batch)
            "batches_done": trainer.fit_loop.epoch_loop.batch_progress.current.processed,
        }

    def on_load_checkpoint(
        self, trainer: pl.Trainer, module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        position = checkpoint.get("data_position")
        if position is not None and trainer.datamodule is not None:
            trainer.datamodule.resume_position = (position["epoch"], position["batches_done"])
