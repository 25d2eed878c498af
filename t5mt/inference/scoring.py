"""Forced decoding: the log-probability a run's network gives to translations it is handed."""

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from t5mt.data.datamodule import LABEL_PAD
from t5mt.errors import ConfigError
from t5mt.inference.engines import PyTorchEngine
from t5mt.inference.translator import Translator


@dataclass(frozen=True)
class ForcedScore:
    """A translation's log-probability: in total, per token on average, and token by token
    (its SentencePiece pieces and the closing </s>)."""

    logprob: float
    per_token: float
    tokens: list[str]
    token_logprobs: list[float]


@torch.inference_mode()
def forced_scores(
    translator: Translator,
    sources: Sequence[str],
    translations: Sequence[str],
    batch_size: int = 32,
) -> list[ForcedScore]:
    """Score each translation of the source on the same line, with the run's input conventions
    (task prefix, truncation) and the targets tokenized as in training."""
    if not isinstance(translator.engine, PyTorchEngine):
        raise ConfigError("scoring needs the PyTorch network: use engine=pytorch")
    network = translator.engine.network
    tokenizer = translator.tokenizer
    encoded = translator.encode(sources)
    targets = tokenizer(text_target=list(translations))["input_ids"]
    scores: list[ForcedScore] = []
    for start in range(0, len(encoded), batch_size):
        batch = slice(start, start + batch_size)
        inputs = tokenizer.pad({"input_ids": encoded[batch]}, return_tensors="pt")
        labels = _padded(targets[batch])
        logits = network(
            **inputs.to(network.device),
            decoder_input_ids=network.prepare_decoder_input_ids_from_labels(labels).to(
                network.device
            ),
        ).logits
        steps = logits.log_softmax(dim=-1).gather(-1, labels.clamp(min=0).unsqueeze(-1))
        for ids, row in zip(targets[batch], steps.squeeze(-1).tolist(), strict=True):
            token_logprobs = [round(value, 4) for value in row[: len(ids)]]
            total = sum(row[: len(ids)])
            scores.append(
                ForcedScore(
                    logprob=round(total, 4),
                    per_token=round(total / len(ids), 4),
                    tokens=tokenizer.convert_ids_to_tokens(ids),
                    token_logprobs=token_logprobs,
                )
            )
    return scores


def _padded(rows: list[list[int]]) -> torch.Tensor:
    """Target ids as one tensor, padded with the label padding the decoder input skips."""
    width = max(len(row) for row in rows)
    return torch.tensor([row + [LABEL_PAD] * (width - len(row)) for row in rows])
