"""Inference engines: the run's PyTorch network, or its CTranslate2 export (`t5mt.export`).

Each loads its own model and generates one batch; `Translator` does the rest for both.
"""

from pathlib import Path
from typing import Any

import torch
from transformers import PreTrainedTokenizerBase, T5ForConditionalGeneration

from t5mt.averaging import load_weights
from t5mt.errors import RunFolderError
from t5mt.inference.translator import Decoding
from t5mt.network import t5_from_saved_config
from t5mt.run_folder import RunFolder


class PyTorchEngine:
    """A transformers T5 network generating with `generate`."""

    def __init__(self, network: T5ForConditionalGeneration) -> None:
        self.network = network

    @classmethod
    def from_checkpoint(
        cls, run: RunFolder, ckpt: str = "best", device: str = "cpu"
    ) -> "PyTorchEngine":
        """The run's saved architecture with the weights of checkpoint `ckpt` (`best`, `last`,
        a file, or `average[:N]` of the kept ones), loaded strictly: a checkpoint whose weights
        do not fit the architecture raises RunFolderError."""
        network = t5_from_saved_config(run.model_config)
        paths = run.checkpoint_files(ckpt)
        path = paths[0] if len(paths) == 1 else f"ckpt={ckpt} ({len(paths)} kept checkpoints)"
        weights = {
            key.removeprefix("network."): value
            for key, value in load_weights(paths).items()
            if key.startswith("network.")
        }
        expected = network.state_dict().keys()
        missing = sorted(expected - weights.keys())
        unexpected = sorted(weights.keys() - expected)
        if missing or unexpected:
            raise RunFolderError(
                f"{path} does not fit the run's model_config.json: "
                f"missing {_listed(missing)}; unexpected {_listed(unexpected)}"
            )
        network.load_state_dict(weights, strict=True)
        return cls(network.to(device).eval())

    @torch.inference_mode()
    def generate(
        self, batch: list[list[int]], tokenizer: PreTrainedTokenizerBase, decoding: Decoding
    ) -> list[list[int]]:
        """Target ids for a batch of encoded sources."""
        inputs = tokenizer.pad({"input_ids": batch}, return_tensors="pt")
        generated = self.network.generate(
            **inputs.to(self.network.device),
            num_beams=decoding.num_beams,
            length_penalty=decoding.length_penalty,
            max_new_tokens=decoding.max_new_tokens,
        )
        return generated.tolist()


class Ct2Engine:
    """A CTranslate2 model folder generating with `translate_batch`."""

    def __init__(self, translator: Any) -> None:
        self.translator = translator  # a ctranslate2.Translator

    @classmethod
    def load(cls, model_dir: str | Path, device: str = "cpu") -> "Ct2Engine":
        """The CTranslate2 model in `model_dir` (see t5mt.export)."""
        import ctranslate2  # the optional `speed` extra

        # as many threads as PyTorch uses, so that the engines compare on equal terms
        translator = ctranslate2.Translator(
            str(model_dir), device=device, intra_threads=torch.get_num_threads()
        )
        return cls(translator)

    def generate(
        self, batch: list[list[int]], tokenizer: PreTrainedTokenizerBase, decoding: Decoding
    ) -> list[list[int]]:
        """Target ids for a batch of encoded sources."""
        results = self.translator.translate_batch(
            [tokenizer.convert_ids_to_tokens(ids) for ids in batch],
            beam_size=decoding.num_beams,
            length_penalty=decoding.length_penalty,
            max_decoding_length=decoding.max_new_tokens,
        )
        return [tokenizer.convert_tokens_to_ids(result.hypotheses[0]) for result in results]


def _listed(keys: list[str], shown: int = 5) -> str:
    if not keys:
        return "none"
    more = f" and {len(keys) - shown} more" if len(keys) > shown else ""
    return ", ".join(keys[:shown]) + more
