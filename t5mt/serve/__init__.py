"""Serve a run's translator over HTTP: `python -m t5mt.serve run=<run folder>`.

Importing this package changes nothing: only the server process (`__main__`, `worker`) turns
the Hugging Face Hub off.
"""
