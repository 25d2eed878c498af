"""What the monitor compares between live inputs and training data, computed without the text.

The server logs these features for every request, so that drift can be measured from a log that
holds no sentences (the text itself is logged only with `log_text=true`).
"""

import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from transformers import PreTrainedTokenizerBase

CHARSET_CLASSES = (
    "ascii_letter",
    "digit",
    "space",
    "ascii_punctuation",
    "latin_letter",
    "other_letter",
    "other",
)


def charset_class(char: str) -> str:
    """One of CHARSET_CLASSES: non-ASCII Latin letters (é, ß) apart from other scripts."""
    if char.isascii():
        if char.isalpha():
            return "ascii_letter"
        if char.isdigit():
            return "digit"
        if char.isspace():
            return "space"
        return "ascii_punctuation" if char.isprintable() else "other"
    if char.isalpha():
        return "latin_letter" if unicodedata.name(char, "").startswith("LATIN") else "other_letter"
    return "space" if char.isspace() else "other"


@dataclass
class InputFeatures:
    """Per-sentence lengths and unknown tokens, and the character classes of all sentences."""

    characters: list[int] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)
    unknown_tokens: list[int] = field(default_factory=list)
    charset: Counter[str] = field(default_factory=Counter)

    def extend(self, other: "InputFeatures") -> None:
        """Add another set of sentences."""
        self.characters += other.characters
        self.tokens += other.tokens
        self.unknown_tokens += other.unknown_tokens
        self.charset.update(other.charset)

    def as_record(self) -> dict[str, object]:
        """The JSON-ready form written to the request log (see `from_record`)."""
        return {
            "characters": self.characters,
            "tokens": self.tokens,
            "unknown_tokens": self.unknown_tokens,
            "charset": dict(self.charset),
        }

    @classmethod
    def from_record(cls, record: dict) -> "InputFeatures":
        """Features read back from a request-log record."""
        return cls(
            characters=list(record["characters"]),
            tokens=list(record["tokens"]),
            unknown_tokens=list(record["unknown_tokens"]),
            charset=Counter(record["charset"]),
        )


def input_features(texts: Sequence[str], tokenizer: PreTrainedTokenizerBase) -> InputFeatures:
    """Features of `texts` as the model's tokenizer sees them (no task prefix, no </s>)."""
    encoded = tokenizer(list(texts), add_special_tokens=False)["input_ids"] if texts else []
    unknown = tokenizer.unk_token_id
    return InputFeatures(
        characters=[len(text) for text in texts],
        tokens=[len(ids) for ids in encoded],
        unknown_tokens=[sum(i == unknown for i in ids) for ids in encoded],
        charset=Counter(charset_class(char) for text in texts for char in text),
    )
