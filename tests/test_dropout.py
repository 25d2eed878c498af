"""FastDropout: torch's dropout semantics (rate, scaling, eval, gradient, seeding) with masks
from random bytes, and networks built or fine-tuned with it."""

import pytest
import torch
from omegaconf import OmegaConf
from torch import nn

from t5mt.dropout import FastDropout, random_bytes, use_fast_dropout
from t5mt.inference import Translator
from t5mt.init_from import init_source
from t5mt.network import t5_from_config


def test_random_bytes_are_uniform_in_every_byte_of_a_draw() -> None:
    torch.manual_seed(0)
    values = random_bytes((80_000, 8)).long()  # column j: byte j of each 64-bit draw
    for column in values.T:
        counts = torch.bincount(column, minlength=256).float()
        # 312.5 expected per value: a missing top bit would empty half of the last byte's values
        assert counts.min() > 200 and counts.max() < 430
        assert abs(column.float().mean() - 127.5) < 1.5


def test_drops_at_its_rate_and_scales_the_survivors() -> None:
    dropout = FastDropout(0.1)
    assert dropout.p == 26 / 256
    torch.manual_seed(0)
    out = dropout(torch.ones(1000, 1000))
    assert abs((out == 0).float().mean().item() - 26 / 256) < 0.002
    assert torch.allclose(out[out != 0], torch.tensor(256 / 230))
    assert abs(out.mean().item() - 1.0) < 0.01


def test_is_the_identity_in_eval_mode_and_at_rate_zero() -> None:
    hidden = torch.randn(4, 5)
    assert FastDropout(0.3).eval()(hidden) is hidden
    assert FastDropout(0.0)(hidden) is hidden
    with pytest.raises(ValueError, match="dropout rate"):
        FastDropout(1.0)


def test_gradient_is_the_mask_and_seeds_repeat_the_masks() -> None:
    dropout = FastDropout(0.5)
    hidden = torch.randn(64, 32, requires_grad=True)
    torch.manual_seed(3)
    out = dropout(hidden)
    out.sum().backward()
    assert torch.equal(hidden.grad, (out != 0).float() * 2.0)
    torch.manual_seed(3)
    assert torch.equal(dropout(hidden), out)
    assert not torch.equal(dropout(hidden), out)


def test_a_network_built_with_fast_dropout_keeps_its_weights_and_keys(
    tiny_translator: Translator,
) -> None:
    shape = dict(d_model=32, d_ff=64, d_kv=8, num_heads=2, num_layers=1, num_decoder_layers=1)
    tokenizer = tiny_translator.tokenizer
    torch.manual_seed(0)
    plain = t5_from_config(tokenizer, dropout_rate=0.1, **shape)
    torch.manual_seed(0)
    fast = t5_from_config(tokenizer, dropout_rate=0.1, fast_dropout=True, **shape)
    assert not any(isinstance(module, nn.Dropout) for module in fast.modules())
    rates = {module.p for module in fast.modules() if isinstance(module, FastDropout)}
    assert rates == {26 / 256}
    assert fast.state_dict().keys() == plain.state_dict().keys()
    assert all(torch.equal(v, plain.state_dict()[k]) for k, v in fast.state_dict().items())
    # in eval mode the two compute the same function
    ids = torch.tensor([[5, 6, 7, 1]])
    logits = [net.eval()(input_ids=ids, decoder_input_ids=ids).logits for net in (plain, fast)]
    assert torch.allclose(*logits)


def test_fine_tuning_with_fast_dropout_swaps_it_in_at_the_new_rate(
    talkative: Translator, tmp_path
) -> None:
    folder = tmp_path / "pretrained"
    talkative.engine.network.save_pretrained(folder)
    talkative.tokenizer.save_pretrained(folder)
    source = init_source(str(folder))
    settings = {"d_model": 32, "dropout_rate": 0.3, "fast_dropout": True}
    network = source.network(OmegaConf.create(settings), source.tokenizer(tmp_path / "tok"))
    rates = {module.p for module in network.modules() if isinstance(module, FastDropout)}
    assert rates == {77 / 256} and network.training
    assert not any(isinstance(module, nn.Dropout) for module in network.modules())


def test_use_fast_dropout_replaces_nested_dropouts() -> None:
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.2), nn.Sequential(nn.Dropout(0.5)))
    use_fast_dropout(model)
    assert isinstance(model[1], FastDropout) and isinstance(model[2][0], FastDropout)
    assert (model[1].p, model[2][0].p) == (51 / 256, 0.5)
