"""The model card (README.md) of a Hugging Face export: Hub metadata and how the run was made."""

import shlex
from typing import Any

import yaml
from omegaconf import OmegaConf

from t5mt.run_folder import RunFolder


def model_card(run: RunFolder, ckpt: str, settings: dict[str, Any]) -> str:
    """README.md with Hub metadata (languages, datasets, metrics with the sacreBLEU
    signatures) and the run's data fingerprint, training command and decoding defaults."""
    config = OmegaConf.load(run.config)
    source, target = config.source_lang, config.target_lang
    record = run.read_reproducibility()
    test = run.read_results().get("test", {})
    corpus = config.data.get("corpus") or {}
    corpus_name = corpus.get("dataset_name") or str(corpus.get("_target_", "?")).rsplit(".", 1)[-1]
    metrics = [
        {
            "type": name,
            "value": test[name],
            "name": f"{name} (test)",
            "args": test[f"{name}_signature"],
        }
        for name in ("bleu", "chrf")
        if test.get(name) is not None
    ]
    metadata: dict[str, Any] = {
        "language": [source, target],
        "library_name": "transformers",
        "pipeline_tag": "translation",
        "tags": ["translation", "t5", "t5mt"],
        "metrics": [m["type"] for m in metrics],
    }
    if corpus.get("dataset_name"):
        metadata["datasets"] = [corpus["dataset_name"]]
    if metrics:
        metadata["model-index"] = [
            {
                "name": run.root.name,
                "results": [
                    {
                        "task": {"type": "translation", "name": f"Translation {source}-{target}"},
                        "dataset": {"name": corpus_name, "type": corpus_name, "split": "test"},
                        "metrics": metrics,
                    }
                ],
            }
        ]
    program, *arguments = record.get("command") or ["?"]
    # `python -m t5mt.train` records its script's name
    module = f"python -m t5mt.{program.removesuffix('.py')}" if program.endswith(".py") else program
    command = " ".join([module, *(shlex.quote(part) for part in arguments)])
    prefix = settings["task_prefix"]
    scores = "\n".join(f"- {m['name']}: {m['value']} (`{m['args']}`)" for m in metrics)
    data = record.get("data", {})
    pairs = ", ".join(f"{split} {count}" for split, count in data.get("pairs", {}).items())
    front = yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True)
    return f"""---
{front}---

# {run.root.name}: a T5 {source}→{target} translation model trained with t5mt

```python
from transformers import AutoTokenizer, T5ForConditionalGeneration

tokenizer = AutoTokenizer.from_pretrained("<this folder or repo id>")
model = T5ForConditionalGeneration.from_pretrained("<this folder or repo id>")
inputs = tokenizer([{prefix!r} + "The dog sleeps."], return_tensors="pt", truncation=True)
print(tokenizer.batch_decode(model.generate(**inputs), skip_special_tokens=True))
```

Inputs get the task prefix {prefix!r} (also in `config.json`'s `task_specific_params`, which
the `translation` pipeline applies); `generation_config.json` holds the run's decoding
defaults: {settings["num_beams"]} beam(s), at most {settings["max_new_tokens"]} new tokens.

## Evaluation

{scores or "- no test scores were recorded"}

## Training

- command: `{command}`
- data: {corpus_name}, fingerprint `{data.get("fingerprint", "?")}`, pairs {pairs or "?"}
- seed: {record.get("seed", "?")}; code: {record.get("git", {}).get("commit") or "?"}
- checkpoint: `{ckpt}`
"""
