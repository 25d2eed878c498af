"""optim.schedule=linear_to_budget: warmup, then linear decay to zero at max_steps or max_time,
whichever comes first; its clock survives a resume. Unit checks, then a real training run."""

import json
from pathlib import Path

import pytest
import torch
import transformers

from t5mt.errors import ConfigError
from t5mt.schedule import LinearToBudget, get_scheduler
from tests.conftest import SMALL_DATA, run_module


def optimizer(lr: float = 1.0) -> torch.optim.Optimizer:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=lr)


def learning_rates(scheduler: torch.optim.lr_scheduler.LRScheduler, steps: int) -> list[float]:
    rates = []
    for _ in range(steps):
        scheduler.optimizer.step()
        scheduler.step()
        rates.append(scheduler.get_last_lr()[0])
    return rates


def test_with_time_to_spare_it_is_transformers_linear_schedule() -> None:
    budget = get_scheduler("linear_to_budget", optimizer(), 4, 20, max_time="00:01:00:00")
    linear = transformers.get_scheduler(
        "linear", optimizer=optimizer(), num_warmup_steps=4, num_training_steps=20
    )
    assert isinstance(budget, LinearToBudget)
    ours, theirs = learning_rates(budget, 22), learning_rates(linear, 22)
    assert ours == pytest.approx(theirs, abs=1e-4)
    assert ours[-1] == 0.0 and max(ours) == pytest.approx(1.0, abs=1e-4)


def test_the_time_line_decays_the_rate_when_time_runs_short() -> None:
    scheduler = get_scheduler("linear_to_budget", optimizer(2.0), 0, 1000, max_time="00:00:01:40")
    # an attempt that has already trained 75 of its 100 seconds, at step 10
    scheduler.load_state_dict({**scheduler.state_dict(), "seconds_before": 75.0})
    (rate,) = learning_rates(scheduler, 1)
    assert rate == pytest.approx(2.0 * 0.25, abs=0.01)  # the step line alone would give ~1.98
    scheduler.load_state_dict({**scheduler.state_dict(), "seconds_before": 100.5})
    assert learning_rates(scheduler, 3) == [0.0, 0.0, 0.0]


def test_a_resume_keeps_the_elapsed_time_and_takes_its_own_budget() -> None:
    first = get_scheduler("linear_to_budget", optimizer(), 2, 100, max_time="00:00:01:40")
    learning_rates(first, 5)
    state = {**first.state_dict(), "seconds_before": 40.0}
    # the resumed attempt was given a longer budget (trainer.max_time is resume-safe)
    resumed = get_scheduler("linear_to_budget", optimizer(), 2, 100, max_time="00:00:03:20")
    resumed.load_state_dict(state)
    assert resumed.last_epoch == 5 and resumed.budget_seconds == 200.0
    assert 40.0 <= resumed.elapsed_seconds() < 41.0
    (rate,) = learning_rates(resumed, 1)
    assert rate == pytest.approx(1.0 - 40.0 / 200.0, abs=0.01)
    assert resumed.state_dict()["seconds_before"] >= 40.0


@pytest.mark.parametrize(
    ("max_time", "message"),
    [
        (None, "set trainer.max_time"),
        ("30 minutes", "trainer.max_time='30 minutes': expected \"DD:HH:MM:SS\""),
        ("00:00:00:00", "the budget must be positive"),
    ],
)
def test_a_budget_schedule_without_a_usable_max_time_is_refused(
    max_time: str | None, message: str
) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        get_scheduler("linear_to_budget", optimizer(), 0, 10, max_time=max_time)


@pytest.mark.slow
def test_a_run_on_a_time_budget_ends_its_decay_at_max_time(tmp_path: Path) -> None:
    result = run_module(
        "t5mt.train",
        *SMALL_DATA,
        "hydra.run.dir=run",
        "trainer.enable_progress_bar=false",
        "trainer.max_epochs=-1",
        "trainer.max_steps=100000",
        "trainer.max_time=00:00:00:12",
        "optim.schedule=linear_to_budget",
        "optim.warmup_steps=2",
        "test=false",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    run = tmp_path / "run"
    stopped = json.loads((run / "results.json").read_text())["stopped"]
    assert stopped["reason"] == "max_time"
    last = torch.load(run / "checkpoints/last.ckpt", map_location="cpu", weights_only=False)
    (scheduler,) = last["lr_schedulers"]
    peak = scheduler["base_lrs"][0]
    # the last step's rate is (almost) zero though the step budget was far from spent
    assert scheduler["last_epoch"] == stopped["step"] < 100000
    assert scheduler["_last_lr"][0] < 0.05 * peak
    assert scheduler["seconds_before"] >= 12.0
