"""LightningModule: a T5 network trained with cross-entropy and scored with sacreBLEU."""

import itertools
import time
from collections.abc import Callable
from typing import Any

import pytorch_lightning as pl
import torch
from transformers import PreTrainedTokenizerBase, T5ForConditionalGeneration

from t5mt.data.datamodule import LABEL_PAD
from t5mt.distributed import gather_objects
from t5mt.errors import ConfigError
from t5mt.metrics import corpus_scores

OptimizerFactory = Callable[..., torch.optim.Optimizer]
SchedulerFactory = Callable[..., torch.optim.lr_scheduler.LRScheduler]


class TranslationModule(pl.LightningModule):
    """Trains `network` on tokenized batches; validation and test decode and score with BLEU/chrF.

    Validation BLEU is computed on the first `val_bleu_sentences` validation pairs (generation
    is the slow part); the test split is always decoded whole. Under DDP every process decodes
    its share and the scores are computed over all processes' hypotheses together.
    `compile` compiles the training forward pass with `torch.compile` (generation stays eager).
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
        compile: bool = False,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["network", "tokenizer", "optimizer", "scheduler"])
        self.network = network
        # a compiled function, not a module: the checkpoint keeps the network's own keys
        self._train_forward = (
            torch.compile(network.forward, dynamic=True) if compile else network.forward
        )
        self.tokenizer = tokenizer
        self.optimizer_factory = optimizer
        self.scheduler_factory = scheduler
        self.loss_fn = torch.nn.CrossEntropyLoss(
            ignore_index=LABEL_PAD, label_smoothing=label_smoothing
        )
        self._decoded: dict[str, list[tuple[int, str]]] = {}
        # split (val, test) → the hypotheses and scores of its latest decode; a split whose
        # latest loop decoded nothing has none
        self.scores: dict[str, dict[str, Any]] = {}
        self.throughput = ThroughputMeter(tokenizer.pad_token_id)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Cross-entropy loss of a batch (labels padded with -100)."""
        # decoder inputs instead of labels: the network would compute a second, unused loss
        logits = self._train_forward(
            input_ids=batch["input_ids"],
            attention_mask=batch["attention_mask"],
            decoder_input_ids=self.network.prepare_decoder_input_ids_from_labels(batch["labels"]),
        ).logits
        return self.loss_fn(logits.flatten(0, 1), batch["labels"].flatten())

    def setup(self, stage: str) -> None:
        check_precision(self.trainer.precision)

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
        loss = self(batch)
        self.log(f"{split}/loss", loss, batch_size=size, prog_bar=split == "val", sync_dist=True)
        decoded = self._decoded.setdefault(split, [])
        # each process holds every world_size-th pair: together they cover the first `limit`
        if limit is None or len(decoded) * self.trainer.world_size < limit:
            hypotheses = self.translate_batch(batch)
            decoded.extend(zip(batch["index"].tolist(), hypotheses, strict=True))

    def _score(self, split: str, data_split: str, limit: int | None) -> None:
        by_index = dict(gather_objects(self._decoded.pop(split, [])))
        # the decoded pairs from the first one on (fewer when the trainer limits batches)
        count = next(i for i in itertools.count() if i not in by_index)
        hypotheses = [by_index[i] for i in range(min(count, limit or count))]
        if not hypotheses:
            return
        pairs = self.trainer.datamodule.pairs(data_split)[: len(hypotheses)]
        references = [pair[self.hparams.target_lang] for pair in pairs]
        scores = corpus_scores(hypotheses, [references], self.hparams.target_lang)
        # every process scores the same gathered hypotheses: the values agree across processes
        self.log(f"{split}/bleu", scores["bleu"], prog_bar=True, sync_dist=True)
        self.log(f"{split}/chrf", scores["chrf"], sync_dist=True)
        self.log(f"{split}/sentences", float(len(hypotheses)), sync_dist=True)
        self.scores[split] = {"hypotheses": hypotheses, "sentences": len(hypotheses), **scores}

    def on_validation_epoch_start(self) -> None:
        self.scores.pop("val", None)

    def on_test_epoch_start(self) -> None:
        self.scores.pop("test", None)

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._eval_step(batch, "val", self.hparams.val_bleu_sentences)

    def on_validation_epoch_end(self) -> None:
        self._score("val", "validation", self.hparams.val_bleu_sentences)

    def test_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._eval_step(batch, "test", None)

    def on_test_epoch_end(self) -> None:
        self._score("test", "test", None)

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


def check_precision(precision: str) -> None:
    """Refuse float16 training: T5's activations overflow float16 (use bf16-mixed or 32-true)."""
    if str(precision).startswith("16"):
        raise ConfigError(
            f"trainer.precision={precision}: T5 overflows in float16 (NaN losses); "
            "use trainer.precision=bf16-mixed or 32-true"
        )


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
