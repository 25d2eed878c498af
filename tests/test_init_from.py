"""Fine-tuning with init_from: a new run from a run's checkpoint or a save_pretrained folder,
with the source's tokenizer, recorded; mismatches stop with a clear error."""

import copy
import json
from pathlib import Path

import pytest
import torch
from conftest import run_module
from omegaconf import OmegaConf

from t5mt.errors import ConfigError, RunFolderError
from t5mt.inference import Translator
from t5mt.init_from import init_source

TINY = {"d_model": 32, "d_ff": 64, "num_heads": 2, "num_layers": 1, "dropout_rate": 0.3}


@pytest.fixture(scope="module")
def pretrained(talkative: Translator, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("pretrained")
    talkative.engine.network.save_pretrained(folder)
    talkative.tokenizer.save_pretrained(folder)
    return folder


def test_a_save_pretrained_folder_gives_its_weights_and_tokenizer(
    pretrained: Path, talkative: Translator, tmp_path: Path
) -> None:
    source = init_source(str(pretrained))
    tokenizer = source.tokenizer(tmp_path / "tokenizer")
    assert tokenizer.get_vocab() == talkative.tokenizer.get_vocab()
    network = source.network(OmegaConf.create(TINY), tokenizer)
    expected = talkative.engine.network.state_dict()
    assert all(torch.equal(value, expected[key]) for key, value in network.state_dict().items())
    assert network.config.dropout_rate == 0.3 and network.training
    assert source.record()["kind"] == "save_pretrained"


def test_an_architecture_mismatch_names_the_keys(pretrained: Path, tmp_path: Path) -> None:
    source = init_source(str(pretrained))
    tokenizer = source.tokenizer(tmp_path / "tokenizer")
    with pytest.raises(ConfigError, match=r"model\.network\.d_model=128 \(the source has 32\)"):
        source.network(OmegaConf.create({**TINY, "d_model": 128}), tokenizer)


def test_a_tokenizer_that_does_not_fit_the_model_is_refused(
    pretrained: Path, talkative: Translator, tmp_path: Path
) -> None:
    small = tmp_path / "small"
    network = copy.deepcopy(talkative.engine.network)
    network.resize_token_embeddings(len(talkative.tokenizer) - 10)
    network.save_pretrained(small)
    talkative.tokenizer.save_pretrained(small)
    source = init_source(str(small))
    with pytest.raises(ConfigError, match="does not fit the model"):
        source.network(OmegaConf.create({}), source.tokenizer(tmp_path / "tokenizer"))


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        ("missing", ConfigError, "is neither a t5mt run folder nor a save_pretrained folder"),
        ("no-tokenizer", ConfigError, "has no tokenizer files"),
    ],
)
def test_a_source_that_is_not_one_is_named(
    tmp_path: Path, name: str, error: type, message: str
) -> None:
    if name == "no-tokenizer":
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text("{}")
    with pytest.raises(error, match=message):
        init_source(str(tmp_path / name))


@pytest.mark.slow
def test_a_missing_checkpoint_lists_the_runs_checkpoints(debug_run: Path) -> None:
    with pytest.raises(RunFolderError, match=r"checkpoints in .*best\.ckpt"):
        init_source(f"{debug_run}:epoch=7.ckpt")


@pytest.mark.slow
def test_fine_tuning_a_run_on_files_starts_a_new_run_from_its_weights(
    debug_run: Path, tmp_path: Path
) -> None:
    for split in ("train", "valid", "test"):
        (tmp_path / f"{split}.en").write_text("The dog sleeps.\nI read a book.\n" * 4)
        (tmp_path / f"{split}.de").write_text("Der Hund schläft.\nIch lese ein Buch.\n" * 4)
    result = run_module(
        "t5mt.train",
        "trainer=debug",
        f"init_from={debug_run}:last",
        "data=files",
        "data.corpus.train=train",
        "data.corpus.validation=valid",
        "data.corpus.test=test",
        "module.max_new_tokens=16",
        "optim.lr=0",  # the weights stay the source's: they must be the source's to begin with
        "hydra.run.dir=tuned",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    tuned = tmp_path / "tuned"
    record = json.loads((tuned / "reproducibility.json").read_text())
    source = json.loads((debug_run / "reproducibility.json").read_text())
    assert record["init_from"] == {
        "source": str(debug_run.resolve()),
        "kind": "run",
        "checkpoint": "last",
        "data_fingerprint": source["data"]["fingerprint"],
    }
    assert record["data"]["fingerprint"] != source["data"]["fingerprint"]
    assert record["data"]["pairs"]["train"] == 8
    spiece = "tokenizer/spiece.model"
    assert (tuned / spiece).read_bytes() == (debug_run / spiece).read_bytes()
    new = torch.load(tuned / "checkpoints/last.ckpt", weights_only=False)
    old = torch.load(debug_run / "checkpoints/last.ckpt", weights_only=False)
    assert new["global_step"] == 1  # a fresh schedule: 8 pairs, one batch
    weights = new["state_dict"]
    assert all(torch.equal(value, weights[key]) for key, value in old["state_dict"].items())
