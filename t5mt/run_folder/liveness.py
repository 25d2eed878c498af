"""Alive or not: a training process records its host and process id in run.json and refreshes
heartbeat.json; a `running` run whose process is gone, or whose heartbeat went stale, crashed."""

import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psutil

from t5mt.run_folder.files import read_json, write_json_atomic
from t5mt.run_folder.layout import RunFolder

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_S = 15.0
# a run on another host is taken for crashed when its heartbeat is older than this
STALE_AFTER = timedelta(seconds=90)


def now() -> str:
    """The current UTC time in ISO 8601."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time as written by `now()`, or None when it is absent or unreadable."""
    try:
        time = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return time if time.tzinfo else time.replace(tzinfo=UTC)


def this_process() -> dict[str, Any]:
    """What identifies the current process across hosts and pid reuse (for run.json)."""
    return {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "process_started": psutil.Process().create_time(),
    }


@dataclass(frozen=True)
class RunState:
    """A run's status as reports show it: `crashed` for a `running` run whose process is gone."""

    status: str
    heartbeat: datetime | None
    holder_alive: bool


def run_state(run: RunFolder, status: dict[str, Any] | None = None) -> RunState:
    """The recorded status, corrected to `crashed` when the run's process is known to be gone.

    `status` is run.json's content when the caller has read it already."""
    status = run.read_status() if status is None else status
    heartbeat = parse_time(read_json(run.heartbeat_file).get("time"))
    recorded = status.get("status", "unknown")
    alive = recorded == "running" and _holder_alive(status, heartbeat)
    if recorded == "running" and not alive:
        return RunState("crashed", heartbeat, holder_alive=False)
    return RunState(recorded, heartbeat, holder_alive=alive)


def _holder_alive(status: dict[str, Any], heartbeat: datetime | None) -> bool:
    if "pid" not in status:  # written by an older t5mt: nothing to tell by
        return True
    if status.get("host") == socket.gethostname():
        try:
            started = psutil.Process(status["pid"]).create_time()
        except psutil.Error:
            return False
        # a live process with the same pid but another start time reused the pid
        return abs(started - status.get("process_started", started)) < 1.0
    return heartbeat is not None and datetime.now(UTC) - heartbeat < STALE_AFTER


class Heartbeat:
    """Refreshes `run`'s heartbeat.json every `interval` seconds from a daemon thread, between
    `start()` and `stop()` (also a context manager)."""

    def __init__(self, run: RunFolder, interval: float = HEARTBEAT_INTERVAL_S) -> None:
        self.run = run
        self.interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="t5mt-heartbeat", daemon=True)

    def start(self) -> None:
        """Write the first heartbeat now, then keep refreshing it."""
        self._write()
        self._thread.start()

    def stop(self) -> None:
        """Stop refreshing (the last heartbeat stays, to say when the process was last seen)."""
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join()

    def _beat(self) -> None:
        while not self._stopped.wait(self.interval):
            try:
                self._write()
            except OSError as error:  # a full disk must not stop training; the next beat retries
                log.warning("could not refresh %s: %s", self.run.heartbeat_file, error)

    def _write(self) -> None:
        write_json_atomic(self.run.heartbeat_file, {"time": now(), **this_process()})
