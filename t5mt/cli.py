"""What every t5mt entrypoint shares: turning known errors into one clear message."""

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from t5mt.errors import T5mtError

log = logging.getLogger("t5mt")


@contextmanager
def reported_errors() -> Iterator[None]:
    """Print a T5mtError as `error: <message>` and exit with status 2, without a traceback."""
    try:
        yield
    except T5mtError as error:
        if logging.getLogger().handlers:  # a Hydra job: keep the error in its log file too
            log.error("%s", error)
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
