"""Fine-tuning: `init_from=<run folder>[:ckpt]` or `init_from=<save_pretrained folder>` starts a
new run from those weights and that tokenizer (new folder, data, optimizer and schedule).

The architecture is the source's; the new run's model.network settings must agree with it
(dropout may change). The source is recorded in reproducibility.json (`init_from`).
"""

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig
from transformers import PreTrainedTokenizerBase, T5Config, T5ForConditionalGeneration

from t5mt.data.tokenizer import load_saved
from t5mt.dropout import use_fast_dropout
from t5mt.errors import ConfigError
from t5mt.inference import PyTorchEngine
from t5mt.run_folder import RunFolder

# model.network keys that are not T5Config fields a source must share
NOT_ARCHITECTURE = {"_target_", "_partial_", "dropout_rate", "fast_dropout", "name_or_path"}


@dataclass(frozen=True)
class InitSource:
    """Where a fine-tuned run's first weights and tokenizer come from."""

    folder: Path
    # a run folder's checkpoint (best, last or a .ckpt path); None for a save_pretrained folder
    ckpt: str | None

    @property
    def tokenizer_dir(self) -> Path:
        return RunFolder(self.folder).tokenizer_dir if self.ckpt else self.folder

    def tokenizer(self, save_dir: Path) -> PreTrainedTokenizerBase:
        """The source's tokenizer, copied into the new run's `save_dir`."""
        shutil.copytree(self.tokenizer_dir, save_dir, dirs_exist_ok=True)
        return load_saved(save_dir)

    def network(
        self, network_config: DictConfig, tokenizer: PreTrainedTokenizerBase
    ) -> T5ForConditionalGeneration:
        """The source's network, checked against the new run's model.network settings and
        the tokenizer; ConfigError names what differs."""
        if self.ckpt:
            network = PyTorchEngine.from_checkpoint(RunFolder(self.folder), self.ckpt).network
        else:
            network = T5ForConditionalGeneration.from_pretrained(self.folder)
        config: T5Config = network.config
        differing = [
            f"model.network.{key}={value} (the source has {getattr(config, key, None)})"
            for key, value in network_config.items()
            if key not in NOT_ARCHITECTURE and getattr(config, key, None) != value
        ]
        if differing:
            raise ConfigError(
                f"init_from={self.folder}: the architecture differs: {'; '.join(differing)}. "
                "Fine-tuning keeps the source's architecture: use its model settings"
            )
        if len(tokenizer) > config.vocab_size or tokenizer.pad_token_id != config.pad_token_id:
            raise ConfigError(
                f"init_from={self.folder}: the tokenizer in {self.tokenizer_dir} "
                f"({len(tokenizer)} tokens, pad id {tokenizer.pad_token_id}) does not fit the "
                f"model ({config.vocab_size} embeddings, pad id {config.pad_token_id})"
            )
        if "dropout_rate" in network_config:
            for module in network.modules():
                if isinstance(module, torch.nn.Dropout):
                    module.p = network_config.dropout_rate
            config.dropout_rate = network_config.dropout_rate
        if network_config.get("fast_dropout"):
            use_fast_dropout(network)
        return network.train()

    def record(self) -> dict[str, Any]:
        """What reproducibility.json says of the source: folder, checkpoint, data fingerprint."""
        data = RunFolder(self.folder).read_reproducibility().get("data", {}) if self.ckpt else {}
        return {
            "source": str(self.folder.resolve()),
            "kind": "run" if self.ckpt else "save_pretrained",
            "checkpoint": self.ckpt,
            "data_fingerprint": data.get("fingerprint"),
        }


def init_source(value: str | None) -> InitSource | None:
    """Parse `init_from`: a run folder with an optional `:best`, `:last` or `:<file>.ckpt`, or
    a save_pretrained folder; None when the run starts from scratch."""
    if not value:
        return None
    folder, ckpt = Path(value), "best"
    if not folder.is_dir() and ":" in value:
        head, tail = value.rsplit(":", 1)
        folder, ckpt = Path(head), tail
    run = RunFolder(folder)
    if run.is_run():
        run = RunFolder.at(folder, needs_model=True)
        run.checkpoint(ckpt)  # RunFolderError lists the checkpoints it has
        return InitSource(folder, ckpt)
    if (folder / "config.json").is_file():
        if not any((folder / name).is_file() for name in ("tokenizer_config.json", "spiece.model")):
            raise ConfigError(f"init_from={value}: the folder has no tokenizer files")
        return InitSource(folder, None)
    raise ConfigError(
        f"init_from={value} is neither a t5mt run folder nor a save_pretrained folder "
        "(config.json, model weights and tokenizer)"
    )
