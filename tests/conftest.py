"""Shared fixtures: the repository's paths, tiny corpora and a runner for the real entrypoints."""

import copy
import os
import subprocess
import sys
from pathlib import Path

# Nothing in the test suite may reach the network: the Hub answers "offline" at once.
# Set before datasets/huggingface_hub are imported: they read these flags at import time.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["WANDB_MODE"] = "offline"
# Under pytest-xdist (`-n logical`) the workers share the cores: each worker and every process it
# starts get their share of torch threads, not all of them (two 2-thread trainings on 2 cores
# took 2.6x as long as one alone).
if "PYTEST_XDIST_WORKER_COUNT" in os.environ:
    workers = int(os.environ["PYTEST_XDIST_WORKER_COUNT"])
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // workers)))

import pytest
import pytorch_lightning as pl
import torch
from datasets import Dataset, DatasetDict

from t5mt.data.synthetic import generate_pairs
from t5mt.data.tokenizer import train_sentencepiece
from t5mt.inference import PyTorchEngine, Translator
from t5mt.network import t5_from_config

REPO = Path(__file__).resolve().parents[1]
CONF = REPO / "conf"
MULTI30K = REPO.parent / "shared" / "data" / "multi30k"
needs_multi30k = pytest.mark.skipif(
    not MULTI30K.is_dir(), reason=f"the Multi30k files are not at {MULTI30K}"
)
CHROMIUM = Path("/usr/bin/chromium")
# Flags for a browser on a closed network: no background traffic, no first-run work.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pairs_to_corpus(pairs: list[tuple[str, str]]) -> DatasetDict:
    """A DatasetDict in the WMT schema with the same pairs in every split."""
    split = Dataset.from_dict({"translation": [{"en": en, "de": de} for en, de in pairs]})
    return DatasetDict(train=split, validation=split, test=split)


@pytest.fixture
def tiny_corpus() -> DatasetDict:
    return pairs_to_corpus(
        [
            ("The dog sleeps.", "Der Hund schläft."),
            (
                "The small cat sees the old man in the garden.",
                "Die kleine Katze sieht den alten Mann im Garten.",
            ),
            ("We help the children.", "Wir helfen den Kindern."),
            ("She reads a book.", "Sie liest ein Buch."),
            ("The women give the child a ball.", "Die Frauen geben dem Kind einen Ball."),
        ]
    )


class RecordsBatches(pl.LightningModule):
    """Trains nothing: keeps every batch Lightning feeds it."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.batches: list[dict[str, torch.Tensor]] = []

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        self.batches.append(batch)
        return self.weight.sum() * 0

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.1)


def batches_lightning_trains_on(
    datamodule: pl.LightningDataModule, epochs: int, root: Path
) -> list[dict[str, torch.Tensor]]:
    """Every training batch a real Lightning fit over `epochs` epochs feeds its module."""
    recorder = RecordsBatches()
    pl.Trainer(
        max_epochs=epochs,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        limit_val_batches=0,
        default_root_dir=root,
    ).fit(recorder, datamodule=datamodule)
    return recorder.batches


def run_module(
    module: str, *args: str, cwd: Path, timeout: float = 600, **kwargs
) -> subprocess.CompletedProcess:
    """Run `python -m <module> <args>` as a user would, capturing its output."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        **kwargs,
    )


SMALL_DATA = (
    "data.corpus.train_size=400",
    "data.corpus.validation_size=40",
    "data.corpus.test_size=40",
    "model.tokenizer.vocab_size=300",
    # an untrained model never stops on its own: keep its generations short
    "module.max_new_tokens=16",
)


@pytest.fixture(scope="session")
def debug_run(tmp_path_factory) -> Path:
    """A run folder from a few-batch training run on a small synthetic corpus."""
    cwd = tmp_path_factory.mktemp("debug_run")
    result = run_module("t5mt.train", "trainer=debug", *SMALL_DATA, "hydra.run.dir=run", cwd=cwd)
    assert result.returncode == 0, result.stderr[-3000:]
    return cwd / "run"


@pytest.fixture(scope="session")
def tiny_translator(tmp_path_factory) -> Translator:
    """An untrained one-layer T5 with a real SentencePiece tokenizer: built in about a second."""
    texts = [text for pair in generate_pairs(300, seed=0) for text in pair]
    tokenizer = train_sentencepiece(texts, tmp_path_factory.mktemp("tokenizer"), vocab_size=200)
    torch.manual_seed(0)
    network = t5_from_config(
        tokenizer, d_model=32, d_ff=64, d_kv=8, num_heads=2, num_layers=1, num_decoder_layers=1
    )
    return Translator(PyTorchEngine(network.eval()), tokenizer, max_new_tokens=8)


@pytest.fixture(scope="session")
def talkative(tiny_translator: Translator) -> Translator:
    """The tiny untrained translator with <pad> and </s> made unlikely, so that it writes
    whole sentences of words instead of stopping at once."""
    network = copy.deepcopy(tiny_translator.engine.network)
    with torch.no_grad():
        network.shared.weight[:2] = 0
    return Translator(PyTorchEngine(network), tiny_translator.tokenizer, max_new_tokens=8)


@pytest.fixture(scope="session")
def seed_sweep(tmp_path_factory) -> Path:
    """A real sweep of three seeds of one debug config (`-m seed=0,1,2`): one group of
    replicates, shared by the group, significance and report tests."""
    cwd = tmp_path_factory.mktemp("seed_sweep")
    result = run_module(
        "t5mt.train", "-m", "trainer=debug", *SMALL_DATA, "seed=0,1,2", "hydra.sweep.dir=sweep",
        cwd=cwd,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return cwd / "sweep"
