"""Multi30k: the real files from a mirror, and downloads from a real HTTP server on 127.0.0.1."""

import functools
import gzip
import hashlib
import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from t5mt.data.multi30k import SHA256, load_multi30k
from t5mt.errors import DataError, T5mtError
from tests.conftest import MULTI30K, needs_multi30k

FIRST_TRAIN_PAIR = {
    "en": "Two young, White males are outside near many bushes.",
    "de": "Zwei junge weiße Männer sind im Freien in der Nähe vieler Büsche.",
}


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def serve() -> Iterator:
    """serve(folder) -> base URL of a real HTTP server on 127.0.0.1 serving that folder."""
    servers = []

    def start(folder: Path, handler_class: type = QuietHandler) -> str:
        handler = functools.partial(handler_class, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def no_proxy_for_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    # urllib honours *_proxy variables; a proxy must not stand between the test and 127.0.0.1.
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")


class TruncatingHandler(QuietHandler):
    """Promises 100,000 bytes, sends 10 and hangs up."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.write(b"0123456789")
        self.close_connection = True


def refused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed on exit: nothing listens there


def mirror_with(tmp_path: Path, **replacements: bytes) -> Path:
    """A folder holding the real files (as links) except the ones replaced with given bytes."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    for name in SHA256:
        if name in replacements:
            (folder / name).write_bytes(replacements[name])
        else:
            (folder / name).symlink_to(MULTI30K / name)
    return folder


@needs_multi30k
def test_mirror_gives_the_official_splits(tmp_path: Path):
    corpus = load_multi30k(cache_dir=str(tmp_path / "unused"), mirror=str(MULTI30K))

    assert {name: len(split) for name, split in corpus.items()} == {
        "train": 29_000,
        "validation": 1_014,
        "test": 1_000,
    }
    assert corpus["train"].column_names == ["translation"]
    assert corpus["train"][0]["translation"] == FIRST_TRAIN_PAIR
    assert (
        corpus["validation"][0]["translation"]["en"]
        == "A group of men are loading cotton onto a truck"
    )
    assert corpus["test"][-1]["translation"] == {
        "en": "A girl at the shore of a beach with a mountain in the distance.",
        "de": "Ein Mädchen an einer Küste mit einem Berg im Hintergrund.",
    }
    assert not (tmp_path / "unused").exists()  # a mirror needs no cache


@needs_multi30k
def test_train_size_keeps_the_first_pairs(tmp_path: Path):
    full = load_multi30k(mirror=str(MULTI30K))
    small = load_multi30k(mirror=str(MULTI30K), train_size=100)

    assert small["train"]["translation"] == full["train"]["translation"][:100]
    assert len(small["validation"]) == 1_014
    with pytest.raises(T5mtError, match="exceeds the 29000"):
        load_multi30k(mirror=str(MULTI30K), train_size=29_001)


@needs_multi30k
def test_mirror_files_are_verified(tmp_path: Path):
    bad = gzip.compress(b"Not the official validation set.\n" * 1_014)
    folder = mirror_with(tmp_path, **{"val.en.gz": bad})
    with pytest.raises(DataError) as caught:
        load_multi30k(mirror=str(folder))
    message = str(caught.value)
    assert str(folder / "val.en.gz") in message
    assert SHA256["val.en.gz"] in message
    assert hashlib.sha256(bad).hexdigest() in message


@needs_multi30k
def test_mirror_missing_a_file(tmp_path: Path):
    folder = mirror_with(tmp_path)
    (folder / "test_2016_flickr.de.gz").unlink()
    with pytest.raises(DataError, match=r"missing file: .*test_2016_flickr\.de\.gz"):
        load_multi30k(mirror=str(folder))


@needs_multi30k
def test_download_verifies_caches_and_reuses(tmp_path: Path, serve):
    cache = tmp_path / "cache"
    corpus = load_multi30k(cache_dir=str(cache), base_url=serve(MULTI30K))

    assert sorted(p.name for p in cache.iterdir()) == sorted(SHA256)  # no temporary files
    for name, expected in SHA256.items():
        assert hashlib.sha256((cache / name).read_bytes()).hexdigest() == expected
    assert corpus["train"][0]["translation"] == FIRST_TRAIN_PAIR

    # The cache is used as it is: nothing listens at this URL any more.
    again = load_multi30k(cache_dir=str(cache), base_url=f"http://127.0.0.1:{refused_port()}")
    assert again["validation"]["translation"] == corpus["validation"]["translation"]


@needs_multi30k
def test_download_with_a_wrong_checksum_keeps_nothing(tmp_path: Path, serve):
    bad = gzip.compress(b"Ein falscher Satz.\n" * 1_014)
    folder = mirror_with(tmp_path, **{"val.de.gz": bad})
    cache = tmp_path / "cache"

    with pytest.raises(DataError) as caught:
        load_multi30k(cache_dir=str(cache), base_url=serve(folder))
    message = str(caught.value)
    assert "val.de.gz" in message
    assert SHA256["val.de.gz"] in message
    assert hashlib.sha256(bad).hexdigest() in message
    # Neither the bad file nor its temporary file is left; the good downloads stay verified.
    left = {p.name for p in cache.iterdir()}
    assert "val.de.gz" not in left
    assert left <= set(SHA256)


@needs_multi30k
def test_a_corrupted_cache_file_is_reported(tmp_path: Path):
    cache = mirror_with(tmp_path)
    (cache / "train.de.gz").unlink()
    (cache / "train.de.gz").write_bytes(gzip.compress(b"kaputt\n"))
    with pytest.raises(DataError, match=r"train\.de\.gz has SHA-256 .*delete it"):
        load_multi30k(cache_dir=str(cache), base_url=f"http://127.0.0.1:{refused_port()}")


def test_refused_connection_names_the_url_and_the_mirror_option(tmp_path: Path):
    url = f"http://127.0.0.1:{refused_port()}/task1/raw"
    with pytest.raises(T5mtError) as caught:
        load_multi30k(cache_dir=str(tmp_path / "cache"), base_url=url)
    message = str(caught.value)
    assert not isinstance(caught.value, DataError)
    assert f"{url}/train.en.gz" in message
    assert "refused" in message.lower()
    assert "data.corpus.mirror=<dir>" in message
    assert list((tmp_path / "cache").iterdir()) == []


def test_http_error_names_the_url_and_status(tmp_path: Path, serve):
    (tmp_path / "empty").mkdir()
    base_url = serve(tmp_path / "empty")
    with pytest.raises(T5mtError, match=rf"{base_url}/train\.en\.gz: HTTP Error 404"):
        load_multi30k(cache_dir=str(tmp_path / "cache"), base_url=base_url)
    assert list((tmp_path / "cache").iterdir()) == []


def test_a_broken_download_leaves_no_partial_file(tmp_path: Path, serve):
    base_url = serve(tmp_path, TruncatingHandler)
    cache = tmp_path / "cache"
    with pytest.raises(T5mtError, match=rf"could not download {base_url}/train\.en\.gz") as caught:
        load_multi30k(cache_dir=str(cache), base_url=base_url)
    assert not isinstance(caught.value, DataError)
    assert "closed after 10 of 100000 bytes" in str(caught.value)
    assert list(cache.iterdir()) == []
