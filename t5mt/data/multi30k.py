"""Multi30k task 1 (English–German image captions), downloaded once and checksum-verified."""

from __future__ import annotations

import hashlib
import http.client
import logging
import urllib.error
import urllib.request
from pathlib import Path
from typing import BinaryIO

from datasets import DatasetDict
from tqdm.auto import tqdm

from t5mt.data.files import pairs_to_dataset_dict, read_aligned_text
from t5mt.errors import DataError, T5mtError
from t5mt.run_folder import atomic_file

log = logging.getLogger(__name__)

BASE_URL = "https://raw.githubusercontent.com/multi30k/dataset/master/data/task1/raw"
# Our split name -> the file prefix in the Multi30k repository.
SPLIT_PREFIXES = {"train": "train", "validation": "val", "test": "test_2016_flickr"}
SHA256 = {
    "train.en.gz": "d79cfa999dd4c51d2cb42499b6796d5a882c3a8a961923c25a898c90f8bbd56f",
    "train.de.gz": "726e39b2fa9eb9ffb6dc763fb35a179f80fae06ffc5d28b6ace5faa883de28a6",
    "val.en.gz": "14f7d25ddd868909a9213e361768460edcacdd6ab9d1e77b92560dc10c10dc28",
    "val.de.gz": "f0cba2f995189cf5770f29a8a9a537a3ad3f51657ad873405082ff6863a5e75a",
    "test_2016_flickr.en.gz": "611d361c6334bc7246101d48097c13cf5c4413c5befc793cc629934359d532d9",
    "test_2016_flickr.de.gz": "9204244e408ccb38d2a55cfcd344df15005fc42a07a6e55ca6c52b6ababb8cc8",
}
_CHUNK = 1 << 16
_TIMEOUT_S = 60
_NETWORK_ERRORS = (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError)


def load_multi30k(
    cache_dir: str = "~/.cache/t5mt/multi30k",
    mirror: str | None = None,
    base_url: str = BASE_URL,
    train_size: int | None = None,
) -> DatasetDict:
    """Load Multi30k En–De as a DatasetDict.

    Splits: train (29,000 pairs), validation = ``val`` (1,014), test = ``test_2016_flickr`` (1,000).
    With ``mirror``, the six ``.gz`` files are read from that local folder; otherwise missing
    files are downloaded from ``base_url`` into ``cache_dir``. Every file is checked against its
    known SHA-256 before use. ``train_size`` keeps only the first N training pairs.
    """
    if train_size is not None and train_size < 1:
        raise T5mtError(f"train_size must be a positive number of pairs, got {train_size}")
    folder = Path(mirror if mirror is not None else cache_dir).expanduser()
    for name, sha256 in SHA256.items():
        if mirror is None and not (folder / name).exists():
            download(f"{base_url.rstrip('/')}/{name}", folder / name, sha256)
        else:
            verify_file(folder / name)
    splits = {
        split: read_aligned_text(folder / f"{prefix}.en.gz", folder / f"{prefix}.de.gz")
        for split, prefix in SPLIT_PREFIXES.items()
    }
    if train_size is not None:
        available = len(splits["train"])
        if train_size > available:
            raise T5mtError(f"train_size={train_size} exceeds the {available} Multi30k train pairs")
        splits["train"] = splits["train"][:train_size]
    return pairs_to_dataset_dict(splits, "en", "de")


def verify_file(path: Path) -> None:
    """Raise DataError unless ``path`` exists and has the SHA-256 listed for its name."""
    if not path.is_file():
        raise DataError(f"missing file: {path}")
    expected = SHA256[path.name]
    with path.open("rb") as stream:
        actual = hashlib.file_digest(stream, "sha256").hexdigest()
    if actual != expected:
        raise DataError(
            f"{path} has SHA-256 {actual}, expected {expected}; the file is corrupt or a different"
            " version (delete it to download it again)"
        )


def download(url: str, dest: Path, expected_sha256: str) -> None:
    """Download ``url`` to ``dest`` atomically, keeping it only if its SHA-256 matches.

    The bytes go to a temporary file beside ``dest`` that is renamed into place once verified,
    so an interrupted or corrupt download never leaves a file that looks complete.
    """
    with atomic_file(dest, "wb", suffix=".part") as out:
        actual = _fetch(url, out, dest.name)
        if actual != expected_sha256:
            raise DataError(
                f"downloaded {dest.name} from {url} has SHA-256 {actual}, expected"
                f" {expected_sha256}; the file was not kept"
            )
    log.info("downloaded %s to %s", url, dest)


def _fetch(url: str, out: BinaryIO, label: str) -> str:
    """Stream ``url`` into ``out`` with a progress bar and return the SHA-256 of the bytes."""
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT_S) as response:
            size = response.headers.get("Content-Length")
            expected_size = int(size) if size else None
            received = 0
            with tqdm(total=expected_size, unit="B", unit_scale=True, desc=label) as progress:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    progress.update(len(chunk))
            # http.client ends a body cut short without an error; say what happened.
            if expected_size is not None and received != expected_size:
                raise ConnectionError(
                    f"connection closed after {received} of {expected_size} bytes"
                )
    except _NETWORK_ERRORS as error:
        # HTTPError's own text has the status code; URLError's reason is the socket error.
        is_http = isinstance(error, urllib.error.HTTPError)
        reason = error if is_http else getattr(error, "reason", error)
        raise T5mtError(
            f"could not download {url}: {reason}. Without network access, fetch the Multi30k"
            f" files ({', '.join(SHA256)}) elsewhere and pass data.corpus.mirror=<dir>"
        ) from error
    return digest.hexdigest()
