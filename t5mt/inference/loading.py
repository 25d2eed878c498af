"""A run's translator on an engine, with the input conventions and decoding defaults it was
trained with: the one place that decides how a run folder becomes a Translator."""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from t5mt.data.tokenizer import load_saved
from t5mt.errors import ConfigError, RunFolderError
from t5mt.inference.engines import Ct2Engine, PyTorchEngine
from t5mt.inference.translator import Engine, Translator
from t5mt.run_folder import RunFolder

ENGINES = ("pytorch", "ct2")
# the fields of translator.Decoding beyond beam search
OPTION_KEYS = (
    "nbest",
    "no_repeat_ngram_size",
    "repetition_penalty",
    "do_sample",
    "top_k",
    "top_p",
    "temperature",
    "seed",
)
DECODING_KEYS = (
    "batch_size",
    "batch_tokens",
    "num_beams",
    "length_penalty",
    "max_new_tokens",
    *OPTION_KEYS,
)


def decoding_settings(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of `Translator.translate` that a command's config sets."""
    return {key: cfg[key] for key in DECODING_KEYS}


def run_settings(run: RunFolder) -> dict[str, Any]:
    """The input conventions and decoding defaults a run was trained with."""
    config = OmegaConf.load(run.config)
    return {
        "task_prefix": config.task_prefix,
        "max_source_length": config.data.max_source_length,
        "num_beams": config.module.num_beams,
        "max_new_tokens": config.module.max_new_tokens,
    }


def ct2_export_dir(run: RunFolder, quantization: str) -> Path:
    """Where `t5mt.export` writes a run's CTranslate2 model by default."""
    return run.root / "export" / f"ct2-{quantization}"


def load_translator(
    run: str | os.PathLike,
    ckpt: str = "best",
    device: str = "cpu",
    engine: str = "pytorch",
    ct2_model: str | os.PathLike | None = None,
) -> Translator:
    """The translator of a run on `engine`: its checkpoint `ckpt` in PyTorch, or the
    CTranslate2 export at `ct2_model` (default: the run's int8 export)."""
    folder = RunFolder.at(run, needs_model=True)
    return Translator(
        engine=load_engine(folder, engine, ckpt, device, ct2_model),
        tokenizer=load_saved(folder.tokenizer_dir),
        **run_settings(folder),
    )


def load_engine(
    run: RunFolder,
    engine: str,
    ckpt: str = "best",
    device: str = "cpu",
    ct2_model: str | os.PathLike | None = None,
) -> Engine:
    """The run's model on `engine` (one of ENGINES)."""
    if engine == "pytorch":
        return PyTorchEngine.from_checkpoint(run, ckpt, device)
    if engine == "ct2":
        model_dir = Path(ct2_model) if ct2_model else ct2_export_dir(run, "int8")
        if not (model_dir / "model.bin").is_file():
            raise RunFolderError(
                f"no CTranslate2 model in '{model_dir}': export one with "
                f"python -m t5mt.export run={run.root} quantization=int8"
            )
        return Ct2Engine.load(model_dir, device)
    raise ConfigError(f"engine={engine} is not an engine (choose one of {', '.join(ENGINES)})")
