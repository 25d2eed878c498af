"""Resume: what an attempt at a run starts from, decided in one call (`decide_attempt`), and
the `resume=<run folder>|latest` command line that re-launches a run in its own folder.

A run folder that already holds an attempt is skipped (completed with the same config) or
continued from its last checkpoint (killed, crashed or failed); sweeps re-run into an existing
sweep folder get the same treatment job by job.
"""

import logging
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir
from hydra.errors import HydraException
from omegaconf.errors import OmegaConfBaseException

from t5mt.averaging import read_checkpoint
from t5mt.callbacks import UNLOGGED_ROW_KEY
from t5mt.checkpoint_io import remove_partial_writes
from t5mt.distributed import is_global_zero
from t5mt.errors import RunFolderError
from t5mt.loggers import trim_metrics
from t5mt.run_folder import (
    RunFolder,
    config_differences,
    latest_run,
    override_key,
    relocated,
    run_state,
    without_keys,
    write_text_atomic,
)

log = logging.getLogger(__name__)

CONF_DIR = Path(__file__).resolve().parents[1] / "conf"
# Keys a resumed run may change: how long it trains, how it logs and checkpoints, not what it
# learns from or how.
RESUME_SAFE_KEYS = (
    "trainer.max_epochs",
    "trainer.max_steps",
    "trainer.max_time",
    "trainer.enable_progress_bar",
    "trainer.log_every_n_steps",
    "logger",
    "callbacks.last",
    "callbacks.keep_last",
    "callbacks.early_stopping",
    "num_samples",
    "num_val_samples",
    "data.num_workers",
    "test_ckpt",
)


def is_resume_safe(key: str) -> bool:
    """Whether changing config key `key` (dotted) keeps a resumed run the same run."""
    return any(key == safe or key.startswith(safe + ".") for safe in RESUME_SAFE_KEYS)


@dataclass(frozen=True)
class Attempt:
    """What one attempt at a run starts from.

    `checkpoint` carries everything else a continued attempt needs: weights, optimizer and
    scheduler, the random states (callbacks.RngState) and the position in the epoch
    (data.position.DataPosition). The W&B run id stays in run.json, where the W&B logger reads it.
    """

    number: int  # 1 for a new run
    seed: int
    checkpoint: Path | None = None
    # load this saved tokenizer instead of building one
    tokenizer: Path | None = None
    # the run completed with this config: nothing to do; `score` is its best validation BLEU
    completed: bool = False
    score: float | None = None


def decide_attempt(run: RunFolder, config: dict[str, Any]) -> Attempt:
    """What this process's attempt at `run` with the resolved `config` starts from.

    On the global rank zero process this also readies the folder for a continued attempt:
    partial checkpoint writes of a killed attempt are removed, and metrics.csv keeps only the
    rows the checkpoint has trained. Other DDP processes follow what rank zero recorded.
    Raises RunFolderError when a live process holds the folder, or when `config` differs from
    the recorded one in a key that is not resume-safe (the run's own Hydra files are put back).
    """
    if not is_global_zero():
        return _follow_rank_zero(run)
    status = run.read_status()
    if not status:
        return Attempt(number=1, seed=_seed(config.get("seed")))
    state = run_state(run, status)
    # (a run recorded by an older t5mt has no pid: nothing tells whether it lives)
    if state.holder_alive and status.get("pid", os.getpid()) != os.getpid():
        _restore_hydra_files(run)
        raise RunFolderError(
            f"'{run.root}' is held by a live run (process {status['pid']} on "
            f"{status['host']}); wait for it to end or use another folder"
        )
    changed = _changed_keys(run, config)
    unsafe = [key for key in changed if not is_resume_safe(key)]
    if unsafe:
        _restore_hydra_files(run)
        raise RunFolderError(
            f"'{run.root}' holds a run with a different config (changed: "
            f"{', '.join(unsafe)}); use a new folder, or resume it with its own config"
        )
    seed = status["seed"] if status.get("seed") is not None else _seed(config.get("seed"))
    number = status.get("attempts", 0) + 1
    tokenizer = run.tokenizer_dir if run.tokenizer_dir.is_dir() else None
    results = run.read_results()
    if state.status == "completed" and results and not changed:
        score = (results.get("val") or {}).get("bleu")
        return Attempt(number, seed, tokenizer=tokenizer, completed=True, score=score)
    checkpoint = _continuable_checkpoint(run)
    if checkpoint is None:
        trim_metrics(run.metrics_csv, trained_steps=0)
    else:
        state = read_checkpoint(checkpoint, mmap=True)
        trim_metrics(run.metrics_csv, int(state["global_step"]), state.get(UNLOGGED_ROW_KEY))
    return Attempt(number, seed, checkpoint=checkpoint, tokenizer=tokenizer)


