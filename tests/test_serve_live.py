"""`python -m t5mt.serve` as a real uvicorn process on loopback; its page in headless Chromium."""

import importlib.util
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from t5mt.serve.process import ServerProcess
from tests.conftest import CHROMIUM, CHROMIUM_FLAGS, run_module

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(debug_run: Path, tmp_path_factory) -> Iterator[ServerProcess]:
    with ServerProcess(debug_run, tmp_path_factory.mktemp("server")) as server:
        yield server


def test_ready_translate_and_metrics(server: ServerProcess) -> None:
    assert httpx.get(f"{server.url}/health").json() == {"status": "ok"}
    ready = httpx.get(f"{server.url}/ready").json()
    assert ready["status"] == "ready" and ready["model"].endswith("/run")
    posted = httpx.post(f"{server.url}/translate", json={"texts": ["The dog sleeps.", "I read."]})
    assert posted.status_code == 200 and len(posted.json()["translations"]) == 2
    got = httpx.get(f"{server.url}/translate/The%20dog%20sleeps.")
    assert got.json()["translations"] == posted.json()["translations"][:1]
    metrics = httpx.get(f"{server.url}/metrics").text
    assert 't5mt_requests_total{method="POST",route="/translate",status="200"} 1.0' in metrics
    assert "t5mt_batch_sentences_count" in metrics


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}")
@pytest.mark.skipif(
    importlib.util.find_spec("playwright") is None, reason="playwright is not installed"
)
def test_page_translates_in_headless_chromium(server: ServerProcess, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    sentences = ["The dog sleeps.", "We help the children."]
    expected = httpx.post(f"{server.url}/translate", json={"texts": sentences}).json()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS
        )
        try:
            page = browser.new_page()
            page.goto(server.url)
            page.fill("#source", "\n".join(sentences) + "\n\n")
            page.click("#translate")
            page.wait_for_function("document.getElementById('status').textContent.endsWith('ms')")
            assert page.text_content("#status").startswith(expected["model"])
            assert page.text_content("#target") == "\n".join(expected["translations"])
            page.screenshot(path=str(tmp_path / "page.png"))

            page.fill("#source", "x" * 1001)
            page.click("#translate")
            page.wait_for_selector("#status.error")
            assert "at most 1000 characters" in page.text_content("#status")
        finally:
            browser.close()


def test_sigterm_lets_the_request_in_flight_finish(debug_run: Path, tmp_path: Path) -> None:
    # a 3-second gathering window keeps the request in flight while the signal arrives
    log = tmp_path / "requests.jsonl"
    with ServerProcess(
        debug_run, tmp_path, "batching.max_wait_ms=3000", f"request_log={log}"
    ) as server:
        answer: list[httpx.Response] = []
        request = threading.Thread(
            target=lambda: answer.append(
                httpx.post(
                    f"{server.url}/translate", json={"texts": ["The dog sleeps."]}, timeout=60
                )
            )
        )
        request.start()
        deadline = time.monotonic() + 30
        while "t5mt_input_characters_count 1.0" not in httpx.get(f"{server.url}/metrics").text:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        # uvicorn shuts down cleanly, then re-raises the signal it caught
        assert server.stop() == -signal.SIGTERM
        request.join(60)
        assert answer[0].status_code == 200 and len(answer[0].json()["translations"]) == 1
        assert "Application shutdown complete" in server.output.read_text()
        assert '"status": 200' in log.read_text()


def test_a_folder_that_is_no_run_is_an_error_before_serving(tmp_path: Path) -> None:
    result = run_module("t5mt.serve", f"run={tmp_path}", cwd=tmp_path, timeout=120)
    assert result.returncode == 2
    assert "error: " in result.stderr and "is not a t5mt run folder" in result.stderr
    assert "Traceback" not in result.stderr
