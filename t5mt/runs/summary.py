"""One run as reports see it: status, times, overrides and scores, read from its folder."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from t5mt.errors import RunFolderError
from t5mt.runs import RunFolder, read_json
from t5mt.runs.curves import read_curves

SPLITS = {"val": "val BLEU", "test": "test BLEU"}


@dataclass(frozen=True)
class RunSummary:
    """What `ls`, `show`, `best` and `plot` report about a run."""

    run: RunFolder
    status: str
    started: datetime | None
    finished: datetime | None
    overrides: tuple[str, ...]
    results: dict[str, Any]
    val_bleu: float | None
    test_bleu: float | None

    @property
    def duration(self) -> timedelta | None:
        """From start to end; for a running run, from start to now."""
        if self.started is None:
            return None
        if self.finished is not None:
            return self.finished - self.started
        return datetime.now(UTC) - self.started if self.status == "running" else None

    def bleu(self, split: str) -> float | None:
        """The best validation BLEU (split `val`) or the test BLEU (`test`)."""
        return {"val": self.val_bleu, "test": self.test_bleu}[split]


def summarize(run: RunFolder) -> RunSummary:
    """Read a run folder; a running run's val BLEU is the best one logged so far."""
    status = run.read_status()
    results = read_json(run.results)
    if results:
        val_bleu = (results.get("val") or {}).get("bleu")
    else:
        logged = read_curves(run.metrics_csv).get("val/bleu", [])
        val_bleu = max((value for _, value in logged), default=None)
    return RunSummary(
        run=run,
        status=status.get("status", "unknown"),
        started=_time(status, "started", run.status_file),
        finished=_time(status, "finished", run.status_file),
        overrides=read_overrides(run),
        results=results,
        val_bleu=val_bleu,
        test_bleu=(results.get("test") or {}).get("bleu"),
    )


def read_overrides(run: RunFolder) -> tuple[str, ...]:
    """The command-line overrides Hydra recorded for the run (`key=value` strings)."""
    if not run.overrides.is_file():
        return ()
    try:
        overrides = yaml.safe_load(run.overrides.read_text(encoding="utf-8")) or []
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise RunFolderError(f"{run.overrides}: not a YAML list of overrides ({error})") from None
    if not isinstance(overrides, list):
        raise RunFolderError(f"{run.overrides}: not a YAML list of overrides")
    return tuple(str(override) for override in overrides)


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as one level of dotted keys: {"val": {"bleu": 1}} → {"val.bleu": 1}."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _time(status: Mapping[str, Any], key: str, path: Path) -> datetime | None:
    value = status.get(key)
    if value is None:
        return None
    try:
        time = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise RunFolderError(f"{path}: '{key}' is {value!r}, not an ISO 8601 time") from None
    return time if time.tzinfo else time.replace(tzinfo=UTC)  # t5mt.runs.now() writes UTC
