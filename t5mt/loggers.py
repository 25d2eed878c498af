"""Logger factories that need more than a constructor call."""

import os

from pytorch_lightning.loggers import WandbLogger


def wandb_logger(save_dir: str, project: str, name: str | None, group: str | None) -> WandbLogger:
    """Weights & Biases: online when WANDB_API_KEY is set, otherwise offline (never prompts)."""
    online = bool(os.environ.get("WANDB_API_KEY"))
    return WandbLogger(
        save_dir=save_dir,
        project=project,
        name=name or None,
        group=group or None,
        offline=not online,
        settings={"silent": True} if not online else None,
    )
