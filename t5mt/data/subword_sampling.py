"""Subword regularisation (Kudo, 2018): every time a training pair is batched, both its sides
are segmented anew by sampling from the SentencePiece unigram lattice instead of taking the best
segmentation.

A pair's segmentation depends only on the seed, the epoch and the pair's index, so a run is
reproducible and a resumed run batches exactly what the uninterrupted one would have.
"""

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import sentencepiece as spm
from transformers import PreTrainedTokenizerBase

from t5mt.errors import ConfigError

# the text columns the training split keeps for sampling, and its pairs' positions
SOURCE_TEXT, TARGET_TEXT, INDEX = "source_text", "target_text", "index"


class HasEpoch(Protocol):
    """The training batch sampler, whose `epoch` Lightning sets before each epoch."""

    epoch: int


@dataclass(frozen=True)
class SubwordSampling:
    """How segmentations are sampled: `alpha` sharpens the distribution (larger is closer to the
    best segmentation), `nbest_size` limits the candidates (-1: the whole lattice)."""

    alpha: float = 0.5
    nbest_size: int = -1

    def __post_init__(self) -> None:
        if not self.alpha > 0:
            raise ConfigError(f"data.subword_sampling.alpha must be > 0, not {self.alpha}")
        if self.nbest_size == 0 or self.nbest_size < -1:
            raise ConfigError(
                "data.subword_sampling.nbest_size must be -1 (the whole lattice) or >= 1, "
                f"not {self.nbest_size}"
            )


class SampledSegmentation:
    """A collate function: replaces each training pair's token ids with a sampled segmentation
    of its texts, then pads the batch with `collate`."""

    def __init__(
        self,
        sampling: SubwordSampling,
        tokenizer: PreTrainedTokenizerBase,
        collate: Callable[[list[dict[str, Any]]], Any],
        epoch_of: HasEpoch,
        seed: int,
        max_source_length: int,
        max_target_length: int,
    ) -> None:
        self.sampling = sampling
        self.model_file = sentencepiece_model(tokenizer)
        self.eos_id = tokenizer.eos_token_id
        self.collate = collate
        self.epoch_of = epoch_of
        self.seed = seed
        self.max_lengths = {"input_ids": max_source_length, "labels": max_target_length}
        self._processor: spm.SentencePieceProcessor | None = None

    def __getstate__(self) -> dict[str, Any]:
        # the SentencePiece processor does not pickle; a data-loader worker loads its own
        return {**self.__dict__, "_processor": None}

    @property
    def processor(self) -> spm.SentencePieceProcessor:
        if self._processor is None:
            self._processor = spm.SentencePieceProcessor(model_file=self.model_file)
        return self._processor

    def encode(self, text: str, pair_seed: int, max_length: int) -> list[int]:
        """One sampled segmentation of `text`, ended by </s> and cut to `max_length` as the
        tokenizer cuts."""
        spm.set_random_generator_seed(pair_seed)
        ids = self.processor.encode(
            text,
            enable_sampling=True,
            alpha=self.sampling.alpha,
            nbest_size=self.sampling.nbest_size,
        )
        return [*ids[: max_length - 1], self.eos_id]

    def pair_seed(self, index: int, side: int) -> int:
        """The sampling seed of one side of one pair in the current epoch (never 0, which
        SentencePiece reads as 'seed from the clock')."""
        key = f"{self.seed}:{self.epoch_of.epoch}:{index}:{side}".encode()
        return zlib.crc32(key) + 1

    def __call__(self, features: list[dict[str, Any]]) -> Any:
        sampled = []
        for feature in features:
            index = feature[INDEX]
            input_ids = self.encode(
                feature[SOURCE_TEXT], self.pair_seed(index, 0), self.max_lengths["input_ids"]
            )
            labels = self.encode(
                feature[TARGET_TEXT], self.pair_seed(index, 1), self.max_lengths["labels"]
            )
            sampled.append(
                {"input_ids": input_ids, "attention_mask": [1] * len(input_ids), "labels": labels}
            )
        return self.collate(sampled)


def sentencepiece_model(tokenizer: PreTrainedTokenizerBase) -> str:
    """The SentencePiece model file behind `tokenizer`, which sampling needs."""
    model_file = getattr(tokenizer, "vocab_file", None)
    if not model_file or not Path(model_file).is_file():
        raise ConfigError(
            "data.subword_sampling needs a SentencePiece tokenizer (a folder with spiece.model); "
            f"{type(tokenizer).__name__} from {tokenizer.name_or_path!r} has none"
        )
    return str(model_file)
