"""Early stopping, validation samples, gradient accumulation in the schedule, kept checkpoints
and their average: through real training runs and the real commands."""

import json
import re
from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from t5mt.averaging import average_weights
from t5mt.errors import RunFolderError
from t5mt.inference import load_translator
from t5mt.run_folder import RunFolder
from t5mt.serve.settings import settings_from_config
from tests.conftest import CONF, SMALL_DATA, run_module

pytestmark = pytest.mark.slow

QUIET = ("trainer.enable_progress_bar=false", "hydra.run.dir=run", *SMALL_DATA)


def train(cwd: Path, *overrides: str) -> Path:
    result = run_module("t5mt.train", *QUIET, *overrides, cwd=cwd)
    assert result.returncode == 0, result.stderr[-3000:]
    return cwd / "run"


@pytest.fixture(scope="module")
def plateau_run(tmp_path_factory) -> Path:
    """The quickstart with a learning rate of 0 (its scores cannot move), early stopping with
    patience 1 within a budget of 4 epochs of 5 batches, and TensorBoard on."""
    return train(
        tmp_path_factory.mktemp("plateau"),
        "optim.lr=0",
        "trainer=debug",
        "trainer.max_epochs=4",
        "callbacks.early_stopping.patience=1",
        "num_val_samples=3",
        "logger=tensorboard",
    )


@pytest.fixture(scope="module")
def kept_run(tmp_path_factory) -> Path:
    """3 epochs of 5 batches, 2 batches per optimizer step (3 steps an epoch), keeping the
    checkpoints of the last 3 validations."""
    return train(
        tmp_path_factory.mktemp("kept"),
        "trainer=debug",
        "trainer.max_epochs=3",
        "trainer.accumulate_grad_batches=2",
        "optim.warmup_steps=0",
        "callbacks.keep_last.n=3",
    )


def test_early_stopping_ends_a_plateau_before_the_epoch_budget(plateau_run: Path) -> None:
    stopped = json.loads((plateau_run / "results.json").read_text())["stopped"]
    # the second validation did not improve on the first: stop after epoch 2 of 4
    assert stopped["reason"] == "early_stopping"
    assert stopped["epoch"] == 2 and stopped["step"] == 10
    assert "val/bleu did not improve" in stopped["detail"]
    shown = run_module("t5mt.runs", "show", str(plateau_run), cwd=plateau_run.parent)
    assert shown.returncode == 0, shown.stderr
    assert re.search(r"results\.stopped\.reason\s+early_stopping", shown.stdout), shown.stdout


def test_a_run_without_early_stopping_says_it_used_its_budget(kept_run: Path) -> None:
    stopped = json.loads((kept_run / "results.json").read_text())["stopped"]
    assert stopped == {"reason": "max_epochs", "detail": None, "step": 9, "epoch": 3}


def test_every_validation_writes_samples_to_the_run_folder_and_tensorboard(
    plateau_run: Path,
) -> None:
    written = sorted((plateau_run / "samples").glob("val-step-*.txt"))
    assert [path.name for path in written] == ["val-step-0000005.txt", "val-step-0000010.txt"]
    text = written[-1].read_text(encoding="utf-8")
    assert text.count("SRC ") == text.count("REF ") == text.count("HYP ") == 3
    accumulator = EventAccumulator(str(plateau_run / "tensorboard"), size_guidance={"tensors": 0})
    accumulator.Reload()
    logged = accumulator.Tensors("val/samples/text_summary")
    assert [event.step for event in logged] == [5, 10]
    table = logged[-1].tensor_proto.string_val[0].decode()
    assert table.startswith("| source | reference | hypothesis |")
    first_source = text.splitlines()[0].removeprefix("SRC ")
    assert f"| {first_source} |" in table


def test_last_ckpt_holds_the_final_weights_when_the_final_validation_was_not_the_best(
    tmp_path: Path,
) -> None:
    # validations mid-epoch at steps 2 and 4 and at the max_steps stop (5), the periodic save at
    # step 3; with a learning rate of 0 the scores cannot move: the first validation stays best
    run = train(
        tmp_path,
        "optim.lr=0",
        "trainer=debug",
        "trainer.limit_train_batches=10",
        "trainer.val_check_interval=2",
        "trainer.max_steps=5",
        "callbacks.last.every_n_train_steps=3",
        "test=false",
    )

    def step(name: str) -> int:
        path = run / "checkpoints" / name
        return torch.load(path, map_location="cpu", weights_only=False)["global_step"]

    assert step("best.ckpt") == 2
    assert step("last.ckpt") == 5


def test_schedule_and_max_steps_count_optimizer_steps(kept_run: Path) -> None:
    state = torch.load(kept_run / "checkpoints/last.ckpt", map_location="cpu", weights_only=False)
    assert state["global_step"] == 9  # ceil(5 / 2) optimizer steps in each of 3 epochs
    (scheduler,) = state["lr_schedulers"]
    # the linear schedule was 9 steps long, not 15 batches: it has reached zero
    assert scheduler["last_epoch"] == 9 and scheduler["_last_lr"] == [0.0]


