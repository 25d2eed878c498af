"""The app of each uvicorn worker of `python -m t5mt.serve`, from the settings it exported."""

import os

# The server translates with what the run folder holds; it never fetches from the Hub. Set before
# transformers and huggingface_hub are imported (by the app): they read it at import time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import logging

from fastapi import FastAPI

from t5mt.serve.app import create_app
from t5mt.serve.settings import ServeSettings


def app_from_environment() -> FastAPI:
    """The app for uvicorn's workers, from the settings `python -m t5mt.serve` exported."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="[%(asctime)s][%(name)s] %(message)s")
    return create_app(ServeSettings.from_environment())
