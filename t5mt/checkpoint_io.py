"""Checkpoints written atomically: a crash mid-write leaves the previous file, never a torn one."""

from pathlib import Path
from typing import Any

import torch
from fsspec.implementations.local import LocalFileSystem
from lightning_fabric.plugins.io.torch_io import TorchCheckpointIO
from lightning_fabric.utilities.cloud_io import get_filesystem
from lightning_fabric.utilities.types import _PATH

from t5mt.run_folder import atomic_file


def remove_partial_writes(folder: Path) -> list[Path]:
    """Delete temporary files a killed process left behind in `folder`; returns them."""
    leftovers = sorted(folder.glob(".*.ckpt.*.tmp"))
    for leftover in leftovers:
        leftover.unlink()
    return leftovers


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning's checkpoint IO with a rename-into-place save for local paths.

    Remote paths (gs://, s3://) keep Lightning's own save: object stores publish whole objects.
    """

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: _PATH, storage_options: Any | None = None
    ) -> None:
        if not isinstance(get_filesystem(path), LocalFileSystem):
            super().save_checkpoint(checkpoint, path, storage_options)
            return
        with atomic_file(Path(path), "wb") as file:
            torch.save(checkpoint, file)
