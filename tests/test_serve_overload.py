"""A real uvicorn process under overload and on an open port: shedding, deadlines, disconnects,
API keys, the body limit, and /metrics over two workers. Loopback only."""

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from t5mt.serve.auth import digest
from t5mt.serve.process import ServerProcess

pytestmark = pytest.mark.slow

KEY = "test-key-4f1c2a"
AUTH = {"Authorization": f"Bearer {KEY}"}
# 64 sentences (one full batch) of 256 tokens: seconds of work for the untrained model on any
# CPU. Sampled hot, because greedy search may stop at once where the model says </s> first.
LONG = {
    "texts": [f"The dog {i} sleeps in the garden." for i in range(64)],
    "max_new_tokens": 256,
    "num_beams": 2,
    "do_sample": True,
    "temperature": 2.0,
    "seed": 0,
}


def samples(server: ServerProcess, name: str, **labels: str) -> list[float]:
    """The values of the samples of `name` whose labels include `labels`."""
    text = httpx.get(f"{server.url}/metrics").text
    return [
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    ]


def value(server: ServerProcess, name: str, **labels: str) -> float:
    return sum(samples(server, name, **labels))


def wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def busy(debug_run: Path, tmp_path_factory) -> Iterator[ServerProcess]:
    """One worker with room for 64 queued sentences."""
    folder = tmp_path_factory.mktemp("busy")
    with ServerProcess(debug_run, folder, "limits.max_queued_sentences=64") as server:
        yield server


@pytest.fixture(scope="module")
def guarded(debug_run: Path, tmp_path_factory) -> Iterator[ServerProcess]:
    """Two workers, API keys on, a 10 kB body limit."""
    overrides = (f"auth.api_key_hashes={digest(KEY)}", "limits.max_body_bytes=10000")
    folder = tmp_path_factory.mktemp("guarded")
    with ServerProcess(debug_run, folder, "workers=2", *overrides) as server:
        # both workers loaded: /ready only said that one was
        wait_for(lambda: samples(server, "t5mt_model_ready") == [1.0, 1.0], timeout=120)
        yield server


async def behind_a_long_batch(server: ServerProcess, *requests: dict) -> tuple:
    """The answer to LONG, then (answer, seconds) of each request sent while its batch runs."""

    async def timed(http: httpx.AsyncClient, request: dict) -> tuple[httpx.Response, float]:
        started = time.monotonic()
        return await http.post("/translate", **request), time.monotonic() - started

    async with httpx.AsyncClient(base_url=server.url, timeout=120) as http:
        long = asyncio.ensure_future(http.post("/translate", json=LONG))
        await asyncio.sleep(0.5)
        answers = await asyncio.gather(*(timed(http, request) for request in requests))
        return await long, *answers


def test_a_burst_beyond_the_queue_bound_is_shed_at_once(busy: ServerProcess) -> None:
    burst = [{"json": {"texts": [f"I read {i}."] * 16}} for i in range(10)]
    long, *answers = asyncio.run(behind_a_long_batch(busy, *burst))
    translated = [a for a, _ in answers if a.status_code == 200]
    shed = [(a, seconds) for a, seconds in answers if a.status_code == 503]
    assert (len(translated), len(shed)) == (4, 6), [a.status_code for a, _ in answers]
    for answer, seconds in shed:
        assert seconds < 1.5  # at once, while the long batch still runs
        assert int(answer.headers["Retry-After"]) >= 1
        assert answer.json()["error"].startswith("the server is at capacity (64 sentences queued)")
    assert long.status_code == 200
    assert all(len(a.json()["translations"]) == 16 for a in translated)
    assert value(busy, "t5mt_dropped_requests_total", reason="queue_full") == 6
    # and right after, it answers as usual
    assert httpx.post(f"{busy.url}/translate", json={"texts": ["I read."]}).status_code == 200


