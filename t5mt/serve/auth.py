"""API keys: read from a file or given as SHA-256 digests; checked in constant time.

The server keeps only the digests: keys never reach the settings it passes to its workers, its
log or its metrics.
"""

import hashlib
import hmac
import re
from pathlib import Path

from t5mt.errors import ConfigError

DIGEST = re.compile(r"[0-9a-f]{64}")


def digest(key: str) -> str:
    """The SHA-256 hex digest of a key, as `api_key_hashes` holds them."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def api_key_hashes(keys_file: str | None, hashes: str | None) -> tuple[str, ...]:
    """Digests of the keys in `keys_file` (one a line; blank and `#` lines skipped) and the
    comma- or space-separated digests in `hashes`; empty: no key is needed."""
    digests = []
    if keys_file:
        path = Path(keys_file)
        if not path.is_file():
            raise ConfigError(f"auth.api_keys_file={keys_file} is not a file")
        lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
        digests += [digest(line) for line in lines if line and not line.startswith("#")]
        if not digests:
            raise ConfigError(f"auth.api_keys_file={keys_file} holds no key")
    for value in re.split(r"[\s,]+", (hashes or "").strip().lower()):
        if value and not DIGEST.fullmatch(value):
            raise ConfigError(
                "auth.api_key_hashes holds something that is not a SHA-256 hex digest "
                "(64 characters 0-9a-f)"
            )
        if value:
            digests.append(value)
    return tuple(digests)


def key_matches(key: str, digests: tuple[str, ...]) -> bool:
    """Whether `key` is one of the keys: every digest is compared, so the time tells nothing."""
    presented = digest(key).encode()
    found = False
    for known in digests:
        found |= hmac.compare_digest(presented, known.encode())
    return found
