"""Prepare: `python -m t5mt.prepare data=<option>` materialises a data config into data/<name>/.

The folder holds parquet splits and stats.json (see t5mt.data.prepared); train from it with
`python -m t5mt.train data=prepared data.path=data/<name>`.
"""

import inspect
import logging
import statistics
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import hydra
from datasets import DatasetDict
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from t5mt.cli import reported_errors
from t5mt.data.files import SPLITS
from t5mt.data.prepared import fingerprint, write_prepared
from t5mt.data.wmt19 import CleaningReport
from t5mt.errors import T5mtError

log = logging.getLogger(__name__)


def load_with_report(load: Callable[..., DatasetDict]) -> tuple[DatasetDict, dict | None]:
    """Call a corpus loader; when it takes a cleaning `report` (WMT19), return its counts too."""
    target = load.func if isinstance(load, partial) else load
    if "report" not in inspect.signature(target).parameters:
        return load(), None
    report = CleaningReport()
    corpus = load(report=report)
    return corpus, report.to_dict()


def length_stats(sentences: list[str]) -> dict[str, float]:
    """Sentence lengths in whitespace-separated words: min, mean, median, 95th percentile, max."""
    lengths = sorted(len(sentence.split()) for sentence in sentences)
    return {
        "min": lengths[0],
        "mean": round(statistics.fmean(lengths), 2),
        "median": statistics.median(lengths),
        "p95": lengths[min(len(lengths) - 1, int(0.95 * len(lengths)))],
        "max": lengths[-1],
    }


def corpus_stats(corpus: DatasetDict, source_lang: str, target_lang: str) -> dict[str, Any]:
    """Pair counts per split and the length statistics of each side."""
    pairs = {split: len(corpus[split]) for split in SPLITS}
    lengths = {
        split: {
            lang: length_stats([pair[lang] for pair in corpus[split]["translation"]])
            for lang in (source_lang, target_lang)
        }
        for split in SPLITS
    }
    return {"pairs": {**pairs, "total": sum(pairs.values())}, "lengths": lengths}


def prepare(cfg: DictConfig) -> dict[str, Any]:
    """Load the configured corpus, write it to `cfg.out` and return the stats written with it."""
    if "corpus" not in cfg.data:
        raise T5mtError("this data config has no corpus loader (data=prepared is prepared already)")
    corpus, filtered = load_with_report(instantiate(cfg.data.corpus))
    stats = {
        "name": cfg.name,
        "source": OmegaConf.to_container(cfg.data.corpus, resolve=True),
        "source_lang": cfg.source_lang,
        "target_lang": cfg.target_lang,
        **corpus_stats(corpus, cfg.source_lang, cfg.target_lang),
        "filtered": filtered,
        "fingerprint": fingerprint(corpus, cfg.source_lang, cfg.target_lang),
    }
    out = Path(cfg.out)
    write_prepared(corpus, out, stats)
    log.info("prepared %s pairs %s -> %s", cfg.name, stats["pairs"], out)
    return stats


@hydra.main(version_base="1.3", config_path="../conf", config_name="prepare")
def main(cfg: DictConfig) -> None:
    """Hydra entrypoint."""
    with reported_errors():
        prepare(cfg)


if __name__ == "__main__":
    main()
