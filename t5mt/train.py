"""Train: `python -m t5mt.train [overrides]` composes conf/, fits, tests the best checkpoint or the
final weights (`test_ckpt`) and writes the run folder (see t5mt.run_folder). Returns the best
validation BLEU for sweepers."""

import logging
import sys
import warnings
from pathlib import Path

import hydra
import pytorch_lightning as pl
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from t5mt.allocator import keep_freed_memory
from t5mt.cli import reported_errors
from t5mt.data.tokenizer import load_saved
from t5mt.errors import ConfigError
from t5mt.init_from import init_source
from t5mt.native_bf16 import register_resolver
from t5mt.recording import RunRecorder
from t5mt.resources import follow_assigned_cpus
from t5mt.resume import decide_attempt, resume_arguments
from t5mt.run_folder import RunFolder, new_run_dir
from t5mt.sweeps import run_job

log = logging.getLogger(__name__)

# test_ckpt: checkpoints/best.ckpt, or the weights the fit ended with
TEST_CHECKPOINTS = ("best", "last")

# conf/hydra/default.yaml names new run folders with it: unique even for runs started together
OmegaConf.register_new_resolver("t5mt.new_run_dir", new_run_dir, replace=True)
# `${t5mt.if_native_bf16:A,B}`: the CPU recipes choose bf16 where the CPU computes it natively
register_resolver()
# The CSV logger writes metrics.csv into the run folder, which already holds Hydra's files; its
# warning that "previous log files will be deleted" is about its own files only.
warnings.filterwarnings("ignore", message="Experiment logs directory .* exists and is not empty")


def instantiate_all(group: DictConfig | None) -> list:
    """Instantiate every entry of a name → config mapping (loggers, callbacks), leaving out
    the entries whose factory returns None (a callback that is switched off)."""
    built = (instantiate(entry) for entry in (group or {}).values())
    return [item for item in built if item is not None]


def train(cfg: DictConfig, run: RunFolder) -> float | None:
    """Fit and test as `cfg` says in `run`: a new run, the continuation of an earlier attempt
    from its last checkpoint, or nothing for a run that completed. Returns the best val BLEU."""
    check_test_ckpt(cfg.test_ckpt)
    config = OmegaConf.to_container(cfg, resolve=True)
    attempt = decide_attempt(run, config)
    if attempt.completed:
        log.info("already completed, skipped: %s", run.root)
        return attempt.score
    overrides = list(HydraConfig.get().overrides.task)
    source = init_source(cfg.init_from)  # fine-tuning: the weights and tokenizer to start from
    init = source.record() if source else None
    samples = (cfg.num_samples, cfg.num_val_samples)
    with RunRecorder(run, attempt, config, overrides, *samples, init) as recorder:
        pl.seed_everything(attempt.seed, workers=True)
        datamodule = instantiate(cfg.data, seed=attempt.seed)
        if attempt.tokenizer:
            tokenizer = load_saved(attempt.tokenizer)
        elif source:
            tokenizer = source.tokenizer(run.tokenizer_dir)
        else:
            tokenizer = instantiate(cfg.model.tokenizer)(
                texts=datamodule.training_texts(), save_dir=run.tokenizer_dir
            )
        datamodule.set_tokenizer(tokenizer)
        network = (
            source.network(cfg.model.network, tokenizer)
            if source
            else instantiate(cfg.model.network)(tokenizer=tokenizer)
        )
        module = instantiate(
            cfg.module,
            network=network,
            tokenizer=tokenizer,
            optimizer=instantiate(cfg.optim.optimizer),
            scheduler=instantiate(cfg.optim.scheduler),
        )
        trainer: pl.Trainer = instantiate(
            cfg.trainer,
            logger=instantiate_all(cfg.get("logger")) or False,
            callbacks=[*instantiate_all(cfg.callbacks), recorder],
        )
        if cfg.train:
            trainer.fit(module, datamodule=datamodule, ckpt_path=attempt.checkpoint)
        if cfg.test:
            ckpt_path = best_checkpoint(trainer) if cfg.test_ckpt == "best" else None
            trainer.test(module, datamodule=datamodule, ckpt_path=ckpt_path)
    return recorder.score


def check_test_ckpt(choice: str) -> None:
    """Raise ConfigError unless `choice` names a checkpoint the test can score."""
    if choice not in TEST_CHECKPOINTS:
        raise ConfigError(
            f"test_ckpt={choice} is not a checkpoint the test can score: use best (the best "
            "validation BLEU) or last (the final weights)"
        )


def best_checkpoint(trainer: pl.Trainer) -> str | None:
    """`best` when this fit saved a best checkpoint (the test scores it), else None: the
    current weights."""
    callback = trainer.checkpoint_callback
    return "best" if callback is not None and callback.best_model_path else None


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def main(cfg: DictConfig) -> float | None:
    """Hydra entrypoint: one run, or one job of a `-m` sweep."""
    run = RunFolder(Path(HydraConfig.get().runtime.output_dir))
    follow_assigned_cpus()
    if cfg.keep_freed_memory:
        keep_freed_memory()
    return run_job(lambda: train(cfg, run), str(run.root))


if __name__ == "__main__":
    with reported_errors():
        sys.argv[1:] = resume_arguments(sys.argv[1:])
    main()
