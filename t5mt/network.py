"""Build the T5 network: pretrained weights by name or path, or a fresh model from a config."""

from pathlib import Path
from typing import Any

from transformers import PreTrainedTokenizerBase, T5Config, T5ForConditionalGeneration

from t5mt.data.tokenizer import hub_message
from t5mt.dropout import use_fast_dropout
from t5mt.errors import HubUnreachableError


def t5_from_config(
    tokenizer: PreTrainedTokenizerBase, fast_dropout: bool = False, **architecture: Any
) -> T5ForConditionalGeneration:
    """A randomly initialised T5 sized for `tokenizer`'s vocabulary, with the `T5Config` fields
    in `architecture` (d_model, d_ff, d_kv, num_heads, num_layers, num_decoder_layers,
    dropout_rate, feed_forward_proj, …: conf/model/t5_tiny.yaml sets them) and T5's defaults
    for the rest. `fast_dropout` draws its dropout masks as random bytes (t5mt.dropout)."""
    config = T5Config(
        **architecture,
        vocab_size=len(tokenizer),
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
    )
    network = T5ForConditionalGeneration(config)
    return use_fast_dropout(network) if fast_dropout else network


def t5_pretrained(
    tokenizer: PreTrainedTokenizerBase,
    name_or_path: str,
    dropout_rate: float = 0.1,
    fast_dropout: bool = False,
) -> T5ForConditionalGeneration:
    """Pretrained T5 weights from the Hub (e.g. `t5-small`) or from a local folder;
    `fast_dropout` as for `t5_from_config`."""
    try:
        network = T5ForConditionalGeneration.from_pretrained(
            name_or_path, dropout_rate=dropout_rate
        )
    except OSError as error:
        raise HubUnreachableError(hub_message("model", name_or_path, error)) from error
    if network.config.vocab_size < len(tokenizer):
        network.resize_token_embeddings(len(tokenizer))
    return use_fast_dropout(network) if fast_dropout else network


def t5_from_saved_config(config_file: str | Path) -> T5ForConditionalGeneration:
    """An untrained network with the architecture a run saved (weights come from a checkpoint)."""
    return T5ForConditionalGeneration(T5Config.from_json_file(str(config_file)))
