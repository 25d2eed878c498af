"""Tokenizers: a pretrained model's own, or a SentencePiece unigram model trained on the corpus."""

import logging
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import sentencepiece as spm
from transformers import AutoTokenizer, PreTrainedTokenizerBase

from t5mt.errors import HubUnreachableError

log = logging.getLogger(__name__)

# T5's special-token ids: the model's decoder starts from <pad>.
PAD_ID, EOS_ID, UNK_ID = 0, 1, 2


def train_sentencepiece(
    texts: Iterable[str], save_dir: str | Path, vocab_size: int = 1000, extra_ids: int = 0
) -> PreTrainedTokenizerBase:
    """Train a SentencePiece unigram model on `texts` and return it as a T5 tokenizer.

    The tokenizer (`spiece.model` plus the transformers files) is saved to `save_dir`.
    It is loaded from a folder holding `spiece.model`: constructing `T5Tokenizer(vocab_file=...)`
    directly gives a 4-token vocabulary in transformers 5, which trains without complaint.
    """
    save_dir = Path(save_dir)
    with tempfile.TemporaryDirectory() as work:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(texts),
            model_prefix=str(Path(work) / "spiece"),
            vocab_size=vocab_size,
            model_type="unigram",
            pad_id=PAD_ID,
            eos_id=EOS_ID,
            unk_id=UNK_ID,
            bos_id=-1,
            character_coverage=1.0,
            # identity keeps decode(encode(x)) == x; NFKC would rewrite some characters
            normalization_rule_name="identity",
            hard_vocab_limit=False,
            minloglevel=2,
        )
        tokenizer = AutoTokenizer.from_pretrained(work, tokenizer_type="t5", extra_ids=extra_ids)
        save_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy(Path(work) / "spiece.model", save_dir / "spiece.model")
    tokenizer.save_pretrained(save_dir)
    log.info("trained a SentencePiece tokenizer with %d tokens into %s", len(tokenizer), save_dir)
    # loaded again from `save_dir`: the one above names the deleted work folder's spiece.model
    return load_saved(save_dir)


def load_pretrained(
    name_or_path: str, save_dir: str | Path, texts: Iterable[str] | None = None
) -> PreTrainedTokenizerBase:
    """Load a pretrained model's tokenizer (Hub name or local folder) and save a copy to `save_dir`.

    `texts` is accepted so both tokenizer builders share one signature; it is not used.
    """
    try:
        tokenizer = AutoTokenizer.from_pretrained(name_or_path)
    except OSError as error:
        raise HubUnreachableError(hub_message("tokenizer", name_or_path, error)) from error
    tokenizer.save_pretrained(save_dir)
    return tokenizer


def load_saved(folder: str | Path) -> PreTrainedTokenizerBase:
    """Load a tokenizer that t5mt saved into a run folder."""
    return AutoTokenizer.from_pretrained(str(folder))


def hub_message(what: str, name_or_path: str, error: Exception) -> str:
    """The one message shown when a pretrained model cannot be loaded."""
    return (
        f"could not load the {what} '{name_or_path}': {error.__class__.__name__}: "
        f"{str(error).splitlines()[0] if str(error) else ''}\n"
        "The Hugging Face Hub is unreachable or the name/path is wrong. Offline alternatives: "
        "model=t5_tiny (a T5 trained from scratch), or model.name_or_path=<local folder "
        "holding a saved T5 model and tokenizer>."
    )
