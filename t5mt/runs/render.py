"""How reports print: the console, and the formats of scores, times and durations."""

from datetime import datetime, timedelta

from rich.console import Console

MISSING = "—"


def console() -> Console:
    """A console on stdout; piped, it is wide enough that no row wraps (for grep and scripts)."""
    out = Console(highlight=False)
    if not out.is_terminal:
        out.width = 1000
    return out


def score(value: float | None) -> str:
    """A BLEU-like score with two decimals."""
    return MISSING if value is None else f"{value:.2f}"


def time(value: datetime | None) -> str:
    """A timestamp in local time, to the second."""
    return MISSING if value is None else value.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def status(recorded: str, heartbeat: datetime | None) -> str:
    """A run's status; a crashed run's with the time its process was last seen."""
    if recorded == "crashed" and heartbeat is not None:
        return f"crashed (last heartbeat {time(heartbeat)})"
    return recorded


def duration(value: timedelta | None) -> str:
    """A duration as `42s`, `3m 05s` or `2h 07m`."""
    if value is None:
        return MISSING
    seconds = round(value.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


def value(item: object) -> str:
    """Any recorded value; floats to six significant digits."""
    return f"{item:.6g}" if isinstance(item, float) else str(item)
