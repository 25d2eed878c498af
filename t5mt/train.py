"""Train: `python -m t5mt.train [overrides]` composes conf/, fits, tests the best checkpoint and
writes the run folder (see t5mt.runs). Returns the best validation BLEU for sweepers."""

import logging
import random
import time
import warnings
from pathlib import Path

import hydra
import pytorch_lightning as pl
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import DictConfig

from t5mt.cli import reported_errors
from t5mt.data.datamodule import TranslationDataModule
from t5mt.runs import RunFolder, format_samples, now, write_json_atomic, write_text_atomic

log = logging.getLogger(__name__)

# The CSV logger writes metrics.csv into the run folder, which already holds Hydra's files; its
# warning that "previous log files will be deleted" is about its own files only.
warnings.filterwarnings("ignore", message="Experiment logs directory .* exists and is not empty")


def instantiate_all(group: DictConfig | None) -> list:
    """Instantiate every entry of a name → config mapping (loggers, callbacks)."""
    return [instantiate(entry) for entry in (group or {}).values()]


def train(cfg: DictConfig, run: RunFolder) -> float | None:
    """Fit and test as `cfg` says, writing everything into `run`."""
    seed = cfg.seed if cfg.seed is not None else random.SystemRandom().randrange(2**31)
    pl.seed_everything(seed, workers=True)
    run.update_status(status="running", seed=seed, started=now())

    datamodule = instantiate(cfg.data, seed=seed)
    tokenizer = instantiate(cfg.model.tokenizer)(
        texts=datamodule.training_texts(), save_dir=run.tokenizer_dir
    )
    datamodule.set_tokenizer(tokenizer)
    network = instantiate(cfg.model.network)(tokenizer=tokenizer)
    network.config.to_json_file(run.model_config)
    module = instantiate(
        cfg.module,
        network=network,
        tokenizer=tokenizer,
        optimizer=instantiate(cfg.optim.optimizer),
        scheduler=instantiate(cfg.optim.scheduler),
    )
    loggers = instantiate_all(cfg.get("logger"))
    trainer = instantiate(
        cfg.trainer, logger=loggers or False, callbacks=instantiate_all(cfg.callbacks)
    )

    started = time.perf_counter()
    if cfg.train:
        trainer.fit(module, datamodule=datamodule)
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
        _write_samples(run, datamodule, outputs["hypotheses"], cfg.num_samples)
    write_json_atomic(run.results, results)
    run.update_status(status="completed", finished=now())
    log.info("done: %s", _summary(results))
    log.info("run folder: %s", run.root)
    return best_val_bleu


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
    """Hydra entrypoint: one run (or one job of a `-m` sweep)."""
    run = RunFolder(Path(HydraConfig.get().runtime.output_dir))
    with reported_errors():
        try:
            return train(cfg, run)
        except BaseException:
            run.update_status(status="failed", finished=now())
            raise


if __name__ == "__main__":
    main()
