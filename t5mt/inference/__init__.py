"""Inference: a `Translator` (tokenizer, input conventions, length-sorted batches) composed with
an engine (`PyTorchEngine` or `Ct2Engine`), loaded from a run folder by `load_translator`."""

from t5mt.inference.engines import Ct2Engine, PyTorchEngine
from t5mt.inference.loading import (
    DECODING_KEYS,
    ENGINES,
    OPTION_KEYS,
    ct2_export_dir,
    decoding_settings,
    load_engine,
    load_translator,
    run_settings,
)
from t5mt.inference.translator import Decoding, Engine, Hypothesis, Translator

__all__ = [
    "DECODING_KEYS",
    "ENGINES",
    "OPTION_KEYS",
    "Ct2Engine",
    "Decoding",
    "Engine",
    "Hypothesis",
    "PyTorchEngine",
    "Translator",
    "ct2_export_dir",
    "decoding_settings",
    "load_engine",
    "load_translator",
    "run_settings",
]
