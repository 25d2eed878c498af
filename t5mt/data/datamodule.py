"""LightningDataModule: load a corpus, tokenize it once, and batch it with dynamic padding."""

import logging
from collections.abc import Callable, Iterator
from functools import cached_property
from typing import Any

import pytorch_lightning as pl
from datasets import Dataset, DatasetDict
from torch.utils.data import DataLoader
from transformers import DataCollatorForSeq2Seq, PreTrainedTokenizerBase

from t5mt.data.batching import LengthBucketedBatching, RandomBatching
from t5mt.errors import DataError

log = logging.getLogger(__name__)

SPLITS = ("train", "validation", "test")
LABEL_PAD = -100


class TranslationDataModule(pl.LightningDataModule):
    """Serves tokenized train/validation/test splits of a corpus in the WMT schema.

    `corpus` is a zero-argument loader returning a DatasetDict whose splits have one column
    `translation` = {source_lang: str, target_lang: str}; it is called once, lazily.
    The tokenizer is attached with `set_tokenizer` because from-scratch models train theirs
    on this corpus's training split.
    """

    def __init__(
        self,
        corpus: Callable[[], DatasetDict],
        batching: RandomBatching | LengthBucketedBatching | None = None,
        eval_batch_size: int = 128,
        max_source_length: int = 128,
        max_target_length: int = 128,
        num_workers: int = 0,
        source_lang: str = "en",
        target_lang: str = "de",
        task_prefix: str = "",
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.load_corpus = corpus
        self.batching = batching or RandomBatching()
        self.eval_batch_size = eval_batch_size
        self.max_source_length = max_source_length
        self.max_target_length = max_target_length
        self.num_workers = num_workers
        self.source_lang = source_lang
        self.target_lang = target_lang
        self.task_prefix = task_prefix
        self.seed = seed
        self.tokenizer: PreTrainedTokenizerBase | None = None
        self.tokenized: DatasetDict | None = None

    @cached_property
    def corpus(self) -> DatasetDict:
        """The raw corpus, loaded on first use and checked against the WMT schema."""
        corpus = self.load_corpus()
        for split in SPLITS:
            if split not in corpus:
                raise DataError(f"the corpus has no '{split}' split (it has {list(corpus)})")
            if len(corpus[split]) == 0:
                raise DataError(f"the corpus's '{split}' split is empty")
            if corpus[split].column_names != ["translation"]:
                raise DataError(
                    f"the '{split}' split must have exactly one column 'translation', "
                    f"found {corpus[split].column_names}"
                )
        log.info("corpus: %s", {split: len(corpus[split]) for split in SPLITS})
        return corpus

    def training_texts(self) -> Iterator[str]:
        """Source and target sentences of the training split, for training a tokenizer."""
        for pair in self.corpus["train"]["translation"]:
            yield pair[self.source_lang]
            yield pair[self.target_lang]

    def pairs(self, split: str) -> list[dict[str, str]]:
        """The raw sentence pairs of a split."""
        return self.corpus[split]["translation"]

    def set_tokenizer(self, tokenizer: PreTrainedTokenizerBase) -> None:
        """Attach the tokenizer that `setup` will encode the corpus with."""
        self.tokenizer = tokenizer
        self.tokenized = None

    def setup(self, stage: str | None = None) -> None:
        if self.tokenized is not None:
            return
        if self.tokenizer is None:
            raise RuntimeError("set_tokenizer() must be called before setup()")
        self.tokenized = DatasetDict(
            {split: self._tokenize(self.corpus[split], split) for split in SPLITS}
        )

    def _tokenize(self, split_data: Dataset, split: str) -> Dataset:
        def encode(batch: dict[str, list[Any]]) -> dict[str, list[list[int]]]:
            sources = [self.task_prefix + p[self.source_lang] for p in batch["translation"]]
            targets = [p[self.target_lang] for p in batch["translation"]]
            encoded = self.tokenizer(sources, max_length=self.max_source_length, truncation=True)
            encoded["labels"] = self.tokenizer(
                text_target=targets, max_length=self.max_target_length, truncation=True
            )["input_ids"]
            return encoded

        return split_data.map(
            encode,
            batched=True,
            remove_columns=["translation"],
            desc=f"tokenizing {split}",
        )

    def collator(self) -> DataCollatorForSeq2Seq:
        """Dynamic padding per batch; labels are padded with -100 so the loss ignores them."""
        return DataCollatorForSeq2Seq(
            self.tokenizer, label_pad_token_id=LABEL_PAD, return_tensors="pt"
        )

    def train_dataloader(self) -> DataLoader:
        dataset = self.tokenized["train"]
        return DataLoader(
            dataset,
            collate_fn=self.collator(),
            num_workers=self.num_workers,
            **self.batching.train_loader_kwargs(dataset, self.seed),
        )

    def _eval_loader(self, split: str) -> DataLoader:
        return DataLoader(
            self.tokenized[split],
            batch_size=self.eval_batch_size,
            shuffle=False,
            collate_fn=self.collator(),
            num_workers=self.num_workers,
        )

    def val_dataloader(self) -> DataLoader:
        return self._eval_loader("validation")

    def test_dataloader(self) -> DataLoader:
        return self._eval_loader("test")
