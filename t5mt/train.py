"""Train: `python -m t5mt.train [overrides]` composes conf/, fits, tests the best checkpoint and
writes the run folder (see t5mt.runs). Returns the best validation BLEU for sweepers."""

import logging
import os
import random
import sys
import time
import warnings
from pathlib import Path

import hydra
import pytorch_lightning as pl
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.loggers import WandbLogger
from pytorch_lightning.utilities import rank_zero_only
from transformers import PreTrainedTokenizerBase

from t5mt.cli import reported_errors
from t5mt.data.datamodule import SPLITS, TranslationDataModule
from t5mt.data.tokenizer import load_saved
from t5mt.loggers import trim_metrics
from t5mt.reproducibility import write_record
from t5mt.resume import PriorAttempt, checkpoint_step, prior_attempt, resume_arguments
from t5mt.runs import (
    RunFolder,
    format_samples,
    now,
    read_json,
    write_json_atomic,
    write_text_atomic,
)

log = logging.getLogger(__name__)

# The CSV logger writes metrics.csv into the run folder, which already holds Hydra's files; its
# warning that "previous log files will be deleted" is about its own files only.
warnings.filterwarnings("ignore", message="Experiment logs directory .* exists and is not empty")


def instantiate_all(group: DictConfig | None) -> list:
    """Instantiate every entry of a name → config mapping (loggers, callbacks)."""
    return [instantiate(entry) for entry in (group or {}).values()]


def train(
    cfg: DictConfig,
    run: RunFolder,
    config: dict,
    previous: PriorAttempt | None,
    primary: bool = True,
) -> float | None:
    """Fit and test as `cfg` (resolved: `config`) says, writing everything into `run`; continue
    from the `previous` attempt's last checkpoint if there is one.

    Only the `primary` process (DDP rank 0) writes the run folder's records; the others train.
    """
    resume_from = previous.checkpoint if previous else None
    seed = _seed(cfg, previous) if primary else int(os.environ["PL_GLOBAL_SEED"])
    pl.seed_everything(seed, workers=True)
    if primary:
        attempts = run.read_status().get("attempts", 0) + 1
        run.update_status(status="running", seed=seed, started=now(), attempts=attempts)

    datamodule = instantiate(cfg.data, seed=seed)
    if primary and previous is None:
        splits = {split: datamodule.pairs(split) for split in SPLITS}
        write_record(run, config, list(HydraConfig.get().overrides.task), seed, splits)
    # (DDP ranks other than 0 count as resuming: rank 0 saved the tokenizer before launching them)
    tokenizer = _tokenizer(cfg, run, datamodule, resuming=previous is not None)
    datamodule.set_tokenizer(tokenizer)
    network = instantiate(cfg.model.network)(tokenizer=tokenizer)
    if primary:
        network.config.to_json_file(run.model_config)
    module = instantiate(
        cfg.module,
        network=network,
        tokenizer=tokenizer,
        optimizer=instantiate(cfg.optim.optimizer),
        scheduler=instantiate(cfg.optim.scheduler),
    )
    if resume_from and primary:
        log.info("resuming from %s", resume_from)
        trim_metrics(run.metrics_csv, checkpoint_step(resume_from))
    loggers = instantiate_all(cfg.get("logger"))
    if primary:
        _remember_wandb_id(run, loggers)
    for logger in loggers:
        logger.log_hyperparams(config)
    trainer = instantiate(
        cfg.trainer, logger=loggers or False, callbacks=instantiate_all(cfg.callbacks)
    )

    started = time.perf_counter()
    if cfg.train:
        trainer.fit(module, datamodule=datamodule, ckpt_path=resume_from)
    train_seconds = time.perf_counter() - started
    best_val_bleu = _best_score(trainer)

    results = {
        "seed": seed,
        "parameters": sum(p.numel() for p in network.parameters()),
        "train_seconds": round(train_seconds, 1),
        **module.throughput.summary(),
        # the best checkpoint's BLEU, and the loss of the final validation
        "val": {"bleu": best_val_bleu, "final_loss": _metric(trainer, "val/loss")},
    }
    if cfg.test:
        callback = trainer.checkpoint_callback
        ckpt = "best" if cfg.train and callback and callback.best_model_path else None
        trainer.test(module, datamodule=datamodule, ckpt_path=ckpt)
        outputs = module.last_outputs
        results["test"] = {
            "loss": _metric(trainer, "test/loss"),
            **{k: v for k, v in outputs.items() if k not in ("hypotheses", "split")},
        }
        if primary:
            _write_samples(run, datamodule, outputs["hypotheses"], cfg.num_samples)
    if not primary:
        return best_val_bleu
    write_json_atomic(run.results, results)
    _finish_wandb(loggers)
    run.update_status(status="completed", finished=now())
    log.info("done: %s", _summary(results))
    log.info("run folder: %s", run.root)
    return best_val_bleu