def _follow_rank_zero(run: RunFolder) -> Attempt:
    """A DDP process that Lightning launched: rank zero has recorded the attempt in run.json
    and saved the tokenizer before launching it."""
    status = run.read_status()
    resumed_from = status.get("resumed_from")
    return Attempt(
        number=status["attempts"],
        seed=status["seed"],
        checkpoint=run.root / resumed_from if resumed_from else None,
        tokenizer=run.tokenizer_dir,
    )


def _seed(configured: int | None) -> int:
    """The configured seed, or a freshly drawn one when it is null."""
    return configured if configured is not None else random.SystemRandom().randrange(2**31)


def _changed_keys(run: RunFolder, config: dict[str, Any]) -> list[str]:
    """The keys in which `config` differs from the run's recorded config (none if unrecorded)."""
    recorded = run.read_reproducibility().get("config")
    if not recorded:
        return []
    moved = relocated(recorded, recorded["paths"]["run_dir"], config["paths"]["run_dir"])
    return config_differences(moved, config)


def _continuable_checkpoint(run: RunFolder) -> Path | None:
    """last.ckpt, after removing what a killed attempt left half written."""
    if run.checkpoints_dir.is_dir():
        removed = remove_partial_writes(run.checkpoints_dir)
        if removed:
            log.warning("removed %d partially written checkpoint(s)", len(removed))
    return run.last_checkpoint()


def _restore_hydra_files(run: RunFolder) -> None:
    """Put back the run's own .hydra/config.yaml and overrides.yaml, which Hydra overwrote."""
    saved = run.read_reproducibility().get("hydra_files", {})
    for path in run.hydra_files:
        if path.name in saved:
            write_text_atomic(path, saved[path.name])


def resume_arguments(arguments: list[str], outputs: Path = Path("outputs")) -> list[str]:
    """Rewrite `resume=<folder>|latest [safe overrides]` into the run's own command line.

    Other command lines are returned unchanged. The run's config must still compose from conf/;
    new overrides may only touch RESUME_SAFE_KEYS.
    """
    target = [a for a in arguments if a.startswith("resume=")]
    if not target:
        return arguments
    if "-m" in arguments or "--multirun" in arguments:
        raise RunFolderError(
            "resume= continues one run; to resume a sweep, re-run it with "
            "hydra.sweep.dir=<sweep folder>"
        )
    name = target[-1].split("=", 1)[1]
    run = latest_run(outputs) if name == "latest" else RunFolder.at(name)
    new = [a for a in arguments if not a.startswith("resume=") and not a.startswith("-")]
    unsafe = [a for a in new if not is_resume_safe(override_key(a))]
    if unsafe:
        raise RunFolderError(
            f"resume= cannot change {', '.join(unsafe)}: a resumed run keeps its config; "
            f"it may change only {', '.join(RESUME_SAFE_KEYS)}"
        )
    kept = without_keys(run.read_overrides(), {override_key(a) for a in new})
    check_composes(run.root, kept + new)
    flags = [a for a in arguments if a.startswith("-")]
    log.info("resuming %s", run.root)
    return [*flags, *kept, *new, f"hydra.run.dir={run.root}"]


def check_composes(folder: Path, overrides: list[str]) -> None:
    """Fail clearly when a run's overrides no longer compose with the current conf/ tree."""
    job_overrides = [o for o in overrides if not override_key(o).startswith("hydra.")]
    try:
        with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
            compose("config", overrides=job_overrides)
    except (HydraException, OmegaConfBaseException) as error:
        raise RunFolderError(
            f"the config of run '{folder}' no longer composes with conf/: {error}"
        ) from None
