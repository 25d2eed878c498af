"""Score: `python -m t5mt.score run=<run folder> src=<file> hyp=<file>` prints the
log-probability the run's model gives each translation in `hyp` of the source line in `src`.

One JSON line per line pair: `logprob` (the total), `per_token` (its mean over the target
tokens, </s> included), `tokens` and `token_logprobs`; `output=` writes them to a file. For
reranking n-best lists and for finding the words a model finds unlikely.
"""

import json
from dataclasses import asdict
from pathlib import Path

import hydra
from omegaconf import DictConfig

from t5mt.cli import reported_errors, write_result
from t5mt.data.files import read_aligned
from t5mt.inference import load_translator
from t5mt.inference.scoring import ForcedScore, forced_scores


def score(cfg: DictConfig) -> list[ForcedScore]:
    """Score the `hyp` file against the `src` file and write the JSON lines."""
    sources, translations = read_aligned([Path(cfg.src), Path(cfg.hyp)], allow_empty=True)
    translator = load_translator(cfg.run, cfg.ckpt, cfg.device)
    scores = forced_scores(translator, sources, translations, batch_size=cfg.batch_size)
    text = "".join(json.dumps(asdict(s), ensure_ascii=False) + "\n" for s in scores)
    write_result(text, cfg.output)
    return scores


@hydra.main(version_base="1.3", config_path="../conf", config_name="score")
def main(cfg: DictConfig) -> None:
    """Hydra entrypoint."""
    with reported_errors():
        score(cfg)


if __name__ == "__main__":
    main()
