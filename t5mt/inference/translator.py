"""The Translator: a run's tokenizer and input conventions around an engine that generates."""

import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, Protocol

from tqdm.auto import tqdm
from transformers import PreTrainedTokenizerBase

from t5mt.data.batching import token_budget_batches
from t5mt.errors import ConfigError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decoding:
    """How to decode: beam search (or sampling), how many hypotheses to return, and the
    penalties; checked on construction (a ConfigError names the bad key)."""

    num_beams: int
    max_new_tokens: int
    length_penalty: float = 1.0
    # hypotheses returned per input, best first (at most num_beams unless sampling)
    nbest: int = 1
    no_repeat_ngram_size: int = 0
    repetition_penalty: float = 1.0
    do_sample: bool = False
    # with do_sample only: 0 keeps every token; top_p 1.0 keeps all the probability mass
    top_k: int = 0
    top_p: float = 1.0
    temperature: float = 1.0
    # reseeds the sampler before every batch: the same inputs sample the same hypotheses
    seed: int | None = None

    def __post_init__(self) -> None:
        for key in ("num_beams", "max_new_tokens", "nbest"):
            if getattr(self, key) < 1:
                raise ConfigError(f"{key}={getattr(self, key)} must be at least 1")
        if self.no_repeat_ngram_size < 0:
            raise ConfigError(
                f"no_repeat_ngram_size={self.no_repeat_ngram_size} must be 0 (off) or more"
            )
        if self.repetition_penalty <= 0:
            raise ConfigError(
                f"repetition_penalty={self.repetition_penalty} must be positive (1.0: off)"
            )
        if not self.do_sample:
            sampling = [key for key in SAMPLING_KEYS if getattr(self, key) != DEFAULTS[key]]
            if sampling:
                raise ConfigError(f"{', '.join(sampling)} need do_sample=true")
            if self.nbest > self.num_beams:
                raise ConfigError(
                    f"nbest={self.nbest} needs num_beams={self.nbest} or more (it is "
                    f"{self.num_beams}), or do_sample=true"
                )
        if self.top_k < 0:
            raise ConfigError(f"top_k={self.top_k} must be 0 (off) or more")
        if not 0 < self.top_p <= 1:
            raise ConfigError(f"top_p={self.top_p} must be in (0, 1]")
        if self.temperature <= 0:
            raise ConfigError(f"temperature={self.temperature} must be positive")


SAMPLING_KEYS = ("top_k", "top_p", "temperature", "seed")
DEFAULTS = {f.name: f.default for f in fields(Decoding)}


@dataclass(frozen=True)
class Hypothesis:
    """One translation and its score: the sum of its token log-probabilities (as the decoding
    options shaped them) divided by its length ** length_penalty, as beam search ranks them."""

    text: str
    # None unless an n-best list was asked for (nbest > 1)
    score: float | None


class Engine(Protocol):
    """Generates target token ids for a batch of encoded sources (t5mt.inference.engines)."""

    def generate(
        self, batch: list[list[int]], tokenizer: PreTrainedTokenizerBase, decoding: Decoding
    ) -> list[list[tuple[list[int], float | None]]]:
        """Per source, `decoding.nbest` (target ids, score) pairs, scored when nbest > 1."""
        ...

    def check(self, decoding: Decoding) -> None:
        """Raise ConfigError for a decoding setting the engine cannot do."""
        ...


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

    def decoding(
        self, num_beams: int | None = None, max_new_tokens: int | None = None, **options: Any
    ) -> Decoding:
        """Decoding settings, checked to suit the engine; `num_beams` and `max_new_tokens`
        default to the run's own."""
        decoding = Decoding(
            num_beams or self.num_beams, max_new_tokens or self.max_new_tokens, **options
        )
        self.engine.check(decoding)
        return decoding

    def translate(self, sentences: Sequence[str], **options: Any) -> list[str]:
        """The best translation of each sentence, in input order; `options` as `hypotheses`
        takes them."""
        nbest = self.hypotheses(sentences, **options)
        return [found[0].text if found else "" for found in nbest]

    def hypotheses(
        self,
        sentences: Sequence[str],
        batch_size: int = 64,
        progress: bool = False,
        batch_tokens: int | None = None,
        **options: Any,
    ) -> list[list[Hypothesis]]:
        """Translate `sentences` in batches of similar length: per sentence, in input order,
        its `nbest` hypotheses best first (none for an empty sentence), scored when nbest > 1.

        A batch holds at most `batch_size` sentences and, if `batch_tokens` is set, at most that
        many padded source tokens. `options` are the fields of `Decoding`. Over-long inputs
        are truncated with a warning.
        """
        decoding = self.decoding(**options)
        encoded = self.encode(sentences)
        todo = sorted(
            (i for i, s in enumerate(sentences) if s.strip()), key=lambda i: len(encoded[i])
        )
        lengths = [len(ids) for ids in encoded]
        batches = token_budget_batches(
            todo, batch_tokens or sys.maxsize, lengths, max_size=batch_size
        )
        found: list[list[Hypothesis]] = [[] for _ in sentences]
        for indices in tqdm(batches, desc="translating", unit="batch", disable=not progress):
            generated = self.engine.generate(
                [encoded[i] for i in indices], self.tokenizer, decoding
            )
            for index, pairs in zip(indices, generated, strict=True):
                texts = self.tokenizer.batch_decode(
                    [ids for ids, _ in pairs], skip_special_tokens=True
                )
                found[index] = [
                    Hypothesis(text, None if score is None else round(score, 4))
                    for text, (_, score) in zip(texts, pairs, strict=True)
                ]
                found[index].sort(key=lambda h: -(h.score or 0.0))  # sampled ones come unsorted
        return found

    def encode(self, sentences: Sequence[str]) -> list[list[int]]:
        """Source ids with the task prefix, truncated to `max_source_length` (with a warning)."""
        encoded = self.tokenizer([self.task_prefix + s for s in sentences])["input_ids"]
        too_long = sum(len(ids) > self.max_source_length for ids in encoded)
        if too_long:
            log.warning(
                "%d of %d inputs are longer than %d tokens and were truncated",
                too_long,
                len(sentences),
                self.max_source_length,
            )
        return [self._truncated(ids) for ids in encoded]

    def _truncated(self, ids: list[int]) -> list[int]:
        """At most `max_source_length` ids, still ending in </s> as in training."""
        if len(ids) <= self.max_source_length:
            return ids
        return [*ids[: self.max_source_length - 1], self.tokenizer.eos_token_id]
