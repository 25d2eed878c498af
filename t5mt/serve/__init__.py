"""Serve a run's translator over HTTP: `python -m t5mt.serve run=<run folder>`."""

import os

# The server translates with what the run folder holds; it never fetches from the Hub. Set before
# transformers and huggingface_hub are imported: they read it at import time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
