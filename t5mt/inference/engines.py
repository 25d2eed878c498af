"""Inference engines: the run's PyTorch network, or its CTranslate2 export (`t5mt.export`).

Each loads its own model and generates one batch; `Translator` does the rest for both.
"""

from pathlib import Path
from typing import Any

import torch
from transformers import PreTrainedTokenizerBase, T5ForConditionalGeneration

from t5mt.averaging import load_weights
from t5mt.errors import ConfigError, RunFolderError
from t5mt.inference.translator import Decoding
from t5mt.network import t5_from_saved_config
from t5mt.run_folder import RunFolder

# Decoding fields passed under their own name to both engines
SAME_NAME = ("length_penalty", "no_repeat_ngram_size", "repetition_penalty")
# Decoding field: (transformers' `generate` keyword, CTranslate2's `translate_batch` keyword);
# None where the engine has no such keyword
RENAMED = {
    "num_beams": ("num_beams", "beam_size"),
    "nbest": ("num_return_sequences", "num_hypotheses"),
    "max_new_tokens": ("max_new_tokens", "max_decoding_length"),
    "do_sample": ("do_sample", None),
}
# with do_sample only; CTranslate2's top-k 0 is the whole vocabulary, 1 (its default) greedy
SAMPLING = {
    "top_k": ("top_k", "sampling_topk"),
    "top_p": ("top_p", "sampling_topp"),
    "temperature": ("temperature", "sampling_temperature"),
}
# what every decoding passes; the columns: TRANSFORMERS, CTRANSLATE2
ALWAYS = {name: (name, name) for name in SAME_NAME} | RENAMED
TRANSFORMERS, CTRANSLATE2 = 0, 1


def _keywords(decoding: Decoding, engine: int) -> dict[str, Any]:
    """`decoding` as the keyword arguments of `engine` (a column of the tables above)."""
    table = ALWAYS | SAMPLING if decoding.do_sample else ALWAYS
    return {
        names[engine]: getattr(decoding, name)
        for name, names in table.items()
        if names[engine] is not None
    }


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

    @staticmethod
    def check(decoding: Decoding) -> None:
        """Every Decoding is supported."""

    @torch.inference_mode()
    def generate(
        self, batch: list[list[int]], tokenizer: PreTrainedTokenizerBase, decoding: Decoding
    ) -> list[list[tuple[list[int], float | None]]]:
        """Per encoded source, `decoding.nbest` (target ids, score) pairs; the scores only for
        an n-best list (keeping every step's scores costs memory)."""
        inputs = tokenizer.pad({"input_ids": batch}, return_tensors="pt")
        if decoding.seed is not None:
            torch.manual_seed(decoding.seed)
        scored = decoding.nbest > 1
        output = self.network.generate(
            **inputs.to(self.network.device),
            **_keywords(decoding, TRANSFORMERS),
            output_scores=scored,
            return_dict_in_generate=True,
        )
        sequences = output.sequences
        scores = (
            self._scores(output, tokenizer.eos_token_id, decoding.length_penalty)
            if scored
            else [None] * len(sequences)
        )
        pairs = list(zip(sequences.tolist(), scores, strict=True))
        return [pairs[i : i + decoding.nbest] for i in range(0, len(pairs), decoding.nbest)]

    def _scores(self, output: Any, eos_token_id: int, length_penalty: float) -> list[float]:
        """Each sequence's log-probability over its length ** length_penalty."""
        if output.get("sequences_scores") is not None:  # beam search ranked them already
            return output.sequences_scores.tolist()
        sequences = output.sequences
        steps = self.network.compute_transition_scores(
            sequences, output.scores, output.get("beam_indices"), normalize_logits=True
        )
        # the tokens up to and with the first </s>: the padding after it is not generated
        ends = (sequences[:, 1:] == eos_token_id).int()
        generated = (ends.cumsum(dim=1) - ends) == 0
        lengths = generated.sum(dim=1).clamp(min=1)
        totals = steps.masked_fill(~generated, 0).sum(dim=1)
        return (totals / lengths**length_penalty).tolist()


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

    @staticmethod
    def check(decoding: Decoding) -> None:
        """Refuse what CTranslate2's sampler cannot do, naming the setting."""
        if decoding.do_sample and decoding.nbest > 1:
            raise ConfigError("engine=ct2 samples one hypothesis per input: use nbest=1")
        if decoding.do_sample and decoding.num_beams > 1:
            raise ConfigError("engine=ct2 samples with num_beams=1 only")
        if decoding.seed is not None:
            # ctranslate2.set_random_seed does not reach the translator's worker threads
            raise ConfigError("engine=ct2 cannot seed its sampler: use engine=pytorch for seed=")

    def generate(
        self, batch: list[list[int]], tokenizer: PreTrainedTokenizerBase, decoding: Decoding
    ) -> list[list[tuple[list[int], float | None]]]:
        """Per encoded source, `decoding.nbest` (target ids, score) pairs; the scores only for
        an n-best list."""
        self.check(decoding)
        results = self.translator.translate_batch(
            [tokenizer.convert_ids_to_tokens(ids) for ids in batch],
            **_keywords(decoding, CTRANSLATE2),
            return_scores=decoding.nbest > 1,
        )
        return [
            [
                (tokenizer.convert_tokens_to_ids(tokens), score)
                for tokens, score in zip(
                    result.hypotheses, result.scores or [None] * len(result.hypotheses), strict=True
                )
            ]
            for result in results
        ]


def _listed(keys: list[str], shown: int = 5) -> str:
    if not keys:
        return "none"
    more = f" and {len(keys) - shown} more" if len(keys) > shown else ""
    return ", ".join(keys[:shown]) + more
