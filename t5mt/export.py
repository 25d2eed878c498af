"""Export: `python -m t5mt.export run=<run folder> quantization=int8` writes a CTranslate2 model;
`format=hf` a Hugging Face folder (t5mt.hf_export), pushed to the Hub with `push=true repo_id=`.

The model goes to <run>/export/ct2-<quantization>/ or <run>/export/hf/ (or `output=`), written
whole or not at all; `evaluate`, `translate` and `serve` use a CTranslate2 one with engine=ct2.
"""

import logging
import tempfile
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from t5mt.cli import reported_errors
from t5mt.data.tokenizer import load_saved
from t5mt.errors import ConfigError
from t5mt.hf_export import EXPORT_RECORD, check_push, export_hf, hf_export_dir, push
from t5mt.inference import PyTorchEngine, ct2_export_dir
from t5mt.run_folder import RunFolder, staged_folder, write_json_atomic

log = logging.getLogger(__name__)

FORMATS = ("ct2", "hf")
QUANTIZATIONS = ("int8", "int8_float32", "int16", "float16", "bfloat16", "float32")


def export_ct2(run_root: str | Path, quantization: str, output: Path, ckpt: str = "best") -> Path:
    """Convert the run's checkpoint `ckpt` into a CTranslate2 model at `output`."""
    run = RunFolder.at(run_root, needs_model=True)
    network = PyTorchEngine.from_checkpoint(run, ckpt).network
    record = {"run": str(run.root.resolve()), "ckpt": ckpt}
    export_network(network, load_saved(run.tokenizer_dir), quantization, output, record)
    log.info("exported %s (%s) to %s", run_root, quantization, output)
    return output


def export_network(
    network: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    quantization: str,
    output: Path,
    record: dict[str, Any] | None = None,
) -> None:
    """Write `network` as a CTranslate2 model into `output`, replacing it whole."""
    from ctranslate2.converters import TransformersConverter  # the optional `speed` extra

    if quantization not in QUANTIZATIONS:
        raise ConfigError(
            f"quantization={quantization} is not supported (choose one of "
            f"{', '.join(QUANTIZATIONS)})"
        )
    with tempfile.TemporaryDirectory() as work, staged_folder(output) as staging:
        # the converter reads a transformers folder: the network and its tokenizer
        network.save_pretrained(work)
        tokenizer.save_pretrained(work)
        TransformersConverter(work).convert(str(staging), quantization=quantization, force=True)
        write_json_atomic(staging / EXPORT_RECORD, {**(record or {}), "quantization": quantization})


@hydra.main(version_base="1.3", config_path="../conf", config_name="export")
def main(cfg: DictConfig) -> None:
    """Hydra entrypoint."""
    with reported_errors():
        if cfg.format not in FORMATS:
            raise ConfigError(f"format={cfg.format} is not supported (choose one of {FORMATS})")
        if cfg.push:
            check_push(cfg.repo_id)
        run = RunFolder.at(cfg.run, needs_model=True)
        if cfg.format == "hf":
            output = export_hf(
                run, Path(cfg.output) if cfg.output else hf_export_dir(run), cfg.ckpt
            )
        else:
            output = Path(cfg.output) if cfg.output else ct2_export_dir(run, cfg.quantization)
            export_ct2(cfg.run, cfg.quantization, output, ckpt=cfg.ckpt)
        print(output)
        if cfg.push:
            print(push(output, cfg.repo_id, private=cfg.private))


if __name__ == "__main__":
    main()