def test_keep_last_keeps_the_newest_validations_weights(kept_run: Path) -> None:
    kept = sorted(path.name for path in (kept_run / "checkpoints/kept").iterdir())
    assert kept == ["step-0000003.ckpt", "step-0000006.ckpt", "step-0000009.ckpt"]
    newest = torch.load(kept_run / "checkpoints/kept/step-0000009.ckpt", weights_only=False)
    last = torch.load(kept_run / "checkpoints/last.ckpt", weights_only=False)
    assert "optimizer_states" not in newest  # weights only
    for key, value in last["state_dict"].items():
        assert torch.equal(newest["state_dict"][key], value), key


def test_average_command_writes_the_mean_of_the_last_n(kept_run: Path) -> None:
    result = run_module("t5mt.average", f"run={kept_run}", "n=2", cwd=kept_run.parent)
    assert result.returncode == 0, result.stderr
    written = kept_run / "checkpoints/average.ckpt"
    assert result.stdout.strip().splitlines()[-1] == str(written)
    average = torch.load(written, weights_only=False)
    assert average["averaged"] == ["step-0000006.ckpt", "step-0000009.ckpt"]
    assert average["global_step"] == 9 and "optimizer_states" not in average
    older, newer = (
        torch.load(kept_run / f"checkpoints/kept/step-000000{step}.ckpt", weights_only=False)
        for step in (6, 9)
    )
    key = "network.shared.weight"
    assert not torch.equal(older["state_dict"][key], newer["state_dict"][key])
    torch.testing.assert_close(
        average["state_dict"][key], (older["state_dict"][key] + newer["state_dict"][key]) / 2
    )
    assert not list(written.parent.glob(".*.tmp"))  # written through a temporary file


def test_average_command_refuses_more_than_were_kept(kept_run: Path) -> None:
    result = run_module("t5mt.average", f"run={kept_run}", "n=4", cwd=kept_run.parent)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: averaging the last 4 checkpoints needs as many kept ones, but "
        f"{kept_run}/checkpoints/kept has 3 (train with callbacks.keep_last.n=4 to keep them)"
    )


def test_ckpt_average_loads_the_mean_weights(kept_run: Path) -> None:
    run = RunFolder(kept_run)
    kept = run.kept_checkpoints()
    network = load_translator(kept_run, ckpt="average:2").engine.network
    expected = average_weights(kept[-2:])
    for name, weight in network.state_dict().items():
        torch.testing.assert_close(weight, expected[f"network.{name}"], msg=name)
    assert run.checkpoint_files("average") == kept
    with pytest.raises(RunFolderError, match="N of average:N must be a positive whole number"):
        run.checkpoint_files("average:x")


def test_evaluate_translate_and_export_accept_ckpt_average(kept_run: Path) -> None:
    cwd = kept_run.parent
    evaluated = run_module(
        "t5mt.evaluate", f"run={kept_run}", "ckpt=average:3", "name=averaged", cwd=cwd
    )
    assert evaluated.returncode == 0, evaluated.stderr
    report = json.loads((kept_run / "eval/averaged.json").read_text())
    assert report["decoding"]["ckpt"] == "average:3" and report["bleu"] >= 0
    translated = run_module(
        "t5mt.translate", f"run={kept_run}", "ckpt=average", input="The dog sleeps.\n", cwd=cwd
    )
    assert translated.returncode == 0, translated.stderr
    assert len(translated.stdout.splitlines()) == 1
    exported = run_module(
        "t5mt.export", f"run={kept_run}", "ckpt=average:2", f"output={cwd / 'ct2'}", cwd=cwd
    )
    assert exported.returncode == 0, exported.stderr
    assert json.loads((cwd / "ct2/t5mt_export.json").read_text())["ckpt"] == "average:2"


def test_averaging_checkpoints_of_different_shapes_names_the_weight(
    kept_run: Path, tmp_path: Path
) -> None:
    state = torch.load(kept_run / "checkpoints/kept/step-0000009.ckpt", weights_only=False)
    state["state_dict"]["network.shared.weight"] = torch.zeros(3, 3)
    other = tmp_path / "other.ckpt"
    torch.save(state, other)
    first = kept_run / "checkpoints/kept/step-0000006.ckpt"
    with pytest.raises(RunFolderError, match=r"differ in the shape of network\.shared\.weight"):
        average_weights([first, other])


def test_serve_checks_ckpt_average_at_start(kept_run: Path) -> None:
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        settings = settings_from_config(
            compose(config_name="serve", overrides=[f"run={kept_run}", "ckpt=average:2"])
        )
        assert settings.ckpt == "average:2"
        too_many = compose(config_name="serve", overrides=[f"run={kept_run}", "ckpt=average:4"])
        with pytest.raises(RunFolderError, match="averaging the last 4 checkpoints"):
            settings_from_config(too_many)
