"""Evaluate: `python -m t5mt.evaluate run=<run folder>` scores a run with sacreBLEU.

Writes <run>/eval/<name>.json (BLEU, chrF, TER with signatures, decoding settings, speed),
<run>/eval/<name>.hyp (one hypothesis per line, aligned with the source) and beside it the
sources (<name>.src) and references (<name>.ref, <name>.ref2, …) it was scored against, for
`runs compare`; `eval_dir=` puts them elsewhere.
"""

import logging
import time
from pathlib import Path

import hydra
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from t5mt.cli import reported_errors
from t5mt.data.files import read_aligned
from t5mt.errors import T5mtError
from t5mt.inference import decoding_settings, load_translator
from t5mt.metrics import corpus_scores
from t5mt.run_folder import RunFolder, write_json_atomic, write_scored

log = logging.getLogger(__name__)


def split_of_run(run: RunFolder, split: str) -> tuple[list[str], list[list[str]], str]:
    """Sources, reference streams and target language of a split of the run's own corpus."""
    config = OmegaConf.load(run.config)
    datamodule = instantiate(config.data, seed=config.seed or 0)
    if split not in datamodule.corpus:
        raise T5mtError(
            f"the run's corpus has no split '{split}' (it has {list(datamodule.corpus)})"
        )
    pairs = datamodule.pairs(split)
    source, target = datamodule.source_lang, datamodule.target_lang
    return [p[source] for p in pairs], [[p[target] for p in pairs]], target


def files_to_score(src: str, refs: list[str]) -> tuple[list[str], list[list[str]]]:
    """Source lines and reference streams from files, checked to have equal line counts."""
    if not refs:
        raise T5mtError("src= needs at least one reference file: ref=[<file>,...]")
    sources, *references = read_aligned([Path(src), *map(Path, refs)], allow_empty=True)
    return sources, references


def evaluate(cfg: DictConfig) -> dict:
    """Decode and score; return the report written to <run>/eval/<name>.json."""
    translator = load_translator(cfg.run, cfg.ckpt, cfg.device, cfg.engine, cfg.ct2_model)
    run = RunFolder(Path(cfg.run))
    if cfg.src:
        sources, references = files_to_score(cfg.src, list(cfg.ref))
        target_lang = OmegaConf.load(run.config).target_lang
        name = cfg.name or Path(cfg.src).name
    else:
        sources, references, target_lang = split_of_run(run, cfg.split)
        name = cfg.name or cfg.split
    decoding = decoding_settings(cfg)
    started = time.perf_counter()
    hypotheses = translator.translate(sources, progress=True, **decoding)
    seconds = time.perf_counter() - started
    report = {
        "name": name,
        "sentences": len(sources),
        **corpus_scores(hypotheses, references, target_lang, with_ter=True),
        "decoding": {
            "engine": cfg.engine,
            "ckpt": cfg.ckpt,
            **decoding,
            "num_beams": decoding["num_beams"] or translator.num_beams,
            "max_new_tokens": decoding["max_new_tokens"] or translator.max_new_tokens,
        },
        "seconds": round(seconds, 2),
        "sentences_per_second": round(len(sources) / seconds, 1) if seconds else None,
    }
    eval_dir = Path(cfg.eval_dir) if cfg.eval_dir else run.root / "eval"
    write_scored(eval_dir / f"{name}.hyp", sources, references, hypotheses)
    write_json_atomic(eval_dir / f"{name}.json", report)
    log.info(
        "BLEU %.2f  chrF %.2f  TER %.2f  -> %s",
        report["bleu"],
        report["chrf"],
        report["ter"],
        eval_dir / f"{name}.json",
    )
    return report


@hydra.main(version_base="1.3", config_path="../conf", config_name="evaluate")
def main(cfg: DictConfig) -> None:
    """Hydra entrypoint."""
    with reported_errors():
        evaluate(cfg)


if __name__ == "__main__":
    main()
