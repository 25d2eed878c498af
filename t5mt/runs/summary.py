"""One run as reports see it: status, times, overrides and scores, read from its folder."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from t5mt.errors import RunFolderError
from t5mt.run_folder import RunFolder, run_state
from t5mt.runs.curves import read_curves

SPLITS = {"val": "val BLEU", "test": "test BLEU"}


@dataclass(frozen=True)
class RunSummary:
    """What `ls`, `show`, `best` and `plot` report about a run."""

    run: RunFolder
    # as recorded in run.json, except `crashed` for a running run whose process is gone
    status: str
    heartbeat: datetime | None
    started: datetime | None
    finished: datetime | None
    overrides: tuple[str, ...]
    results: dict[str, Any]
    val_bleu: float | None
    test_bleu: float | None

    @property
    def duration(self) -> timedelta | None:
        """From start to end; for a running run, from start to now; for a crashed one, from
        start to its last heartbeat."""
        if self.started is None:
            return None
        if self.finished is not None:
            return self.finished - self.started
        if self.status == "running":
            return datetime.now(UTC) - self.started
        crashed = self.status == "crashed" and self.heartbeat is not None
        return self.heartbeat - self.started if crashed else None

    def bleu(self, split: str) -> float | None:
        """The best validation BLEU (split `val`) or the test BLEU (`test`)."""
        return {"val": self.val_bleu, "test": self.test_bleu}[split]


def summarize(run: RunFolder) -> RunSummary:
    """Read a run folder; a running run's val BLEU is the best one logged so far."""
    status = run.read_status()
    state = run_state(run, status)
    results = run.read_results()
    if results:
        val_bleu = (results.get("val") or {}).get("bleu")
    else:
        logged = read_curves(run.metrics_csv).get("val/bleu", [])
        val_bleu = max((value for _, value in logged), default=None)
    return RunSummary(
        run=run,
        status=state.status,
        heartbeat=state.heartbeat,
        started=_time(status, "started", run.status_file),
        finished=_time(status, "finished", run.status_file),
        overrides=run.read_overrides(),
        results=results,
        val_bleu=val_bleu,
        test_bleu=(results.get("test") or {}).get("bleu"),
    )


def _time(status: Mapping[str, Any], key: str, path: Path) -> datetime | None:
    value = status.get(key)
    if value is None:
        return None
    try:
        time = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise RunFolderError(f"{path}: '{key}' is {value!r}, not an ISO 8601 time") from None
    return time if time.tzinfo else time.replace(tzinfo=UTC)  # run_folder.now() writes UTC
