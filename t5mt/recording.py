"""Recording: a run's bookkeeping while it trains, written by the global rank zero process only.

`RunRecorder` is a context manager around the whole attempt (status `running` with host, pid
and heartbeat on entry; `completed` with results.json, or `failed` with the error, on exit) and
a Lightning callback for what becomes known during training (the architecture, the
reproducibility record, the W&B and MLflow run ids, the validation and test scores, the validation
curve against training time, samples.txt, and the test sentences with their hypotheses).
"""

import logging
import time
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Timer
from pytorch_lightning.callbacks.early_stopping import EarlyStoppingReason
from pytorch_lightning.loggers import MLFlowLogger, WandbLogger

from t5mt.data.datamodule import SPLITS
from t5mt.distributed import is_global_zero
from t5mt.loggers import log_samples
from t5mt.reproducibility import git_state, reproducibility_record
from t5mt.resume import Attempt
from t5mt.run_folder import (
    Heartbeat,
    RunFolder,
    corpus_fingerprint,
    now,
    this_process,
    write_json_atomic,
    write_scored,
    write_text_atomic,
)

log = logging.getLogger(__name__)


class RunRecorder(pl.Callback):
    """Keeps `run`'s records for one `attempt` with the resolved `config` and its `overrides`
    (and `init_from`, the source a fine-tuned run started from: t5mt.init_from)."""

    def __init__(
        self,
        run: RunFolder,
        attempt: Attempt,
        config: dict[str, Any],
        overrides: list[str],
        num_samples: int = 20,
        num_val_samples: int = 5,
        init_from: dict[str, Any] | None = None,
    ) -> None:
        self.run = run
        self.init_from = init_from
        self.attempt = attempt
        self.config = config
        self.overrides = overrides
        self.num_samples = num_samples
        self.num_val_samples = num_val_samples
        self.keeps_records = is_global_zero()
        self.results: dict[str, Any] = {
            "seed": attempt.seed,
            "parameters": None,
            "train_seconds": 0.0,
            "val": {"bleu": None, "final_loss": None},
        }
        self._heartbeat = Heartbeat(run)
        self._set_up = False
        self._loggers: list = []
        self._fit_started = self._train_started = 0.0
        # training seconds of earlier attempts (from the checkpoint), and the curve so far
        self._seconds_before = 0.0
        self.val_curve: list[dict[str, float]] = []

    @property
    def score(self) -> float | None:
        """The best validation BLEU: what a sweeper optimises."""
        return self.results["val"]["bleu"]

    def __enter__(self) -> "RunRecorder":
        if self.keeps_records:
            checkpoint = self.attempt.checkpoint
            self.run.update_status(
                status="running",
                seed=self.attempt.seed,
                attempts=self.attempt.number,
                started=now(),
                # relative to the run folder, which may be moved between attempts
                resumed_from=str(checkpoint.relative_to(self.run.root)) if checkpoint else None,
                **this_process(),
            )
            self._heartbeat.start()
            if checkpoint:
                log.info("resuming from %s", checkpoint)
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, _: object) -> None:
        if not self.keeps_records:
            return
        self._heartbeat.stop()
        if error is not None:
            described = f"{type(error).__name__}: {error}".rstrip(": ")
            self.run.update_status(status="failed", finished=now(), error=described)
            return
        write_json_atomic(self.run.results, self.results)
        for logger in self._loggers:
            if isinstance(logger, WandbLogger):
                logger.experiment.finish()  # an offline run's files are complete only then
        self.run.update_status(status="completed", finished=now())
        log.info("done: %s", summary_line(self.results))
        log.info("run folder: %s", self.run.root)

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if self._set_up or not self.keeps_records:
            return
        self._set_up = True
        self._loggers = list(trainer.loggers)
        network = pl_module.network
        self.results["parameters"] = sum(p.numel() for p in network.parameters())
        write_text_atomic(self.run.model_config, network.config.to_json_string())
        if not self.run.reproducibility.is_file():
            self._write_reproducibility_record(trainer.datamodule)
        for logger in self._loggers:
            if isinstance(logger, WandbLogger):
                self.run.update_status(wandb_id=logger.experiment.id)  # starts the W&B run
            if isinstance(logger, MLFlowLogger):
                self.run.update_status(mlflow_id=logger.run_id)  # a resumed run continues it
            logger.log_hyperparams(self.config)

    def _write_reproducibility_record(self, datamodule: pl.LightningDataModule) -> None:
        """reproducibility.json, and git.diff when the code has uncommitted changes."""
        splits = {split: datamodule.pairs(split) for split in SPLITS}
        languages = (datamodule.source_lang, datamodule.target_lang)
        data = {
            "fingerprint": corpus_fingerprint(splits, *languages),
            # what a paired test between two runs needs to be equal (`runs compare`)
            "test_fingerprint": corpus_fingerprint(splits, *languages, only=("test",)),
            "pairs": {split: len(pairs) for split, pairs in splits.items()},
        }
        git = git_state()
        diff = git.pop("diff")
        if git["dirty"]:
            write_text_atomic(self.run.git_diff, diff)
        record = reproducibility_record(
            self.run, self.config, self.overrides, self.attempt.seed, data, git, self.init_from
        )
        write_json_atomic(self.run.reproducibility, record)

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._fit_started = time.perf_counter()

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # after the sanity check, where trainer.max_time starts counting too
        self._train_started = time.perf_counter()

    def training_seconds(self) -> float:
        """Seconds since training started (the clock of `trainer.max_time`), earlier attempts of
        a resumed run included."""
        return self._seconds_before + time.perf_counter() - self._train_started

    def state_dict(self) -> dict[str, Any]:
        # in every checkpoint: a resumed run's curve goes on from the saved one
        return {"val_curve": self.val_curve, "training_seconds": self.training_seconds()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.val_curve = list(state_dict.get("val_curve", []))
        self._seconds_before = state_dict.get("training_seconds", 0.0)

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.results["train_seconds"] = round(time.perf_counter() - self._fit_started, 1)
        self.results.update(pl_module.throughput.summary())
        # the best checkpoint's BLEU, and the loss of the final validation
        self.results["val"] = {
            "bleu": _best_score(trainer),
            "final_loss": _metric(trainer, "val/loss"),
            # a copy: testing the best checkpoint restores this callback's state from it too
            "curve": list(self.val_curve),
        }
        self.results["stopped"] = why_stopped(trainer)

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        decoded = pl_module.scores.get("val")
        if trainer.sanity_checking or not decoded or not self.keeps_records:
            return
        self.val_curve.append(
            {
                "step": trainer.global_step,
                "minutes": round(self.training_seconds() / 60, 2),
                "bleu": round(decoded["bleu"], 2),
                "loss": _metric(trainer, "val/loss"),
            }
        )
        triples = samples(trainer.datamodule, "validation", decoded, self.num_val_samples)
        if not triples:
            return
        step = trainer.global_step
        write_text_atomic(self.run.val_samples(step), format_samples(triples))
        log_samples(self._loggers, triples, step)

    def on_test_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        decoded = pl_module.scores.get("test", {})
        self.results["test"] = {
            # best.ckpt, or the weights in memory: the final ones after a fit
            "checkpoint": Path(trainer.ckpt_path).name if trainer.ckpt_path else "final weights",
            "loss": _metric(trainer, "test/loss"),
            **{key: value for key, value in decoded.items() if key != "hypotheses"},
        }
        if self.keeps_records and decoded:
            hypotheses = decoded["hypotheses"]
            pairs = trainer.datamodule.pairs("test")[: len(hypotheses)]
            source, target = trainer.datamodule.source_lang, trainer.datamodule.target_lang
            sources = [pair[source] for pair in pairs]
            references = [pair[target] for pair in pairs]
            # in full, for paired significance tests between runs (`runs compare`)
            write_scored(self.run.test_hypotheses, sources, [references], hypotheses)
            triples = samples(trainer.datamodule, "test", decoded, self.num_samples)
            write_text_atomic(self.run.samples, format_samples(triples))


Sample = tuple[str, str, str]


def samples(
    datamodule: pl.LightningDataModule, split: str, decoded: dict[str, Any], count: int
) -> list[Sample]:
    """(source, reference, hypothesis) of the first `count` decoded sentences of `split`."""
    pairs = datamodule.pairs(split)[:count]
    source, target = datamodule.source_lang, datamodule.target_lang
    hypotheses = decoded["hypotheses"][: len(pairs)]
    # not strict: validation decodes only `module.val_bleu_sentences`, which may be fewer
    return [
        (pair[source], pair[target], hypothesis)
        for pair, hypothesis in zip(pairs, hypotheses, strict=False)
    ]


def format_samples(triples: list[Sample]) -> str:
    """Source / reference / hypothesis blocks, one per sentence, for samples.txt."""
    blocks = [
        f"SRC {source}\nREF {reference}\nHYP {hypothesis}\n"
        for source, reference, hypothesis in triples
    ]
    return "\n".join(blocks)


def why_stopped(trainer: pl.Trainer) -> dict[str, Any]:
    """Why and at which step and epoch a fit ended: early_stopping (with the callback's
    message), max_steps, max_time or max_epochs."""
    early = trainer.early_stopping_callback
    detail = None
    if early is not None and early.stopping_reason != EarlyStoppingReason.NOT_STOPPED:
        reason, detail = "early_stopping", early.stopping_reason_message
    elif 0 < trainer.max_steps <= trainer.global_step:
        reason = "max_steps"
    elif _time_ran_out(trainer):
        reason = "max_time"
    else:
        reason = "max_epochs"
    return {
        "reason": reason,
        "detail": detail,
        "step": trainer.global_step,
        "epoch": trainer.current_epoch,
    }


def summary_line(results: dict[str, Any]) -> str:
    """One line of the scores a user looks for first."""
    parts = [f"val BLEU {results['val']['bleu']}"]
    test = results.get("test", {})
    if "bleu" in test:
        parts.append(
            f"test BLEU {test['bleu']:.2f} chrF {test['chrf']:.2f} ({test['bleu_signature']})"
        )
    parts.append(f"{results['train_seconds']} s training")
    return ", ".join(parts)


def _time_ran_out(trainer: pl.Trainer) -> bool:
    """Whether the `trainer.max_time` budget is spent."""
    timers = [callback for callback in trainer.callbacks if isinstance(callback, Timer)]
    remaining = [timer.time_remaining() for timer in timers]
    return any(seconds is not None and seconds <= 0 for seconds in remaining)


def _metric(trainer: pl.Trainer, name: str) -> float | None:
    value = trainer.callback_metrics.get(name)
    return None if value is None else round(float(value), 4)


def _best_score(trainer: pl.Trainer) -> float | None:
    callback = trainer.checkpoint_callback
    if callback is None or callback.best_model_score is None:
        return _metric(trainer, "val/bleu")
    return round(float(callback.best_model_score), 2)
