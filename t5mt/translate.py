"""Translate: `python -m t5mt.translate run=<run folder> text="..."` (or input=<file>, or stdin);
`nbest=K` writes K scored hypotheses per input as JSON lines."""

import json
import sys
from dataclasses import asdict
from pathlib import Path

import hydra
from omegaconf import DictConfig

from t5mt.cli import reported_errors, write_result
from t5mt.data.files import read_lines
from t5mt.inference import decoding_settings, load_translator


def read_input(cfg: DictConfig) -> list[str]:
    """Sentences from `text`, the `input` file, or standard input (one per line)."""
    if cfg.text is not None:
        return [str(cfg.text)]
    if cfg.input is not None:
        return read_lines(Path(cfg.input), allow_empty=True)
    return [line.rstrip("\r\n") for line in sys.stdin]


def translate(cfg: DictConfig) -> list[str]:
    """Translate the configured input and write it to `output` or standard output: one
    translation a line, or with nbest > 1 one JSON line per input with its scored hypotheses."""
    sentences = read_input(cfg)
    translator = load_translator(cfg.run, cfg.ckpt, cfg.device, cfg.engine, cfg.ct2_model)
    nbest = translator.hypotheses(
        sentences, progress=cfg.input is not None, **decoding_settings(cfg)
    )
    if cfg.nbest > 1:
        lines = [
            json.dumps(
                {"source": source, "hypotheses": [asdict(h) for h in found]}, ensure_ascii=False
            )
            for source, found in zip(sentences, nbest, strict=True)
        ]
    else:
        lines = [found[0].text if found else "" for found in nbest]
    text = "".join(line + "\n" for line in lines)
    write_result(text, cfg.output)
    return lines


@hydra.main(version_base="1.3", config_path="../conf", config_name="translate")
def main(cfg: DictConfig) -> None:
    """Hydra entrypoint."""
    with reported_errors():
        translate(cfg)


if __name__ == "__main__":
    main()
