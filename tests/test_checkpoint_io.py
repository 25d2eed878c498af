"""Atomic checkpoints: a process killed while writing one leaves the previous checkpoint intact,
and the leftover temporary file is never mistaken for a checkpoint."""

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from t5mt.checkpoint_io import AtomicCheckpointIO, remove_partial_writes

# Saves a small checkpoint, then keeps rewriting the same path with a 400 MB one.
WRITER = textwrap.dedent(
    """
    import sys, torch
    from t5mt.checkpoint_io import AtomicCheckpointIO
    io, path = AtomicCheckpointIO(), sys.argv[1]
    io.save_checkpoint({"version": 1, "weights": torch.ones(4)}, path)
    print("saved", flush=True)
    big = {"version": 2, "weights": torch.ones(100_000_000)}
    while True:
        io.save_checkpoint(big, path)
    """
)


@pytest.mark.slow
def test_a_kill_mid_write_leaves_the_previous_checkpoint_whole(tmp_path: Path) -> None:
    path = tmp_path / "checkpoints" / "last.ckpt"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout.readline().strip() == "saved"
    deadline = time.monotonic() + 60
    while not list(path.parent.glob(".last.ckpt.*.tmp")) and time.monotonic() < deadline:
        time.sleep(0.01)
    writer.send_signal(signal.SIGKILL)
    writer.wait()

    leftovers = list(path.parent.glob(".last.ckpt.*.tmp"))
    assert leftovers, "the kill did not land mid-write"
    # whatever the kill interrupted, last.ckpt is one complete checkpoint (the small one, or a
    # big one if a rename completed before the kill)
    state = AtomicCheckpointIO().load_checkpoint(path, weights_only=False)
    assert state["version"] in (1, 2)
    assert state["weights"].eq(1).all()
    assert remove_partial_writes(path.parent) == sorted(leftovers)
    assert sorted(p.name for p in path.parent.iterdir()) == ["last.ckpt"]


def test_a_failed_save_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "best.ckpt"
    io = AtomicCheckpointIO()
    io.save_checkpoint({"version": 1}, path)

    class Unpicklable:
        def __reduce__(self):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        io.save_checkpoint({"version": 2, "payload": torch.ones(1000), "bad": Unpicklable()}, path)
    assert torch.load(path, weights_only=False) == {"version": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["best.ckpt"]
