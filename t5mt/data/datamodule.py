"""LightningDataModule: load a corpus, tokenize it once, and batch it with dynamic padding."""

import logging
import math
from collections.abc import Callable, Iterator
from functools import cached_property
from typing import Any

import pytorch_lightning as pl
from datasets import Dataset, DatasetDict
from torch.utils.data import DataLoader, DistributedSampler
from transformers import DataCollatorForSeq2Seq, PreTrainedTokenizerBase

from t5mt.data.batching import LengthBucketedBatching, RandomBatching, Shard, TokenBudgetBatching
from t5mt.data.position import ResumableBatchSampler
from t5mt.data.subword_sampling import (
    INDEX,
    SOURCE_TEXT,
    TARGET_TEXT,
    SampledSegmentation,
    SubwordSampling,
)
from t5mt.errors import ConfigError, DataError

log = logging.getLogger(__name__)

SPLITS = ("train", "validation", "test")
LABEL_PAD = -100


class TranslationDataModule(pl.LightningDataModule):
    """Serves tokenized train/validation/test splits of a corpus in the WMT schema.

    `corpus` is a zero-argument loader returning a DatasetDict whose splits have one column
    `translation` = {source_lang: str, target_lang: str}; it is called once, lazily.
    The tokenizer is attached with `set_tokenizer` because from-scratch models train theirs
    on this corpus's training split. With `subword_sampling` every training batch is segmented
    anew (t5mt.data.subword_sampling); batches are still formed by the best segmentation's lengths.
    """

    def __init__(
        self,
        corpus: Callable[[], DatasetDict],
        batching: RandomBatching | LengthBucketedBatching | TokenBudgetBatching | None = None,
        eval_batch_size: int = 128,
        max_source_length: int = 128,
        max_target_length: int = 128,
        num_workers: int = 0,
        fraction: float = 1.0,
        source_lang: str = "en",
        target_lang: str = "de",
        task_prefix: str = "",
        seed: int = 0,
        subword_sampling: SubwordSampling | None = None,
    ) -> None:
        super().__init__()
        if isinstance(batching, str):
            raise ConfigError(
                f"data.batching={batching} sets a value; pick a batching option with "
                f"data/batching={batching} (options: conf/data/batching/)"
            )
        self.load_corpus = corpus
        self.batching = batching or RandomBatching()
        self.eval_batch_size = eval_batch_size
        self.max_source_length = max_source_length
        self.max_target_length = max_target_length
        self.num_workers = num_workers
        if not 0 < fraction <= 1:
            raise ConfigError(f"data.fraction must be in (0, 1], not {fraction}")
        self.fraction = fraction
        self.source_lang = source_lang
        self.target_lang = target_lang
        self.task_prefix = task_prefix
        self.seed = seed
        self.subword_sampling = subword_sampling
        self.tokenizer: PreTrainedTokenizerBase | None = None
        self.tokenized: DatasetDict | None = None
        # (epoch, batches done) from a checkpoint being resumed; see t5mt.data.position
        self.resume_position: tuple[int, int] | None = None

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
        if self.fraction < 1:
            corpus = DatasetDict(
                {
                    split: corpus[split].select(
                        range(math.ceil(len(corpus[split]) * self.fraction))
                    )
                    for split in SPLITS
                }
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
        # evaluation batches carry each pair's position, so that a module can put the outputs
        # of several processes back in corpus order
        for split in SPLITS[1:]:
            self.tokenized[split] = self.tokenized[split].add_column(
                INDEX, list(range(len(self.tokenized[split])))
            )
        if self.subword_sampling is not None:
            self.tokenized["train"] = self._with_texts(self.tokenized["train"])

    def _with_texts(self, train: Dataset) -> Dataset:
        """The training split with each pair's texts and position, which sampling needs."""
        pairs = self.corpus["train"]["translation"]
        train = train.add_column(SOURCE_TEXT, self._sources(pairs))
        train = train.add_column(TARGET_TEXT, [p[self.target_lang] for p in pairs])
        return train.add_column(INDEX, list(range(len(train))))

    def _sources(self, pairs: list[dict[str, str]]) -> list[str]:
        """The source sides of `pairs` as the model reads them: behind the task prefix."""
        return [self.task_prefix + pair[self.source_lang] for pair in pairs]

    def _tokenize(self, split_data: Dataset, split: str) -> Dataset:
        def encode(batch: dict[str, list[Any]]) -> dict[str, list[list[int]]]:
            sources = self._sources(batch["translation"])
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
        batches = ResumableBatchSampler(
            self.batching.batch_sampler(dataset, self.seed, self.shard())
        )
        if self.resume_position is not None:
            batches.start_at(*self.resume_position)
            self.resume_position = None
        collate = self.collator()
        if self.subword_sampling is not None:
            collate = SampledSegmentation(
                self.subword_sampling,
                self.tokenizer,
                collate,
                epoch_of=batches,
                seed=self.seed,
                max_source_length=self.max_source_length,
                max_target_length=self.max_target_length,
            )
        return DataLoader(
            dataset,
            batch_sampler=batches,
            collate_fn=collate,
            num_workers=self.num_workers,
        )

    def shard(self) -> Shard:
        """This process's place among the trainer's data-parallel processes."""
        if self.trainer is None:
            return Shard()
        return Shard(rank=self.trainer.global_rank, world_size=self.trainer.world_size)

    def _eval_loader(self, split: str) -> DataLoader:
        dataset, shard = self.tokenized[split], self.shard()
        # each process evaluates every world_size-th pair (the last ones repeat to even out)
        sampler = (
            DistributedSampler(dataset, shard.world_size, shard.rank, shuffle=False)
            if shard.world_size > 1
            else None
        )
        return DataLoader(
            dataset,
            batch_size=self.eval_batch_size,
            sampler=sampler,
            collate_fn=self.collator(),
            num_workers=self.num_workers,
        )

    def val_dataloader(self) -> DataLoader:
        return self._eval_loader("validation")

    def test_dataloader(self) -> DataLoader:
        return self._eval_loader("test")
