"""LightningModule: a T5 network trained with cross-entropy and scored with sacreBLEU."""

import time
from collections.abc import Callable
from typing import Any

import pytorch_lightning as pl
import torch
from transformers import PreTrainedTokenizerBase, T5ForConditionalGeneration

from t5mt.data.datamodule import LABEL_PAD
from t5mt.metrics import corpus_scores

OptimizerFactory = Callable[..., torch.optim.Optimizer]
SchedulerFactory = Callable[..., torch.optim.lr_scheduler.LRScheduler]


class TranslationModule(pl.LightningModule):
    """Trains `network` on tokenized batches; validation and test decode and score with BLEU/chrF.

    Validation BLEU is computed on the first `val_bleu_sentences` validation pairs (generation
    is the slow part); the test split is always decoded whole.
    """

    def __init__(
        self,
        network: T5ForConditionalGeneration,
        tokenizer: PreTrainedTokenizerBase,
        optimizer: OptimizerFactory,
        scheduler: SchedulerFactory | None = None,
        label_smoothing: float = 0.0,
        num_beams: int = 1,
        max_new_tokens: int = 128,
        val_bleu_sentences: int = 256,
        target_lang: str = "de",
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["network", "tokenizer", "optimizer", "scheduler"])
        self.network = network
        self.tokenizer = tokenizer
        self.optimizer_factory = optimizer
        self.scheduler_factory = scheduler
        self.loss_fn = torch.nn.CrossEntropyLoss(
            ignore_index=LABEL_PAD, label_smoothing=label_smoothing
        )
        self._decoded: dict[str, list[str]] = {}
        self.throughput = ThroughputMeter(tokenizer.pad_token_id)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Cross-entropy loss of a batch (labels padded with -100)."""
        # decoder inputs instead of labels: the network would compute a second, unused loss
        logits = self.network(
            input_ids=batch["input_ids"],
            attention_mask=batch["attention_mask"],
            decoder_input_ids=self.network.prepare_decoder_input_ids_from_labels(batch["labels"]),
        ).logits
        return self.loss_fn(logits.flatten(0, 1), batch["labels"].flatten())

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss = self(batch)
        self.log("train/loss", loss, prog_bar=True, batch_size=batch["input_ids"].shape[0])
        self.log("train/lr", self.optimizers().param_groups[0]["lr"])
        return loss

    def on_train_batch_start(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self.throughput.start()

    def on_train_batch_end(
        self, outputs: Any, batch: dict[str, torch.Tensor], batch_idx: int
    ) -> None:
        self.throughput.stop(batch)

    def translate_batch(self, batch: dict[str, torch.Tensor]) -> list[str]:
        """Generate translations for the sources of a tokenized batch."""
        generated = self.network.generate(
            input_ids=batch["input_ids"],
            attention_mask=batch["attention_mask"],
            num_beams=self.hparams.num_beams,
            max_new_tokens=self.hparams.max_new_tokens,
        )
        return self.tokenizer.batch_decode(generated, skip_special_tokens=True)

    def _eval_step(self, batch: dict[str, torch.Tensor], split: str, limit: int | None) -> None:
        size = batch["input_ids"].shape[0]
        self.log(f"{split}/loss", self(batch), batch_size=size, prog_bar=split == "val")
        decoded = self._decoded.setdefault(split, [])
        if limit is None or len(decoded) < limit:
            decoded.extend(self.translate_batch(batch))

    def _score(self, split: str, data_split: str) -> None:
        hypotheses = self._decoded.pop(split, [])
        if not hypotheses:
            return
        pairs = self.trainer.datamodule.pairs(data_split)[: len(hypotheses)]
        references = [pair[self.hparams.target_lang] for pair in pairs]
        scores = corpus_scores(hypotheses, [references], self.hparams.target_lang)
        self.log(f"{split}/bleu", scores["bleu"], prog_bar=True)
        self.log(f"{split}/chrf", scores["chrf"])
        self.last_outputs = {"hypotheses": hypotheses, **scores}

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._eval_step(batch, "val", self.hparams.val_bleu_sentences)

    def on_validation_epoch_end(self) -> None:
        self._score("val", "validation")

    def test_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._eval_step(batch, "test", None)

    def on_test_epoch_end(self) -> None:
        self._score("test", "test")

    def configure_optimizers(self) -> Any:
        optimizer = self.optimizer_factory(self.parameters())
        if self.scheduler_factory is None:
            return optimizer
        scheduler = self.scheduler_factory(
            optimizer=optimizer, num_training_steps=self.trainer.estimated_stepping_batches
        )
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
        }


class ThroughputMeter:
    """Counts non-pad and padding token slots of training batches and the time spent on them."""

    def __init__(self, pad_token_id: int) -> None:
        self.pad_token_id = pad_token_id
        self.tokens = 0
        self.padding = 0
        self.seconds = 0.0
        self._started: float | None = None

    def start(self) -> None:
        self._started = time.perf_counter()

    def stop(self, batch: dict[str, torch.Tensor]) -> None:
        """Add the time since `start` (forward, backward and optimizer step) and count `batch`."""
        if self._started is not None:
            self.seconds += time.perf_counter() - self._started
            self._started = None
        source_tokens = int(batch["attention_mask"].sum())
        target_tokens = int((batch["labels"] != LABEL_PAD).sum())
        slots = batch["input_ids"].numel() + batch["labels"].numel()
        self.tokens += source_tokens + target_tokens
        self.padding += slots - source_tokens - target_tokens

    def summary(self) -> dict[str, float]:
        """Non-pad tokens per second of training time and the share of padding slots."""
        slots = self.tokens + self.padding
        return {
            "train_tokens_per_second": self.tokens / self.seconds if self.seconds else 0.0,
            "padding_fraction": self.padding / slots if slots else 0.0,
            "train_tokens": self.tokens,
        }
