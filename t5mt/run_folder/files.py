"""Writes that readers never see half done (atomic files, staged folders), and strict JSON reads."""

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from t5mt.errors import RunFolderError


@contextmanager
def atomic_file(path: Path, mode: str = "w", suffix: str = ".tmp") -> Iterator[IO]:
    """A temporary file beside `path` that replaces it, flushed to disk, in one rename when the
    block ends without an error; on an error it is removed and `path` is left as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    encoding = None if "b" in mode else "utf-8"
    try:
        with os.fdopen(handle, mode, encoding=encoding) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)  # mkstemp creates 0600; results are meant to be shared
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file so that readers see the old file or the new one, never a partial one."""
    with atomic_file(path) as file:
        file.write(text)


def write_lines_atomic(path: Path, lines: list[str]) -> None:
    """Write one item per line (line breaks inside an item become spaces, so that line i is
    item i), atomically."""
    write_text_atomic(path, "".join(" ".join(line.splitlines()) + "\n" for line in lines))


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so that readers see the old file or the new one, never a partial one."""
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from `path`, or an empty dict when the file does not exist.

    A malformed file raises RunFolderError naming it.
    """
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise RunFolderError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise RunFolderError(f"{path}: expected a JSON object, found {type(data).__name__}")
    return data


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
