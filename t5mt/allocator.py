"""glibc's allocator told to keep freed memory: otherwise it hands every block of 32 MB or more
back to the OS when it is freed and maps it afresh on the next allocation, so each training step
pays page faults for its largest tensors (the logits of an 8k vocabulary, 34 MB at 2,048 tokens):
about 15% of a `multi30k_tiny` step on 2 CPU cores."""

import ctypes
import sys

# mallopt parameters, from glibc's malloc.h
M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4


def keep_freed_memory() -> bool:
    """Serve every allocation from the heap and keep freed memory for reuse instead of returning
    it to the OS (the process's memory stays at its peak). False where the C library has no
    glibc `mallopt` (macOS, Windows, musl refuses it)."""
    if not sys.platform.startswith("linux"):
        return False
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is None:
        return False
    # 0 mapped blocks: large blocks come from the heap too; trim only above 2 GiB of free top
    return bool(mallopt(M_MMAP_MAX, 0)) and bool(mallopt(M_TRIM_THRESHOLD, 2**31 - 1))