def test_a_short_deadline_behind_a_long_batch_is_a_503_untranslated(busy: ServerProcess) -> None:
    translated = value(busy, "t5mt_batch_sentences_sum")
    short = {"json": {"texts": ["I read."]}, "headers": {"X-Request-Timeout": "1"}}
    long, (answer, seconds) = asyncio.run(behind_a_long_batch(busy, short))
    assert answer.status_code == 503 and 1 <= seconds < 3, (answer.text, seconds)
    assert answer.json()["error"] == "the deadline (1 s) passed before translation could start"
    assert int(answer.headers["Retry-After"]) >= 1
    assert long.status_code == 200 and len(long.json()["translations"]) == 64
    assert value(busy, "t5mt_batch_sentences_sum") == translated + 64
    assert value(busy, "t5mt_dropped_requests_total", reason="deadline") == 1


def test_a_client_that_disconnects_is_not_translated(busy: ServerProcess) -> None:
    translated = value(busy, "t5mt_batch_sentences_sum")
    with ThreadPoolExecutor(1) as pool:
        long = pool.submit(httpx.post, f"{busy.url}/translate", json=LONG, timeout=120)
        time.sleep(0.5)  # the long batch is running; this client gives up while it waits
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{busy.url}/translate", json={"texts": ["I leave."]}, timeout=0.5)
        wait_for(lambda: value(busy, "t5mt_dropped_requests_total", reason="disconnected") == 1)
        assert long.result().status_code == 200
    assert value(busy, "t5mt_batch_sentences_sum") == translated + 64  # the long batch only


def test_with_keys_every_route_but_the_probes_needs_the_key(guarded: ServerProcess) -> None:
    body = {"texts": ["The dog sleeps."]}
    for headers, error in [
        ({}, "an API key is needed: Authorization: Bearer <key>"),
        ({"Authorization": f"Bearer {KEY}x"}, "the API key is not valid"),
        ({"Authorization": KEY}, "an API key is needed: Authorization: Bearer <key>"),
    ]:
        refused = httpx.post(f"{guarded.url}/translate", json=body, headers=headers)
        assert refused.status_code == 401 and refused.json()["error"] == error
        assert refused.headers["WWW-Authenticate"] == "Bearer"
    for path in ("/translate/The%20dog%20sleeps.", "/docs", "/openapi.json"):
        assert httpx.get(f"{guarded.url}{path}").status_code == 401
    for path in ("/health", "/ready", "/metrics", "/"):
        assert httpx.get(f"{guarded.url}{path}").status_code == 200
    assert httpx.post(f"{guarded.url}/translate", json=body, headers=AUTH).status_code == 200
    assert value(guarded, "t5mt_requests_total", route="/translate", status="401") == 3
    assert KEY not in guarded.output.read_text()  # nor in the server's log


def test_a_body_over_the_limit_is_a_413_without_being_parsed(guarded: ServerProcess) -> None:
    auth = {**AUTH, "Content-Type": "application/json"}
    broken = b'{"texts": ["' + b"x" * 20_000  # not JSON: parsed, it would be a 400

    def chunked() -> Iterator[bytes]:  # no Content-Length: the limit applies while reading
        for start in range(0, len(broken), 4096):
            yield broken[start : start + 4096]

    for content in (broken, chunked()):
        answer = httpx.post(f"{guarded.url}/translate", content=content, headers=auth)
        assert answer.status_code == 413
        assert answer.json()["error"] == "the request body is over 10000 bytes"
    small = httpx.post(f"{guarded.url}/translate", content=broken[:9000], headers=auth)
    assert small.status_code == 400  # under the limit, it is parsed


def test_metrics_count_the_requests_of_both_workers(guarded: ServerProcess) -> None:
    counted = value(guarded, "t5mt_requests_total", route="/translate", status="200")

    async def requests() -> list[int]:
        async def one(i: int) -> int:  # a connection each: the kernel spreads them
            async with httpx.AsyncClient(timeout=60, headers=AUTH) as http:
                body = {"texts": [f"I read {i}."]}
                return (await http.post(f"{guarded.url}/translate", json=body)).status_code

        return await asyncio.gather(*(one(i) for i in range(20)))

    assert asyncio.run(requests()) == [200] * 20
    for _ in range(6):  # whichever worker answers the scrape
        total = value(guarded, "t5mt_requests_total", route="/translate", status="200")
        assert total == counted + 20
