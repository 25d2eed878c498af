"""Load a trained translator from a run folder and translate batches of sentences."""

import logging
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from omegaconf import OmegaConf
from tqdm.auto import tqdm
from transformers import PreTrainedTokenizerBase, T5ForConditionalGeneration

from t5mt.data.batching import token_budget_batches
from t5mt.data.tokenizer import load_saved
from t5mt.errors import RunFolderError
from t5mt.network import t5_from_saved_config
from t5mt.runs import RunFolder

log = logging.getLogger(__name__)

DECODING_KEYS = ("batch_size", "batch_tokens", "num_beams", "length_penalty", "max_new_tokens")


def decoding_settings(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of `Translator.translate` that a command's config sets."""
    return {key: cfg[key] for key in DECODING_KEYS}


def find_checkpoint(run: RunFolder, ckpt: str = "best") -> Path:
    """`best`, `last`, or a path to a .ckpt file; the error lists what the run has."""
    path = run.checkpoints_dir / f"{ckpt}.ckpt" if ckpt in ("best", "last") else Path(ckpt)
    if not path.is_file():
        present = sorted(p.name for p in run.checkpoints_dir.glob("*.ckpt"))
        raise RunFolderError(
            f"no checkpoint '{path}' (checkpoints in {run.root}: {present or 'none'})"
        )
    return path


def check_run_folder(root: str | Path) -> RunFolder:
    """The run folder at `root`, after checking it holds a config, a model and a tokenizer."""
    run = RunFolder(Path(root))
    if not run.root.is_dir():
        raise RunFolderError(f"'{root}' is not a folder")
    for required in (run.config, run.model_config, run.tokenizer_dir):
        if not required.exists():
            raise RunFolderError(
                f"'{root}' is not a t5mt run folder: it has no {required.relative_to(run.root)}"
            )
    return run


def run_settings(run: RunFolder) -> dict[str, Any]:
    """The input conventions and decoding defaults a run was trained with."""
    config = OmegaConf.load(run.config)
    return {
        "task_prefix": config.task_prefix,
        "max_source_length": config.data.max_source_length,
        "num_beams": config.module.num_beams,
        "max_new_tokens": config.module.max_new_tokens,
    }


@dataclass
class Translator:
    """A network, its tokenizer and the input conventions it was trained with.

    `translate` encodes, sorts and batches; `generate` runs one batch on the engine (PyTorch
    here; t5mt.engines has CTranslate2).
    """

    network: T5ForConditionalGeneration
    tokenizer: PreTrainedTokenizerBase
    task_prefix: str = ""
    max_source_length: int = 128
    # decoding defaults: the run's own, so scores match the test score written at training
    num_beams: int = 1
    max_new_tokens: int = 128

    @classmethod
    def from_run(cls, root: str | Path, ckpt: str = "best", device: str = "cpu") -> "Translator":
        """Rebuild the network from the run's saved architecture and load a checkpoint into it."""
        run = check_run_folder(root)
        network = t5_from_saved_config(run.model_config)
        state = torch.load(find_checkpoint(run, ckpt), map_location="cpu", weights_only=False)
        weights = {
            key.removeprefix("network."): value
            for key, value in state["state_dict"].items()
            if key.startswith("network.")
        }
        network.load_state_dict(weights, strict=False)
        network.tie_weights()
        return cls(
            network=network.to(device).eval(),
            tokenizer=load_saved(run.tokenizer_dir),
            **run_settings(run),
        )

    @torch.inference_mode()
    def translate(
        self,
        sentences: Sequence[str],
        batch_size: int = 64,
        num_beams: int | None = None,
        length_penalty: float = 1.0,
        max_new_tokens: int | None = None,
        progress: bool = False,
        batch_tokens: int | None = None,
    ) -> list[str]:
        """Translate `sentences` in batches of similar length; the output keeps input order.

        A batch holds at most `batch_size` sentences and, if `batch_tokens` is set, at most that
        many padded source tokens. `num_beams` and `max_new_tokens` default to the run's own
        settings. Empty sentences translate to empty strings; over-long ones are truncated
        with a warning.
        """
        encoded = self.tokenizer([self.task_prefix + s for s in sentences])["input_ids"]
        too_long = sum(len(ids) > self.max_source_length for ids in encoded)
        if too_long:
            log.warning(
                "%d of %d inputs are longer than %d tokens and were truncated",
                too_long,
                len(sentences),
                self.max_source_length,
            )
        encoded = [self._truncated(ids) for ids in encoded]
        todo = sorted(
            (i for i, s in enumerate(sentences) if s.strip()), key=lambda i: len(encoded[i])
        )
        lengths = [len(ids) for ids in encoded]
        batches = token_budget_batches(
            todo, batch_tokens or sys.maxsize, lengths, max_size=batch_size
        )
        translations = [""] * len(sentences)
        for indices in tqdm(batches, desc="translating", unit="batch", disable=not progress):
            generated = self.generate(
                [encoded[i] for i in indices],
                num_beams=num_beams or self.num_beams,
                length_penalty=length_penalty,
                max_new_tokens=max_new_tokens or self.max_new_tokens,
            )
            for index, text in zip(indices, generated, strict=True):
                translations[index] = text
        return translations

    def generate(
        self, batch: list[list[int]], num_beams: int, length_penalty: float, max_new_tokens: int
    ) -> list[str]:
        """Translations of a batch of encoded sources."""
        inputs = self.tokenizer.pad({"input_ids": batch}, return_tensors="pt")
        generated = self.network.generate(
            **inputs.to(self.network.device),
            num_beams=num_beams,
            length_penalty=length_penalty,
            max_new_tokens=max_new_tokens,
        )
        return self.tokenizer.batch_decode(generated, skip_special_tokens=True)

    def _truncated(self, ids: list[int]) -> list[int]:
        """At most `max_source_length` ids, still ending in </s> as in training."""
        if len(ids) <= self.max_source_length:
            return ids
        return [*ids[: self.max_source_length - 1], self.tokenizer.eos_token_id]