def _seed(cfg: DictConfig, previous: PriorAttempt | None) -> int:
    """The seed of an earlier attempt, else the configured one, else a freshly drawn one."""
    if previous and previous.seed is not None:
        return previous.seed
    return cfg.seed if cfg.seed is not None else random.SystemRandom().randrange(2**31)


def _tokenizer(
    cfg: DictConfig, run: RunFolder, datamodule: TranslationDataModule, resuming: bool
) -> PreTrainedTokenizerBase:
    """The run's saved tokenizer when resuming, else a new one (trained or downloaded)."""
    if resuming and run.tokenizer_dir.is_dir():
        return load_saved(run.tokenizer_dir)
    return instantiate(cfg.model.tokenizer)(
        texts=datamodule.training_texts(), save_dir=run.tokenizer_dir
    )


def _remember_wandb_id(run: RunFolder, loggers: list) -> None:
    """Keep the W&B run id in run.json, so that a resumed run logs into the same W&B run."""
    for logger in loggers:
        if isinstance(logger, WandbLogger):
            run.update_status(wandb_id=logger.experiment.id)  # starts the W&B run


def _finish_wandb(loggers: list) -> None:
    """Close the W&B run, so that an offline run's files (config, summary) are complete."""
    for logger in loggers:
        if isinstance(logger, WandbLogger):
            logger.experiment.finish()


def _summary(results: dict) -> str:
    """One line of the scores a user looks for first."""
    parts = [f"val BLEU {results['val']['bleu']}"]
    if "test" in results:
        test = results["test"]
        parts.append(
            f"test BLEU {test['bleu']:.2f} chrF {test['chrf']:.2f} ({test['bleu_signature']})"
        )
    parts.append(f"{results['train_seconds']} s training")
    return ", ".join(parts)


def _metric(trainer: pl.Trainer, name: str) -> float | None:
    value = trainer.callback_metrics.get(name)
    return None if value is None else round(float(value), 4)


def _best_score(trainer: pl.Trainer) -> float | None:
    callback = trainer.checkpoint_callback
    if callback is None or callback.best_model_score is None:
        return _metric(trainer, "val/bleu")
    return round(float(callback.best_model_score), 2)


def _write_samples(
    run: RunFolder, datamodule: TranslationDataModule, hypotheses: list[str], count: int
) -> None:
    pairs = datamodule.pairs("test")[:count]
    write_text_atomic(
        run.samples,
        format_samples(
            [p[datamodule.source_lang] for p in pairs],
            [p[datamodule.target_lang] for p in pairs],
            hypotheses[: len(pairs)],
        ),
    )


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def main(cfg: DictConfig) -> float | None:
    """Hydra entrypoint: one run, or one job of a `-m` sweep."""
    hydra_config = HydraConfig.get()
    run = RunFolder(Path(hydra_config.runtime.output_dir))
    if hydra_config.mode != RunMode.MULTIRUN:
        with reported_errors():
            return run_in_folder(cfg, run)
    # A failing job (NaN loss, out of memory, a bad combination) is recorded in its folder and
    # the sweep goes on.
    try:
        return run_in_folder(cfg, run)
    except Exception:
        log.exception("job failed: %s", run.root)
        if "optuna" in hydra_config.sweeper._target_:
            raise  # Optuna marks a trial that raises as failed and goes on; it rejects NaN
        return float("nan")  # the basic sweeper would stop the sweep at an exception


def run_in_folder(cfg: DictConfig, run: RunFolder) -> float | None:
    """Train in `run`, or skip it if it completed, or continue its earlier attempt."""
    config = OmegaConf.to_container(cfg, resolve=True)
    if rank_zero_only.rank != 0:
        # a DDP process that Lightning launched: it resumes as rank 0 does, and keeps no records
        checkpoint = run.last_checkpoint()
        previous = PriorAttempt(completed=False, seed=None, checkpoint=checkpoint, changed=[])
        return train(cfg, run, config, previous, primary=False)
    previous = prior_attempt(run, config)
    if previous and previous.completed and not previous.changed:
        log.info("already completed, skipped: %s", run.root)
        return read_json(run.results).get("val", {}).get("bleu")
    try:
        return train(cfg, run, config, previous)
    except BaseException as error:
        run.update_status(status="failed", finished=now(), error=_describe(error))
        raise


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}".rstrip(": ")


if __name__ == "__main__":
    with reported_errors():
        sys.argv[1:] = resume_arguments(sys.argv[1:])
    main()
