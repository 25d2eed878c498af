"""Hugging Face export: the folder loads with plain transformers in a fresh process without
t5mt, translates exactly as `t5mt.translate` does (task prefix included), carries the run's
decoding defaults and a model card; a push that cannot succeed stops at once."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import run_module
from omegaconf import OmegaConf

pytestmark = pytest.mark.slow

PREFIX = "translate English to German: "
# the README's example sentence, one with a word the corpus never saw, and an empty line
SENTENCES = ["The small dog sees the old man in the garden.", "Zebras are quiet.", ""]

# Runs in a fresh interpreter outside the repository: t5mt cannot be imported, only transformers.
PLAIN_TRANSFORMERS = """
import json, sys
sys.modules["t5mt"] = None  # any import of t5mt fails
from transformers import AutoTokenizer, T5ForConditionalGeneration
folder, num_beams, *sentences = sys.argv[1:]
tokenizer = AutoTokenizer.from_pretrained(folder)
model = T5ForConditionalGeneration.from_pretrained(folder).eval()
prefix = model.config.task_specific_params["translation_en_to_de"]["prefix"]
out = []
for sentence in sentences:
    if not sentence.strip():
        out.append("")
        continue
    inputs = tokenizer([prefix + sentence], return_tensors="pt", truncation=True)
    ids = model.generate(**inputs, num_beams=int(num_beams))
    out.append(tokenizer.batch_decode(ids, skip_special_tokens=True)[0])
print(json.dumps({"translations": out, "tokenizer": type(tokenizer).__name__,
                  "generation": model.generation_config.to_diff_dict()}))
"""


@pytest.fixture(scope="module")
def prefixed_run(debug_run: Path, tmp_path_factory) -> Path:
    """The debug run, as if trained with pretrained T5's task prefix."""
    run = tmp_path_factory.mktemp("prefixed") / "run"
    shutil.copytree(debug_run, run, ignore=shutil.ignore_patterns("export", "eval"))
    config = OmegaConf.load(run / ".hydra/config.yaml")
    config.model.task_prefix = PREFIX
    OmegaConf.save(config, run / ".hydra/config.yaml")
    return run


@pytest.fixture(scope="module")
def exported(prefixed_run: Path, tmp_path_factory) -> Path:
    cwd = tmp_path_factory.mktemp("export")
    result = run_module("t5mt.export", "format=hf", f"run={prefixed_run}", cwd=cwd)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == str(prefixed_run / "export/hf")
    return prefixed_run / "export/hf"


def plain_transformers(folder: Path, num_beams: int, cwd: Path) -> dict:
    clean = {"PATH": os.environ["PATH"], "HOME": str(cwd), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-I", "-c", PLAIN_TRANSFORMERS, str(folder), str(num_beams), *SENTENCES],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("num_beams", [1, 3])
def test_plain_transformers_translates_as_t5mt_translate(
    exported: Path, prefixed_run: Path, tmp_path: Path, num_beams: int
) -> None:
    source = tmp_path / "in.en"
    source.write_text("\n".join(SENTENCES) + "\n", encoding="utf-8")
    result = run_module(
        "t5mt.translate",
        f"run={prefixed_run}",
        f"input={source}",
        f"num_beams={num_beams}",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    expected = result.stdout.split("\n")[:-1]
    loaded = plain_transformers(exported, num_beams, tmp_path)
    assert loaded["translations"] == expected
    assert loaded["tokenizer"].startswith("T5Tokenizer")
    # the run's own decoding defaults (module.num_beams=1, module.max_new_tokens=16)
    assert loaded["generation"]["max_new_tokens"] == 16
    assert (exported / "spiece.model").is_file()


def test_the_model_card_has_hub_metadata_and_the_runs_record(
    exported: Path, prefixed_run: Path
) -> None:
    card = (exported / "README.md").read_text(encoding="utf-8")
    front, body = card.removeprefix("---\n").split("\n---\n", 1)
    metadata = yaml.safe_load(front)
    assert metadata["language"] == ["en", "de"] and metadata["pipeline_tag"] == "translation"
    results = json.loads((prefixed_run / "results.json").read_text())["test"]
    metrics = metadata["model-index"][0]["results"][0]["metrics"]
    assert [(m["type"], m["value"], m["args"]) for m in metrics] == [
        ("bleu", results["bleu"], results["bleu_signature"]),
        ("chrf", results["chrf"], results["chrf_signature"]),
    ]
    record = json.loads((prefixed_run / "reproducibility.json").read_text())
    assert record["data"]["fingerprint"] in body
    assert "python -m t5mt.train trainer=debug" in body and repr(PREFIX) in body


@pytest.mark.parametrize(
    ("environment", "arguments", "message"),
    [
        ({"HF_HUB_OFFLINE": "1"}, ["repo_id=me/model"], "HF_HUB_OFFLINE is set"),
        ({"HF_HUB_OFFLINE": "0"}, ["repo_id=me/model"], "push=true needs a Hugging Face token"),
        ({"HF_HUB_OFFLINE": "0"}, [], "push=true needs repo_id=<user>/<model name>"),
    ],
)
def test_a_push_that_cannot_succeed_stops_at_once(
    debug_run: Path, tmp_path: Path, environment: dict, arguments: list, message: str
) -> None:
    env = {key: value for key, value in os.environ.items() if key != "HF_TOKEN"}
    env.update(environment, HF_HOME=str(tmp_path / "hf-home"))  # no stored token either
    output = tmp_path / "hf"
    result = run_module(
        "t5mt.export",
        "format=hf",
        f"run={debug_run}",
        f"output={output}",
        "push=true",
        *arguments,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: push=true needs") and message in last
    assert not output.exists()  # nothing was exported first
