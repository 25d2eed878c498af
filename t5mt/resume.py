"""Resume in place: `resume=<run folder>|latest` re-launches a run in its own folder with its own
overrides, and a run folder that already holds an attempt is skipped (completed) or continued
from its last checkpoint (killed or failed). Sweeps re-run into an existing sweep folder get the
same treatment job by job."""

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from hydra import compose, initialize_config_dir
from hydra.errors import HydraException
from omegaconf.errors import OmegaConfBaseException

from t5mt.checkpoint_io import remove_partial_writes
from t5mt.errors import RunFolderError
from t5mt.runs import RunFolder, write_text_atomic
from t5mt.runs.summary import flatten, read_overrides

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
    "num_samples",
    "data.num_workers",
)


def is_resume_safe(key: str) -> bool:
    """Whether changing config key `key` (dotted) keeps a resumed run the same run."""
    return any(key == safe or key.startswith(safe + ".") for safe in RESUME_SAFE_KEYS)


def override_key(override: str) -> str:
    """The config key of a Hydra override such as `+a.b=1` or `~c`."""
    return override.lstrip("+~").split("=", 1)[0]


def find_latest_run(outputs: Path) -> Path:
    """The most recently started run folder under `outputs` (single runs and sweep jobs)."""
    runs = [status.parent for status in outputs.glob("**/run.json")]
    if not runs:
        raise RunFolderError(f"resume=latest: there are no runs under '{outputs}'")
    return max(runs, key=lambda run: RunFolder(run).read_status().get("started", ""))


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
    folder = find_latest_run(outputs) if name == "latest" else Path(name)
    run = RunFolder(folder)
    if not run.overrides.is_file() or not run.status_file.is_file():
        raise RunFolderError(
            f"resume={name}: '{folder}' is not a t5mt run folder "
            "(it needs .hydra/overrides.yaml and run.json)"
        )
    new = [a for a in arguments if not a.startswith("resume=") and not a.startswith("-")]
    unsafe = [a for a in new if not is_resume_safe(override_key(a))]
    if unsafe:
        raise RunFolderError(
            f"resume= cannot change {', '.join(unsafe)}: a resumed run keeps its config; "
            f"it may change only {', '.join(RESUME_SAFE_KEYS)}"
        )
    replaced = {override_key(a) for a in new}
    saved = read_overrides(run)
    kept = [a for a in saved if override_key(a) not in replaced]
    check_composes(folder, kept + new)
    flags = [a for a in arguments if a.startswith("-")]
    log.info("resuming %s", folder)
    return [*flags, *kept, *new, f"hydra.run.dir={folder}"]


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


@dataclass(frozen=True)
class PriorAttempt:
    """What an earlier attempt left in a run folder."""

    completed: bool
    seed: int | None
    checkpoint: Path | None
    # resume-safe keys the new config changes (more epochs for a completed run, say)
    changed: list[str]


def prior_attempt(run: RunFolder, config: dict[str, Any]) -> PriorAttempt | None:
    """The earlier attempt in `run`, or None for a fresh folder.

    Raises RunFolderError (after restoring the run's own Hydra files) when `config` differs from
    the attempt's in a key that is not resume-safe.
    """
    status = run.read_status()
    if not status:
        return None
    recorded = run.read_reproducibility().get("config")
    changed = config_differences(relocated(recorded, config), config) if recorded else []
    unsafe = [key for key in changed if not is_resume_safe(key)]
    if unsafe:
        restore_hydra_files(run)
        raise RunFolderError(
            f"'{run.root}' holds a run with a different config (changed: "
            f"{', '.join(unsafe)}); use a new folder, or resume it with its own config"
        )
    removed = remove_partial_writes(run.checkpoints_dir) if run.checkpoints_dir.is_dir() else []
    if removed:
        log.warning(
            "removed %d partially written checkpoint(s) of the killed attempt", len(removed)
        )
    return PriorAttempt(
        completed=status.get("status") == "completed" and run.results.is_file(),
        seed=status.get("seed"),
        checkpoint=run.last_checkpoint(),
        changed=changed,
    )


def relocated(recorded: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """`recorded` with its run folder's path replaced by `config`'s: a moved run is the same run."""
    old, new = recorded["paths"]["run_dir"], config["paths"]["run_dir"]

    def move(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: move(item) for key, item in value.items()}
        if isinstance(value, list):
            return [move(item) for item in value]
        return value.replace(old, new) if isinstance(value, str) else value

    return move(recorded)


def config_differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Dotted keys whose values differ between two nested config dicts."""
    old_flat, new_flat = flatten(old), flatten(new)
    return sorted(
        k for k in old_flat.keys() | new_flat.keys() if old_flat.get(k) != new_flat.get(k)
    )


def restore_hydra_files(run: RunFolder) -> None:
    """Put back the run's own .hydra/config.yaml and overrides.yaml, which Hydra overwrote."""
    saved = run.read_reproducibility()["hydra_files"]
    for path in run.hydra_files:
        write_text_atomic(path, saved[path.name])


def checkpoint_step(checkpoint: Path) -> int:
    """The global step a Lightning checkpoint was saved at (memory-mapped, not read whole)."""
    state = torch.load(checkpoint, map_location="cpu", mmap=True, weights_only=False)
    return int(state["global_step"])
