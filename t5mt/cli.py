"""What every t5mt entrypoint shares: turning known errors into one clear message, and writing
its result to a file (atomically) or to standard output."""

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

from hydra.errors import InstantiationException

from t5mt.errors import T5mtError
from t5mt.run_folder import write_text_atomic

log = logging.getLogger("t5mt")


@contextmanager
def reported_errors() -> Iterator[None]:
    """Print a T5mtError as `error: <message>` and exit with status 2, without a traceback.

    Hydra wraps errors raised while it builds a component from the config; those are unwrapped.
    """
    try:
        yield
    except InstantiationException as wrapped:
        if not isinstance(wrapped.__cause__, T5mtError):
            raise
        _report(wrapped.__cause__)
    except T5mtError as error:
        _report(error)


def _report(error: T5mtError) -> NoReturn:
    if logging.getLogger().handlers:  # a Hydra job: keep the error in its log file too
        log.error("%s", error)
    print(f"error: {error}", file=sys.stderr)
    raise SystemExit(2) from None


def write_result(text: str, output: str | None) -> None:
    """Write `text` to the file `output` atomically, or to standard output when none is given."""
    if output:
        write_text_atomic(Path(output), text)
    else:
        sys.stdout.write(text)
