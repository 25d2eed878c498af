"""keep_freed_memory: once a training loop's heap has settled, a large tensor allocated again
after it was freed reuses the process's memory instead of faulting fresh pages in, and the
process's memory stops growing (Linux with glibc)."""

import json
import subprocess
import sys

import pytest

# the multi30k_tiny logits (34 MB) allocated and freed again and again, as at every step
ALLOCATION_LOOP = """
import json, resource, sys
import torch
from t5mt.allocator import keep_freed_memory
kept = keep_freed_memory() if sys.argv[1] == "keep" else None
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
def resident_mib():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20
per_step, resident = [], []
for _ in range(60):
    before = faults()
    logits = torch.ones(1054, 8100)
    del logits
    per_step.append(faults() - before)
    resident.append(resident_mib())
print(json.dumps({"kept": kept, "faults": per_step, "resident_mib": resident}))
"""


def allocation_loop(mode: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", ALLOCATION_LOOP, mode],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt: Linux only")
def test_a_freed_large_tensor_is_reused_once_the_heap_has_settled() -> None:
    kept = allocation_loop("keep")
    default = allocation_loop("default")
    if kept["kept"] is not True:
        pytest.skip("this C library has no glibc mallopt")
    # 34 MB is ~8,300 pages of 4 KiB. By default every allocation faults them in afresh; kept,
    # the heap grows for a few steps (freed blocks are split by small allocations) and then
    # serves every step from memory it already has.
    assert min(default["faults"][-20:]) > 5000
    assert sum(kept["faults"][-20:]) < 1000
    assert kept["resident_mib"][-1] - kept["resident_mib"][-20] < 10
