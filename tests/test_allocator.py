"""keep_freed_memory: a large tensor allocated again after it was freed reuses the process's
memory instead of faulting fresh pages in (Linux with glibc)."""

import subprocess
import sys

import pytest

FAULTS_OF_A_SECOND_ALLOCATION = """
import resource, sys
import torch
from t5mt.allocator import keep_freed_memory
kept = keep_freed_memory() if sys.argv[1] == "keep" else None
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(2):
    before = faults()
    logits = torch.ones(1054, 8100)  # 34 MB, the multi30k_tiny logits
    del logits
print(kept, faults() - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt: Linux only")
def test_a_freed_large_tensor_is_reused_instead_of_faulted_in_again() -> None:
    def second_allocation(mode: str) -> tuple[str, int]:
        done = subprocess.run(
            [sys.executable, "-c", FAULTS_OF_A_SECOND_ALLOCATION, mode],
            capture_output=True,
            text=True,
            check=True,
        )
        kept, faults = done.stdout.split()
        return kept, int(faults)

    kept, faults_kept = second_allocation("keep")
    _, faults_default = second_allocation("default")
    if kept != "True":
        pytest.skip("this C library has no glibc mallopt")
    # 34 MB is ~8,300 pages of 4 KiB: faulted in at every allocation by default, once when kept
    assert faults_default > 5000
    assert faults_kept < 500
