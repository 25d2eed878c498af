"""Learning-rate schedules: transformers' by name, plus one that ends with the time budget.

`linear_to_budget` warms up linearly, then decays linearly to zero at `trainer.max_steps` or at
`trainer.max_time`, whichever comes first. A fixed step count either ends early on a fast
machine (the budget unused) or is cut by max_time on a slow one with the learning rate still
high; this schedule spends the whole budget and always finishes its decay. The cost: the number
of steps, and so the weights, depend on the machine's speed.
"""

import time
from typing import Any

import torch
import transformers

from t5mt.errors import ConfigError


def get_scheduler(
    name: str,
    optimizer: torch.optim.Optimizer,
    num_warmup_steps: int,
    num_training_steps: int,
    max_time: str | None = None,
) -> torch.optim.lr_scheduler.LRScheduler:
    """The schedule `name`: `linear_to_budget`, or any of `transformers.get_scheduler`'s."""
    if name == "linear_to_budget":
        return LinearToBudget(optimizer, num_warmup_steps, num_training_steps, max_time)
    return transformers.get_scheduler(
        name,
        optimizer=optimizer,
        num_warmup_steps=num_warmup_steps,
        num_training_steps=num_training_steps,
    )


class LinearToBudget(torch.optim.lr_scheduler.LRScheduler):
    """Linear warmup over `num_warmup_steps`, then linear decay to zero at `num_training_steps`
    or after `max_time` (Lightning's "DD:HH:MM:SS") of training, whichever comes first.

    The factor is the smallest of the warmup ramp, the step line and the time line
    (1 - elapsed / max_time), so it is continuous. The elapsed seconds are kept in the
    scheduler's state, so a resumed run goes on with the time its earlier attempts spent.
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        num_warmup_steps: int,
        num_training_steps: int,
        max_time: str | None,
    ) -> None:
        if max_time is None:
            raise ConfigError(
                "optim.schedule=linear_to_budget decays by the time budget: set trainer.max_time "
                '(e.g. trainer.max_time="00:00:30:00")'
            )
        self.num_warmup_steps = num_warmup_steps
        self.num_training_steps = num_training_steps
        self.budget_seconds = budget_seconds(max_time)
        self.seconds_before = 0.0
        self._clock_started = time.monotonic()
        super().__init__(optimizer)

    def elapsed_seconds(self) -> float:
        """Training seconds so far, those of earlier attempts of a resumed run included."""
        return self.seconds_before + time.monotonic() - self._clock_started

    def factor(self, step: int) -> float:
        """The learning rate's share of its peak at `step`, now."""
        warmup = step / self.num_warmup_steps if self.num_warmup_steps else 1.0
        decay_steps = max(1, self.num_training_steps - self.num_warmup_steps)
        by_steps = (self.num_training_steps - step) / decay_steps
        by_time = 1.0 - self.elapsed_seconds() / self.budget_seconds
        return max(0.0, min(warmup, by_steps, by_time))

    def get_lr(self) -> list[float]:
        factor = self.factor(self.last_epoch)
        return [base_lr * factor for base_lr in self.base_lrs]

    def state_dict(self) -> dict[str, Any]:
        state = {key: value for key, value in self.__dict__.items() if key != "optimizer"}
        state.pop("_clock_started")
        state["seconds_before"] = self.elapsed_seconds()
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        # the budget and length come from this attempt's config: a resume may change them
        settings = ("num_warmup_steps", "num_training_steps", "budget_seconds")
        self.__dict__.update({k: v for k, v in state_dict.items() if k not in settings})
        self._clock_started = time.monotonic()


def budget_seconds(max_time: str) -> float:
    """Seconds of a Lightning `max_time` string, "DD:HH:MM:SS"."""
    parts = str(max_time).split(":")
    try:
        days, hours, minutes, seconds = (int(part) for part in parts)
    except ValueError:
        raise ConfigError(
            f'trainer.max_time={max_time!r}: expected "DD:HH:MM:SS", e.g. "00:00:30:00"'
        ) from None
    total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
    if total <= 0:
        raise ConfigError(f"trainer.max_time={max_time!r}: the budget must be positive")
    return float(total)
