"""Checkpoint averaging: the element-wise mean of the weights of several checkpoints.

Averaging the last few checkpoints of a run (see `callbacks.keep_last`) usually scores a little
better than any one of them. `load_weights` is what every command's `ckpt=` loads.
"""

from pathlib import Path
from typing import Any

import torch

from t5mt.errors import RunFolderError

# what a checkpoint written by t5mt.average keeps of its newest source checkpoint
_KEPT_FIELDS = ("epoch", "global_step", "pytorch-lightning_version", "hyper_parameters")


def read_checkpoint(path: Path, mmap: bool = False) -> dict[str, Any]:
    """A Lightning checkpoint file, on the CPU; with `mmap`, its tensors are memory-mapped
    rather than read (for a look at its counters)."""
    return torch.load(path, map_location="cpu", mmap=mmap, weights_only=False)


def load_weights(paths: list[Path]) -> dict[str, torch.Tensor]:
    """The module state dict of one checkpoint, or the average of several."""
    if len(paths) == 1:
        return read_checkpoint(paths[0])["state_dict"]
    return average_weights(paths)


def average_weights(paths: list[Path]) -> dict[str, torch.Tensor]:
    """The element-wise mean of the checkpoints' floating-point weights (summed in float64,
    returned in each weight's own dtype); other tensors must be equal in all of them.

    RunFolderError names the two files and the key when the checkpoints do not share their
    weight names, shapes or non-float values.
    """
    first = read_checkpoint(paths[0])["state_dict"]
    sums = {
        key: value.double() if value.is_floating_point() else value for key, value in first.items()
    }
    for path in paths[1:]:
        weights = read_checkpoint(path)["state_dict"]
        _check_same_weights(paths[0], first, path, weights)
        for key, value in weights.items():
            if value.is_floating_point():
                sums[key] += value.double()
            elif not torch.equal(value, first[key]):
                raise RunFolderError(f"{path} and {paths[0]} differ in the non-float {key}")
    return {
        key: (total / len(paths)).to(first[key].dtype) if first[key].is_floating_point() else total
        for key, total in sums.items()
    }


def _check_same_weights(
    first_path: Path, first: dict[str, torch.Tensor], path: Path, weights: dict[str, torch.Tensor]
) -> None:
    if weights.keys() != first.keys():
        differing = sorted(weights.keys() ^ first.keys())
        raise RunFolderError(
            f"{path} and {first_path} hold different weights ({', '.join(differing[:5])}); "
            "only checkpoints of one architecture can be averaged"
        )
    for key, value in weights.items():
        if value.shape != first[key].shape:
            raise RunFolderError(
                f"{path} and {first_path} differ in the shape of {key}: "
                f"{tuple(value.shape)} vs {tuple(first[key].shape)}"
            )


def averaged_checkpoint(paths: list[Path]) -> dict[str, Any]:
    """A checkpoint with the average weights of `paths` and the step of the newest of them, and
    the names of the files it averages (`averaged`). It holds no optimizer state: it is for
    evaluating and exporting, not for resuming."""
    newest = read_checkpoint(paths[-1])
    return {
        **{field: newest[field] for field in _KEPT_FIELDS if field in newest},
        "state_dict": average_weights(paths),
        "averaged": [path.name for path in paths],
    }
