"""Hugging Face export: a run as a `save_pretrained` folder that plain `transformers` loads
(`T5ForConditionalGeneration`, `AutoTokenizer`), with the run's decoding defaults in
generation_config.json and a model card, optionally pushed to the Hub with `huggingface_hub`."""

import logging
import os
import shutil
from pathlib import Path

from omegaconf import OmegaConf
from transformers import GenerationConfig

from t5mt.data.tokenizer import load_saved
from t5mt.errors import ConfigError, HubUnreachableError
from t5mt.inference import PyTorchEngine, run_settings
from t5mt.model_card import model_card
from t5mt.run_folder import RunFolder, staged_folder, write_json_atomic, write_text_atomic

log = logging.getLogger(__name__)

EXPORT_RECORD = "t5mt_export.json"


def hf_export_dir(run: RunFolder) -> Path:
    """Where `t5mt.export format=hf` writes a run's folder by default."""
    return run.root / "export" / "hf"


def export_hf(run: RunFolder, output: Path, ckpt: str = "best") -> Path:
    """Write the run's checkpoint `ckpt`, its tokenizer, generation defaults and model card
    into `output`, replacing it whole."""
    network = PyTorchEngine.from_checkpoint(run, ckpt).network
    tokenizer = load_saved(run.tokenizer_dir)
    settings = run_settings(run)
    # AutoTokenizer truncates as the Translator does: </s> stays the last token
    tokenizer.model_max_length = settings["max_source_length"]
    config = OmegaConf.load(run.config)
    task = f"translation_{config.source_lang}_to_{config.target_lang}"
    # the translation pipeline prepends this prefix, as t5mt does
    network.config.task_specific_params = {task: {"prefix": settings["task_prefix"]}}
    network.generation_config = GenerationConfig(
        num_beams=settings["num_beams"],
        max_new_tokens=settings["max_new_tokens"],
        decoder_start_token_id=network.config.decoder_start_token_id,
        eos_token_id=network.config.eos_token_id,
        pad_token_id=network.config.pad_token_id,
    )
    with staged_folder(output) as staging:
        network.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        if (run.tokenizer_dir / "spiece.model").is_file():  # what the slow T5Tokenizer reads
            shutil.copy(run.tokenizer_dir / "spiece.model", staging / "spiece.model")
        write_text_atomic(staging / "README.md", model_card(run, ckpt, settings))
        write_json_atomic(staging / EXPORT_RECORD, {"run": str(run.root.resolve()), "ckpt": ckpt})
    log.info("exported %s (%s) as a Hugging Face folder to %s", run.root, ckpt, output)
    return output


def check_push(repo_id: str | None) -> None:
    """Fail at once, before any export work, when a push cannot succeed."""
    from huggingface_hub import get_token

    if not repo_id:
        raise ConfigError("push=true needs repo_id=<user>/<model name>")
    if os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes", "on"):
        raise HubUnreachableError(
            "push=true needs the Hugging Face Hub, but HF_HUB_OFFLINE is set: unset it, or "
            "export without push and upload the folder later"
        )
    if get_token() is None:
        raise HubUnreachableError(
            "push=true needs a Hugging Face token: set HF_TOKEN or run `hf auth login`"
        )


def push(folder: Path, repo_id: str, private: bool = True) -> str:
    """Upload `folder` to the Hub model repository `repo_id` (created if missing)."""
    from huggingface_hub import HfApi

    api = HfApi()
    try:
        api.create_repo(repo_id, private=private, exist_ok=True)
        commit = api.upload_folder(
            repo_id=repo_id, folder_path=str(folder), commit_message="Upload from t5mt.export"
        )
    except (OSError, ValueError) as error:  # requests' and huggingface_hub's errors
        raise HubUnreachableError(
            f"could not push to the Hub repository '{repo_id}': {error.__class__.__name__}: "
            f"{str(error).splitlines()[0] if str(error) else ''}"
        ) from None
    return commit.commit_url
