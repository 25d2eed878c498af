"""The LightningModule's decoded scores: each split's own, and none for a loop that decoded
nothing (so that a test score is never the last validation's)."""

from functools import partial

import pytorch_lightning as pl
import torch

from t5mt.data.batching import RandomBatching
from t5mt.data.datamodule import TranslationDataModule
from t5mt.data.tokenizer import train_sentencepiece
from t5mt.module import TranslationModule
from t5mt.network import t5_from_config


def test_scores_belong_to_the_split_that_was_decoded(tiny_corpus, tmp_path) -> None:
    datamodule = TranslationDataModule(
        corpus=lambda: tiny_corpus, batching=RandomBatching(batch_size=4), eval_batch_size=5
    )
    tokenizer = train_sentencepiece(datamodule.training_texts(), tmp_path, vocab_size=80)
    datamodule.set_tokenizer(tokenizer)
    torch.manual_seed(0)
    network = t5_from_config(
        tokenizer, d_model=16, d_ff=32, d_kv=8, num_heads=2, num_layers=1, num_decoder_layers=1
    )
    module = TranslationModule(
        network, tokenizer, optimizer=partial(torch.optim.AdamW, lr=1e-3), max_new_tokens=4
    )
    assert module.scores == {}
    trainer = pl.Trainer(
        max_steps=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(module, datamodule=datamodule)
    assert set(module.scores) == {"val"}
    # a test loop that decodes nothing reports no test scores: not the validation's
    pl.Trainer(limit_test_batches=0, logger=False).test(module, datamodule=datamodule)
    assert "test" not in module.scores
    trainer.test(module, datamodule=datamodule)
    assert module.scores["test"]["sentences"] == 5
