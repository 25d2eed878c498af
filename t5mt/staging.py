"""Write a folder whole or not at all: build it beside its place, then rename it into place."""

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def staged_folder(folder: Path) -> Iterator[Path]:
    """Yield an empty staging folder beside `folder`; when the block succeeds it replaces
    `folder` (and whatever was there) in one rename, and when it fails it is removed.

    A reader never sees a mix of old and new files; an interrupted write leaves the old folder.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.staging-"))
    try:
        staging.chmod(0o755)  # mkdtemp creates 0700; the folder is meant to be shared
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    retired = staging.with_name(staging.name.replace(".staging-", ".old-"))
    if folder.exists():
        os.replace(folder, retired)
    os.replace(staging, folder)
    shutil.rmtree(retired, ignore_errors=True)
