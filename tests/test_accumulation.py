"""Gradient accumulation: N batches of B equal one batch of N·B (loss, gradients, weights).

T5's loss is the mean over a batch's target tokens and Lightning divides each batch's loss by
N, so the two agree when every batch holds as many target tokens: these batches have no padding.
"""

from functools import partial

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader

from t5mt.module import TranslationModule
from t5mt.network import t5_from_config

BATCH, SOURCE_LENGTH, TARGET_LENGTH = 4, 7, 5


class GradientsAtStep(pl.Callback):
    """The summed gradients of each weight at the (single) optimizer step."""

    def __init__(self) -> None:
        self.gradients: dict[str, torch.Tensor] = {}

    def on_before_optimizer_step(self, trainer, module, optimizer) -> None:
        self.gradients = {name: p.grad.clone() for name, p in module.named_parameters()}


def make_batch(tokenizer, rows: slice, generator: torch.Generator) -> dict[str, torch.Tensor]:
    ids = torch.randint(5, len(tokenizer), (2 * BATCH, SOURCE_LENGTH), generator=generator)
    labels = torch.randint(5, len(tokenizer), (2 * BATCH, TARGET_LENGTH), generator=generator)
    return {
        "input_ids": ids[rows],
        "attention_mask": torch.ones_like(ids[rows]),
        "labels": labels[rows],
    }


def one_optimizer_step(tokenizer, batches: list[dict], accumulate: int):
    """The module after one SGD step on `batches` with `accumulate`, and the gradients used."""
    torch.manual_seed(0)
    network = t5_from_config(
        tokenizer,
        d_model=32,
        d_ff=64,
        d_kv=8,
        num_heads=2,
        num_layers=1,
        num_decoder_layers=1,
        dropout_rate=0.0,  # the two runs must compute the same function
    )
    module = TranslationModule(network, tokenizer, partial(torch.optim.SGD, lr=0.5))
    gradients = GradientsAtStep()
    trainer = pl.Trainer(
        accelerator="cpu",
        max_epochs=1,
        accumulate_grad_batches=accumulate,
        limit_val_batches=0,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[gradients],
    )
    # batch_size=None: the loader yields the prepared batches as they are
    trainer.fit(module, train_dataloaders=DataLoader(batches, batch_size=None))
    assert trainer.global_step == 1
    return module, gradients.gradients


def test_two_accumulated_batches_equal_one_batch_of_twice_the_size(tiny_translator) -> None:
    tokenizer = tiny_translator.tokenizer
    generator = torch.Generator().manual_seed(1)
    whole = make_batch(tokenizer, slice(None), generator)
    halves = [
        {key: value[rows] for key, value in whole.items()}
        for rows in (slice(0, BATCH), slice(BATCH, None))
    ]

    big, big_gradients = one_optimizer_step(tokenizer, [whole], accumulate=1)
    accumulated, accumulated_gradients = one_optimizer_step(tokenizer, halves, accumulate=2)

    # the gradients of a step, hence the weights after it, agree to float32 rounding
    assert big_gradients.keys() == accumulated_gradients.keys()
    for name, gradient in big_gradients.items():
        torch.testing.assert_close(accumulated_gradients[name], gradient, rtol=1e-4, atol=1e-6)
    for (name, weight), (_, other) in zip(
        big.named_parameters(), accumulated.named_parameters(), strict=True
    ):
        torch.testing.assert_close(other, weight, rtol=1e-5, atol=1e-6, msg=name)
    # and the loss of the whole batch is the mean of the halves' losses
    with torch.no_grad():
        losses = [big(half) for half in halves]
        torch.testing.assert_close(big(whole), torch.stack(losses).mean())
    # the step changed the weights: equal weights are not merely untrained ones
    assert any(gradient.abs().max() > 1e-3 for gradient in big_gradients.values())
