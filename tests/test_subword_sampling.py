"""Subword regularisation: sampled segmentations of the training pairs, reproducible under the
seed, new every epoch (as Lightning sets it), the same after a resume."""

from pathlib import Path

import pytest
import torch
import yaml

from t5mt.data.batching import RandomBatching
from t5mt.data.datamodule import TranslationDataModule
from t5mt.data.subword_sampling import SubwordSampling
from t5mt.data.tokenizer import load_saved, train_sentencepiece
from t5mt.errors import ConfigError
from tests.conftest import SMALL_DATA, batches_lightning_trains_on, run_module

# a small alpha samples far from the best segmentation, so that every batch shows it
AGGRESSIVE = SubwordSampling(alpha=0.05)


def sampling_datamodule(corpus, tokenizer_dir: Path, seed: int = 0) -> TranslationDataModule:
    module = TranslationDataModule(
        corpus=lambda: corpus,
        batching=RandomBatching(batch_size=5),
        seed=seed,
        subword_sampling=AGGRESSIVE,
    )
    if not (tokenizer_dir / "spiece.model").exists():
        train_sentencepiece(module.training_texts(), tokenizer_dir, vocab_size=80)
    module.set_tokenizer(load_saved(tokenizer_dir))
    module.setup("fit")
    return module


def texts_and_ids(module: TranslationDataModule, batch: dict[str, torch.Tensor]) -> dict:
    """Each pair of a batch, keyed by its decoded source: (source ids, target ids)."""
    pairs = {}
    for input_ids, mask, labels in zip(
        batch["input_ids"], batch["attention_mask"], batch["labels"], strict=True
    ):
        source = input_ids[mask == 1].tolist()
        target = labels[labels != -100].tolist()
        pairs[module.tokenizer.decode(source, skip_special_tokens=True)] = (source, target)
    return pairs


def test_sampled_segmentations_spell_the_same_pairs(tiny_corpus, tmp_path) -> None:
    module = sampling_datamodule(tiny_corpus, tmp_path)
    tokenizer = module.tokenizer
    pairs = texts_and_ids(module, next(iter(module.train_dataloader())))
    originals = {p["en"]: p["de"] for p in module.pairs("train")}
    assert set(pairs) == set(originals)
    differs = 0
    for source_text, (source, target) in pairs.items():
        assert source[-1] == target[-1] == tokenizer.eos_token_id
        assert tokenizer.decode(target, skip_special_tokens=True) == originals[source_text]
        differs += source != tokenizer(source_text)["input_ids"]
        differs += target != tokenizer(text_target=originals[source_text])["input_ids"]
    assert differs > 0


def test_segmentations_follow_the_seed_and_change_with_the_epoch(tiny_corpus, tmp_path) -> None:
    first = sampling_datamodule(tiny_corpus, tmp_path, seed=3)
    again = sampling_datamodule(tiny_corpus, tmp_path, seed=3)
    other_seed = sampling_datamodule(tiny_corpus, tmp_path, seed=4)

    def epoch_pairs(module: TranslationDataModule, epoch: int) -> dict:
        loader = module.train_dataloader()
        loader.batch_sampler.set_epoch(epoch)
        return texts_and_ids(module, next(iter(loader)))

    assert epoch_pairs(first, 0) == epoch_pairs(again, 0)
    assert epoch_pairs(first, 0) != epoch_pairs(first, 1)
    assert epoch_pairs(first, 0) != epoch_pairs(other_seed, 0)


def test_a_resumed_epoch_batches_what_the_uninterrupted_one_did(tiny_corpus, tmp_path) -> None:
    def small_batches(module: TranslationDataModule) -> TranslationDataModule:
        module.batching = RandomBatching(batch_size=2)
        return module

    uninterrupted = small_batches(sampling_datamodule(tiny_corpus, tmp_path))
    loader = uninterrupted.train_dataloader()
    loader.batch_sampler.set_epoch(1)
    second_batch = list(loader)[1]

    resumed = small_batches(sampling_datamodule(tiny_corpus, tmp_path))
    resumed.resume_position = (1, 1)
    continued = next(iter(resumed.train_dataloader()))
    for key in ("input_ids", "labels"):
        assert torch.equal(continued[key], second_batch[key])


def test_lightning_gets_a_new_segmentation_every_epoch(tiny_corpus, tmp_path) -> None:
    module = sampling_datamodule(tiny_corpus, tmp_path / "tokenizer")
    batches = batches_lightning_trains_on(module, epochs=3, root=tmp_path)
    epochs = [texts_and_ids(module, batch) for batch in batches]
    assert len(epochs) == 3
    assert epochs[0] != epochs[1] != epochs[2]


def test_a_tokenizer_without_a_sentencepiece_model_is_refused(tiny_corpus, tmp_path) -> None:
    module = sampling_datamodule(tiny_corpus, tmp_path)
    (tmp_path / "spiece.model").unlink()
    with pytest.raises(ConfigError, match=r"spiece\.model"):
        module.train_dataloader()


@pytest.mark.parametrize("settings", [{"alpha": 0.0}, {"nbest_size": 0}, {"nbest_size": -2}])
def test_impossible_sampling_settings_are_refused(settings: dict) -> None:
    with pytest.raises(ConfigError, match=r"data\.subword_sampling"):
        SubwordSampling(**settings)


def test_the_training_command_samples_and_records_its_settings(tmp_path) -> None:
    result = run_module(
        "t5mt.train",
        "trainer=debug",
        *SMALL_DATA,
        "data/subword_sampling=unigram",
        "data.subword_sampling.alpha=0.2",
        "test=false",
        "hydra.run.dir=run",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    config = yaml.safe_load((tmp_path / "run/.hydra/config.yaml").read_text())
    assert config["data"]["subword_sampling"]["alpha"] == 0.2
    assert (tmp_path / "run/checkpoints/last.ckpt").exists()


def test_the_training_command_names_a_bad_alpha(tmp_path) -> None:
    result = run_module(
        "t5mt.train",
        "trainer=debug",
        *SMALL_DATA,
        "data/subword_sampling=unigram",
        "data.subword_sampling.alpha=-1",
        "hydra.run.dir=run",
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode != 0
    assert "data.subword_sampling.alpha must be > 0" in result.stderr
    assert "Traceback" not in result.stderr
