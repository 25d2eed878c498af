"""The request log: one JSON line per `/translate` request, appended as it is answered."""

import json
import os
import threading
from pathlib import Path
from typing import Any


class RequestLog:
    """Appends records to a JSONL file; each line goes out in one write, so lines never mix."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # O_APPEND: workers of one server may share the file
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._lock = threading.Lock()

    def append(self, record: dict[str, Any]) -> None:
        """Write `record` as one line."""
        # ASCII escapes: a raw U+2028 or U+0085 would split the line for some readers
        line = (json.dumps(record) + "\n").encode("ascii")
        with self._lock:
            os.write(self._fd, line)

    def close(self) -> None:
        """Close the file."""
        os.close(self._fd)
