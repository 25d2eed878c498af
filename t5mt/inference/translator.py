"""The Translator: a run's tokenizer and input conventions around an engine that generates."""

import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from tqdm.auto import tqdm
from transformers import PreTrainedTokenizerBase

from t5mt.data.batching import token_budget_batches

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decoding:
    """How to decode: beam size, the most new tokens, and the length penalty of beam search."""

    num_beams: int
    max_new_tokens: int
    length_penalty: float = 1.0


class Engine(Protocol):
    """Generates target token ids for a batch of encoded sources (t5mt.inference.engines)."""

    def generate(
        self, batch: list[list[int]], tokenizer: PreTrainedTokenizerBase, decoding: Decoding
    ) -> list[list[int]]: ...


@dataclass
class Translator:
    """An engine, its tokenizer and the input conventions it was trained with.

    `translate` encodes, sorts by length, batches and decodes; the engine generates one batch.
    """

    engine: Engine
    tokenizer: PreTrainedTokenizerBase
    task_prefix: str = ""
    max_source_length: int = 128
    # decoding defaults: the run's own, so scores match the test score written at training
    num_beams: int = 1
    max_new_tokens: int = 128

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
        decoding = Decoding(
            num_beams or self.num_beams, max_new_tokens or self.max_new_tokens, length_penalty
        )
        translations = [""] * len(sentences)
        for indices in tqdm(batches, desc="translating", unit="batch", disable=not progress):
            generated = self.engine.generate(
                [encoded[i] for i in indices], self.tokenizer, decoding
            )
            texts = self.tokenizer.batch_decode(generated, skip_special_tokens=True)
            for index, text in zip(indices, texts, strict=True):
                translations[index] = text
        return translations

    def _truncated(self, ids: list[int]) -> list[int]:
        """At most `max_source_length` ids, still ending in </s> as in training."""
        if len(ids) <= self.max_source_length:
            return ids
        return [*ids[: self.max_source_length - 1], self.tokenizer.eos_token_id]
