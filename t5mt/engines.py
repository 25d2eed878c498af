"""Inference engines: the run's PyTorch network, or its CTranslate2 export (`t5mt.export`).

Both are `Translator`s: the same `translate(...)`, length-sorted batches and input conventions;
only the generation of one batch differs.
"""

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import PreTrainedTokenizerBase

from t5mt.data.tokenizer import load_saved
from t5mt.errors import ConfigError, RunFolderError
from t5mt.inference import Translator, check_run_folder, run_settings
from t5mt.runs import RunFolder

ENGINES = ("pytorch", "ct2")


def ct2_export_dir(run: RunFolder, quantization: str) -> Path:
    """Where `t5mt.export` writes a run's CTranslate2 model by default."""
    return run.root / "export" / f"ct2-{quantization}"


@dataclass
class Ct2Translator(Translator):
    """A CTranslate2 model exported from a run, with the run's tokenizer and conventions."""

    network: Any  # a ctranslate2.Translator

    @classmethod
    def from_export(
        cls, root: str | Path, model_dir: str | Path | None = None, device: str = "cpu"
    ) -> "Ct2Translator":
        """Load `model_dir` (default: the run's int8 export) to translate as run `root` does."""
        run = check_run_folder(root)
        model_dir = Path(model_dir) if model_dir else ct2_export_dir(run, "int8")
        if not (model_dir / "model.bin").is_file():
            raise RunFolderError(
                f"no CTranslate2 model in '{model_dir}': export one with "
                f"python -m t5mt.export run={root} quantization=int8"
            )
        return cls.load(model_dir, load_saved(run.tokenizer_dir), device, **run_settings(run))

    @classmethod
    def load(
        cls,
        model_dir: str | Path,
        tokenizer: PreTrainedTokenizerBase,
        device: str = "cpu",
        **settings: Any,
    ) -> "Ct2Translator":
        """A CTranslate2 model folder with its tokenizer; `settings` as `Translator`'s fields."""
        import ctranslate2  # the optional `speed` extra

        # as many threads as PyTorch uses, so that the engines compare on equal terms
        network = ctranslate2.Translator(
            str(model_dir), device=device, intra_threads=torch.get_num_threads()
        )
        return cls(network=network, tokenizer=tokenizer, **settings)

    def generate(
        self, batch: list[list[int]], num_beams: int, length_penalty: float, max_new_tokens: int
    ) -> list[str]:
        """Translations of a batch of encoded sources."""
        results = self.network.translate_batch(
            [self.tokenizer.convert_ids_to_tokens(ids) for ids in batch],
            beam_size=num_beams,
            length_penalty=length_penalty,
            max_decoding_length=max_new_tokens,
        )
        ids = [self.tokenizer.convert_tokens_to_ids(r.hypotheses[0]) for r in results]
        return self.tokenizer.batch_decode(ids, skip_special_tokens=True)


def load_translator(
    run: str | os.PathLike,
    ckpt: str = "best",
    device: str = "cpu",
    engine: str = "pytorch",
    ct2_model: str | os.PathLike | None = None,
) -> Translator:
    """The translator of a run on `engine`: its checkpoint `ckpt` in PyTorch, or the
    CTranslate2 export at `ct2_model` (default: the run's int8 export)."""
    if engine == "pytorch":
        return Translator.from_run(run, ckpt=ckpt, device=device)
    if engine == "ct2":
        return Ct2Translator.from_export(run, ct2_model, device=device)
    raise ConfigError(f"engine={engine} is not an engine (choose one of {', '.join(ENGINES)})")
