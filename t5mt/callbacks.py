"""Lightning callbacks that make runs resumable and failures explicit."""

import random
from datetime import timedelta
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import EarlyStopping, ModelCheckpoint

from t5mt.errors import ConfigError, T5mtError


class TrainingDiverged(T5mtError):
    """The training loss stopped being a finite number."""


class RngState(pl.Callback):
    """Saves the Python, NumPy and torch random states in checkpoints and restores them on
    resume, so that dropout and sampling continue as if the run had never stopped."""

    def on_save_checkpoint(
        self, trainer: pl.Trainer, module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        checkpoint["rng_states"] = {
            "python": random.getstate(),
            # plain lists and numbers: Lightning loads checkpoints with weights_only=True
            "numpy": _plain(np.random.get_state()),
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        }

    def on_load_checkpoint(
        self, trainer: pl.Trainer, module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        states = checkpoint.get("rng_states")
        if states is None:
            return
        random.setstate(states["python"])
        kind, keys, position, has_gauss, cached = states["numpy"]
        np.random.set_state((kind, np.array(keys, dtype=np.uint32), position, has_gauss, cached))
        torch.set_rng_state(states["torch"])
        if states["cuda"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(states["cuda"])


def _plain(numpy_state: tuple) -> tuple:
    kind, keys, position, has_gauss, cached = numpy_state
    return (kind, keys.tolist(), int(position), int(has_gauss), float(cached))


class StopOnNonFiniteLoss(pl.Callback):
    """Fails the run at the first NaN or infinite training loss, instead of training on."""

    def on_train_batch_end(
        self, trainer: pl.Trainer, module: pl.LightningModule, outputs: Any, batch: Any, index: int
    ) -> None:
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        if loss is not None and not torch.isfinite(loss).all():
            raise TrainingDiverged(
                f"the training loss became {loss.item()} at step {trainer.global_step} "
                "(try a lower optim.lr or gradient clipping)"
            )


class ValidateAtMaxSteps(pl.Callback):
    """Validates the final weights when training ends at `trainer.max_steps` mid-epoch.

    Lightning validates when a stop is requested (as `max_time` does) but not when `max_steps`
    runs out, so the last steps would never be scored nor be a candidate for best.ckpt.
    """

    def on_train_batch_end(
        self, trainer: pl.Trainer, module: pl.LightningModule, outputs: Any, batch: Any, index: int
    ) -> None:
        if 0 < trainer.max_steps <= trainer.global_step:
            trainer.should_stop = True


class LatestCheckpoint(ModelCheckpoint):
    """Writes last.ckpt on its step or time interval and after every validation.

    Lightning's own `save_last` writes last.ckpt after a validation only when that validation
    also saved a top-k checkpoint, so a run whose final validation was not its best would be
    left with a last.ckpt of an earlier step (and `ckpt=last` or a resume would start there).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._saving_at_batch_end = False

    def on_train_batch_end(
        self, trainer: pl.Trainer, module: pl.LightningModule, outputs: Any, batch: Any, index: int
    ) -> None:
        self._saving_at_batch_end = True
        try:
            super().on_train_batch_end(trainer, module, outputs, batch, index)
        finally:
            self._saving_at_batch_end = False

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        super().on_validation_end(trainer, pl_module)
        if not self._should_skip_saving_checkpoint(trainer):
            self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))

    def on_save_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        # Lightning hands a step's metrics to the loggers only after the callbacks'
        # on_train_batch_end: a checkpoint saved there carries that row, so that a run killed
        # before the row reached metrics.csv gets it back on resume (t5mt.loggers.trim_metrics).
        if self._saving_at_batch_end:
            row = unlogged_train_row(trainer)
            if row is not None:
                checkpoint[UNLOGGED_ROW_KEY] = row


# the checkpoint key of the training step's metrics row that was not yet logged at the save
UNLOGGED_ROW_KEY = "unlogged_metrics_row"


def unlogged_train_row(trainer: pl.Trainer) -> dict[str, float | int] | None:
    """The row Lightning is about to log for the training step that just ended (the metrics,
    `epoch` and `step`, as metrics.csv writes them), or None when that step logs nothing."""
    connector = trainer._logger_connector
    if trainer.fit_loop._should_accumulate() or not connector.should_update_logs:
        return None
    metrics = {name: float(value) for name, value in connector.metrics["log"].items()}
    if not metrics:
        return None
    step = trainer.fit_loop.epoch_loop._batches_that_stepped
    return {**metrics, "epoch": trainer.current_epoch, "step": step}


def periodic_checkpoint(
    dirpath: str, every_n_train_steps: int | None = None, every_minutes: float | None = None
) -> ModelCheckpoint:
    """A callback that refreshes last.ckpt after every validation, and every N minutes if
    `every_minutes` is set, else every N training steps."""
    if every_minutes is not None:
        if every_minutes <= 0:
            raise ConfigError(f"callbacks.last.every_minutes must be positive, not {every_minutes}")
        interval, every_n_train_steps = timedelta(minutes=every_minutes), None
    else:
        interval = None
    return LatestCheckpoint(
        dirpath=dirpath,
        save_top_k=0,
        save_last=True,
        enable_version_counter=False,  # best's callback writes last.ckpt too: overwrite it
        every_n_train_steps=every_n_train_steps,
        train_time_interval=interval,
    )


# what early stopping may watch, and which way is better
EARLY_STOPPING_MODES = {"val/bleu": "max", "val/chrf": "max", "val/loss": "min"}


def early_stopping(
    patience: int | None, monitor: str = "val/bleu", min_delta: float = 0.0
) -> EarlyStopping | None:
    """Stop training after `patience` validations in a row that did not improve `monitor` by
    more than `min_delta`; None (no callback) when `patience` is null."""
    if patience is None:
        return None
    if patience < 1:
        raise ConfigError(f"callbacks.early_stopping.patience must be at least 1, not {patience}")
    if monitor not in EARLY_STOPPING_MODES:
        raise ConfigError(
            f"callbacks.early_stopping.monitor={monitor} is not one of "
            f"{', '.join(EARLY_STOPPING_MODES)}"
        )
    if min_delta < 0:
        raise ConfigError(f"callbacks.early_stopping.min_delta must be >= 0, not {min_delta}")
    return EarlyStopping(
        monitor=monitor,
        mode=EARLY_STOPPING_MODES[monitor],
        patience=patience,
        min_delta=min_delta,
        check_on_train_epoch_end=False,  # after every validation, also mid-epoch ones
        verbose=True,
    )


def keep_last(dirpath: str, n: int = 0) -> ModelCheckpoint | None:
    """Keep the weights of the last `n` validations as `dirpath`/step-<step>.ckpt (for
    `ckpt=average`); None (no callback) when `n` is 0."""
    if n == 0:
        return None
    if n < 0:
        raise ConfigError(f"callbacks.keep_last.n must be 0 (off) or positive, not {n}")
    return ModelCheckpoint(
        dirpath=dirpath,
        filename="step-{step:07d}",
        monitor="step",  # the newest n are the "best" n
        mode="max",
        save_top_k=n,
        save_weights_only=True,  # averaging needs no optimizer state: a third of the size
        auto_insert_metric_name=False,
        enable_version_counter=False,
    )
