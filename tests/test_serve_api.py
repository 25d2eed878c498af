"""The HTTP contract of the server, and every kind of bad input, through FastAPI's TestClient."""

import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from t5mt.inference import Translator
from t5mt.serve.app import create_app
from t5mt.serve.settings import Batching, Limits, ServeSettings

LIMITS = Limits(max_sentences=4, max_characters=50, max_num_beams=2, max_new_tokens=8, max_nbest=2)
# the decoding options of a request that sets none of them
PLAIN = {
    "length_penalty": 1.0,
    "nbest": 1,
    "no_repeat_ngram_size": 0,
    "repetition_penalty": 1.0,
    "do_sample": False,
    "top_k": 0,
    "top_p": 1.0,
    "temperature": 1.0,
    "seed": None,
}


def settings(tmp_path: Path, **changes) -> ServeSettings:
    defaults = {"batching": Batching(max_wait_ms=5), "limits": LIMITS}
    return ServeSettings(
        run="unused: the tests hand the app its translator",
        model_id="tests/tiny",
        request_log=str(tmp_path / "requests.jsonl"),
        **{**defaults, **changes},
    )


def wait_ready(client: TestClient) -> None:
    deadline = time.monotonic() + 30
    while client.get("/ready").status_code != 200:
        assert time.monotonic() < deadline, client.get("/ready").json()
        time.sleep(0.01)


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    """Start an app around a loader; the client is ready (or failed) when returned."""
    clients: list[TestClient] = []

    def start(load: Callable[[ServeSettings], Translator], **changes) -> TestClient:
        client = TestClient(create_app(settings(tmp_path, **changes), load))
        clients.append(client.__enter__())
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client, tiny_translator: Translator) -> TestClient:
    client = make_client(lambda _: tiny_translator)
    wait_ready(client)
    return client


def request_log(tmp_path: Path) -> list[dict]:
    lines = (tmp_path / "requests.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_translate_keeps_order_and_names_model_and_decoding(
    client: TestClient, tiny_translator: Translator
) -> None:
    texts = ["The dog sleeps.", "We help the children in the garden.", "I read."]
    response = client.post("/translate", json={"texts": texts})
    assert response.status_code == 200
    body = response.json()
    assert body["translations"] == [tiny_translator.translate([t])[0] for t in texts]
    assert body["model"] == "tests/tiny"
    assert body["decoding"] == {"num_beams": 1, "max_new_tokens": 8, **PLAIN}
    assert body["hypotheses"] is None
    assert body["latency_ms"] > 0


def test_decoding_settings_within_limits_are_applied(
    client: TestClient, tiny_translator: Translator
) -> None:
    body = {"texts": ["The dog sleeps."], "num_beams": 2, "max_new_tokens": 3}
    response = client.post("/translate", json={**body, "length_penalty": 0.5})
    assert response.status_code == 200
    assert response.json()["decoding"] == {
        "num_beams": 2,
        "max_new_tokens": 3,
        **PLAIN,
        "length_penalty": 0.5,
    }
    assert response.json()["translations"] == tiny_translator.translate(
        body["texts"], num_beams=2, max_new_tokens=3, length_penalty=0.5
    )


def test_nbest_and_sampling_requests_return_scored_hypotheses(
    client: TestClient, tiny_translator: Translator
) -> None:
    texts = ["The dog sleeps.", "I read."]
    body = client.post("/translate", json={"texts": texts, "num_beams": 2, "nbest": 2}).json()
    expected = tiny_translator.hypotheses(texts, num_beams=2, nbest=2)
    assert body["hypotheses"] == [[asdict(h) for h in found] for found in expected]
    assert body["translations"] == [found[0].text for found in expected]
    sampling = {"texts": texts, "do_sample": True, "top_k": 20, "seed": 7, "nbest": 2}
    sampled = client.post("/translate", json=sampling).json()
    assert sampled["decoding"]["seed"] == 7 and len(sampled["hypotheses"][0]) == 2
    assert sampled == {
        **client.post("/translate", json=sampling).json(),
        "latency_ms": sampled["latency_ms"],
    }


def test_get_translates_one_sentence_from_the_url(client: TestClient) -> None:
    posted = client.post("/translate", json={"texts": ["Cats and/or dogs sleep."]}).json()
    response = client.get("/translate/Cats%20and%2For%20dogs%20sleep.")
    assert response.status_code == 200
    assert response.json()["translations"] == posted["translations"]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ('{"texts": ["a",', 400, "invalid JSON at character"),
        ("[1, 2]", 422, "body: Input should be a valid dictionary"),
        ("{}", 422, "texts: Field required"),
        ('{"texts": []}', 422, "texts: List should have at least 1 item"),
        ('{"texts": "one string"}', 422, "texts: Input should be a valid list"),
        ('{"texts": [""]}', 422, "texts.0: text is empty or only whitespace"),
        ('{"texts": ["ok", " \\t "]}', 422, "texts.1: text is empty or only whitespace"),
        ('{"texts": ["ok", 3]}', 422, "texts.1: Input should be a valid string"),
        ('{"texts": ["ok", null]}', 422, "texts.1: Input should be a valid string"),
        ('{"texts": ["a", "b", "c", "d", "e"]}', 422, "texts: List should have at most 4 items"),
        ('{"texts": ["' + "x" * 51 + '"]}', 422, "texts.0: String should have at most 50"),
        ('{"texts": ["\\ud800"]}', 422, "texts.0: Input should be a valid string"),
        ('{"texts": ["ok"], "num_beams": 3}', 422, "num_beams: Input should be less than"),
        ('{"texts": ["ok"], "max_new_tokens": 0}', 422, "max_new_tokens: Input should be"),
        ('{"texts": ["ok"], "length_penalty": NaN}', 422, "length_penalty: Input should be"),
        ('{"texts": ["ok"], "text": "typo"}', 422, "text: Extra inputs are not permitted"),
        ('{"texts": ["ok"], "nbest": 3}', 422, "nbest: Input should be less than or equal to 2"),
        ('{"texts": ["ok"], "nbest": 2}', 422, "nbest=2 needs num_beams=2 or more (it is 1)"),
        ('{"texts": ["ok"], "top_p": 0.5}', 422, "top_p need do_sample=true"),
        ('{"texts": ["ok"], "temperature": 9}', 422, "temperature: Input should be less than"),
    ],
)
def test_bad_input_is_a_4xx_with_a_clear_json_error(
    client: TestClient, body: str, status: int, message: str
) -> None:
    response = client.post("/translate", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == status, response.text
    assert response.json()["error"].startswith(("invalid JSON", "invalid request"))
    assert message in response.json()["error"]


def test_a_body_sent_without_json_content_type_says_what_to_send(client: TestClient) -> None:
    response = client.post("/translate", content='{"texts": ["ok"]}')
    assert response.status_code == 422
    assert "Content-Type: application/json" in response.json()["error"]


@pytest.mark.parametrize(
    ("path", "message"),
    [("/translate/%20%20", "text: text is empty"), ("/translate/" + "x" * 51, "at most 50")],
)
def test_bad_url_text_is_a_422(client: TestClient, path: str, message: str) -> None:
    response = client.get(path)
    assert response.status_code == 422
    assert message in response.json()["error"]


def test_unknown_paths_and_methods_answer_json(client: TestClient) -> None:
    assert client.get("/nowhere").json() == {"error": "Not Found", "details": []}
    wrong_method = client.get("/translate")
    assert wrong_method.status_code == 405 and wrong_method.headers["allow"] == "POST"


def test_generation_failure_is_a_500_with_a_logged_error_id(
    make_client, tiny_translator: Translator, tmp_path: Path, caplog
) -> None:
    class OutOfMemory(Translator):
        def hypotheses(self, *args, **kwargs) -> list:
            raise RuntimeError("CUDA out of memory")

    failing = OutOfMemory(tiny_translator.engine, tiny_translator.tokenizer)
    client = make_client(lambda _: failing)
    wait_ready(client)
    with caplog.at_level(logging.ERROR):
        response = client.post("/translate", json={"texts": ["The dog sleeps."]})
    assert response.status_code == 500
    error_id = response.json()["error_id"]
    assert response.json()["error"] == "translation failed" and len(error_id) == 12
    assert f"error id {error_id}" in caplog.text and "CUDA out of memory" in caplog.text
    assert request_log(tmp_path)[-1]["error_id"] == error_id


def test_health_answers_while_loading_and_ready_waits_for_the_model(
    make_client, tiny_translator: Translator
) -> None:
    loaded = threading.Event()

    def slow_load(_: ServeSettings) -> Translator:
        assert loaded.wait(30)
        return tiny_translator

    client = make_client(slow_load)
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").status_code == 503
    loading = client.post("/translate", json={"texts": ["The dog sleeps."]})
    assert loading.status_code == 503 and loading.json()["error"] == "the model is still loading"
    loaded.set()
    wait_ready(client)
    assert client.get("/ready").json() == {"status": "ready", "model": "tests/tiny"}


def test_a_model_that_fails_to_load_fails_liveness(make_client) -> None:
    def broken(_: ServeSettings) -> Translator:
        raise FileNotFoundError("checkpoints/best.ckpt")

    client = make_client(broken)
    deadline = time.monotonic() + 30
    while client.get("/health").status_code == 200:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert "FileNotFoundError: checkpoints/best.ckpt" in client.get("/health").json()["error"]
    assert client.get("/ready").status_code == 503


def test_the_servers_own_decoding_options_apply_and_must_work(
    make_client, tiny_translator: Translator
) -> None:
    client = make_client(lambda _: tiny_translator, num_beams=2, options={"nbest": 2})
    wait_ready(client)
    body = client.post("/translate", json={"texts": ["I read."]}).json()
    assert body["decoding"]["nbest"] == 2 and len(body["hypotheses"][0]) == 2
    broken = make_client(lambda _: tiny_translator, options={"nbest": 2})
    deadline = time.monotonic() + 30
    while broken.get("/health").status_code == 200:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert "nbest=2 needs num_beams=2 or more" in broken.get("/health").json()["error"]


def test_metrics_count_requests_batches_inputs_and_tokens(client: TestClient) -> None:
    client.post("/translate", json={"texts": ["The dog sleeps.", "I read."]})
    client.post("/translate", json={"texts": []})
    metrics = client.get("/metrics").text
    assert 't5mt_requests_total{method="POST",route="/translate",status="200"} 1.0' in metrics
    assert 't5mt_requests_total{method="POST",route="/translate",status="422"} 1.0' in metrics
    assert 't5mt_request_latency_seconds_count{route="/translate"} 2.0' in metrics
    assert "t5mt_batch_sentences_sum 2.0" in metrics
    assert "t5mt_input_characters_sum 22.0" in metrics
    assert "t5mt_model_ready 1.0" in metrics
    assert "t5mt_tokens_per_second " in metrics and "t5mt_generated_tokens_total " in metrics


def test_request_log_has_lengths_and_latency_but_no_text(
    client: TestClient, tmp_path: Path
) -> None:
    client.post("/translate", json={"texts": ["The dog sleeps.", "Ça va?"]})
    client.post("/translate", json={"texts": [""]})
    ok, bad = request_log(tmp_path)
    assert ok["route"] == "POST /translate" and ok["status"] == 200 and ok["latency_ms"] > 0
    assert ok["sentences"] == 2 and ok["characters"] == [15, 6] and len(ok["tokens"]) == 2
    assert ok["charset"]["latin_letter"] == 1  # the Ç
    assert "texts" not in ok
    assert bad["status"] == 422 and "empty" in bad["error"]


def test_log_text_adds_the_sentences(make_client, tiny_translator, tmp_path: Path) -> None:
    client = make_client(lambda _: tiny_translator, log_text=True)
    wait_ready(client)
    client.get("/translate/The%20dog%20sleeps.")
    assert request_log(tmp_path)[-1]["texts"] == ["The dog sleeps."]


def test_openapi_documents_the_limits(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/translate", "/translate/{text}", "/health", "/ready", "/metrics"} <= set(
        spec["paths"]
    )
    request = next(
        schema
        for name, schema in spec["components"]["schemas"].items()
        if name.startswith("TranslateRequest")
    )
    assert request["properties"]["texts"]["maxItems"] == LIMITS.max_sentences
    assert request["properties"]["nbest"]["anyOf"][0]["maximum"] == LIMITS.max_nbest
    assert client.get("/docs").status_code == 200


def test_page_posts_to_translate(client: TestClient) -> None:
    page = client.get("/")
    assert page.headers["content-type"].startswith("text/html")
    assert 'fetch("translate"' in page.text and "<textarea" in page.text
    # with keys set, a 401 shows the key field and the key goes with every request
    assert 'id="key" type="password"' in page.text and "response.status === 401" in page.text
    assert "headers.Authorization = `Bearer ${key.value}`" in page.text


@pytest.mark.slow  # two fresh Python processes import torch and transformers
def test_only_the_server_process_turns_the_hub_off(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    offline = "import os, {} as _, huggingface_hub.constants as c; print(c.HF_HUB_OFFLINE, {})"
    probes = {
        # python -m t5mt.serve: offline before huggingface_hub reads the flag
        offline.format("t5mt.serve.__main__", "os.environ['HF_HUB_OFFLINE']"): "True 1",
        # a test or another program importing the app: the environment is left alone; then
        # the uvicorn workers' entry turns the Hub off for its process
        offline.format("t5mt.serve.app", "os.environ.get('HF_HUB_OFFLINE')")
        + "; import t5mt.serve.worker; print(os.environ['HF_HUB_OFFLINE'])": "False None\n1",
    }
    running = {  # in parallel: each pays for importing torch and transformers
        probe: subprocess.Popen(
            [sys.executable, "-c", probe],
            env=environment,
            cwd=tmp_path,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for probe in probes
    }
    for probe, process in running.items():
        stdout, stderr = process.communicate(timeout=120)
        assert stdout.strip() == probes[probe], stderr


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan"])
def test_a_bad_timeout_header_is_a_422_naming_it(client: TestClient, value: str) -> None:
    response = client.post(
        "/translate", json={"texts": ["I read."]}, headers={"X-Request-Timeout": value}
    )
    assert response.status_code == 422
    assert response.json()["error"].startswith("invalid request: X-Request-Timeout: ")


def test_a_body_over_the_limit_is_a_413_before_it_is_parsed(make_client, tiny_translator) -> None:
    client = make_client(lambda _: tiny_translator, limits=replace(LIMITS, max_body_bytes=100))
    wait_ready(client)
    broken = b'{"texts": [' + b"x" * 200  # not JSON: a parsed body would be a 400

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while reading
        yield from (broken[:50], broken[50:])

    for body in (broken, chunks()):
        response = client.post(
            "/translate", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 413
        assert response.json()["error"] == "the request body is over 100 bytes"
    assert client.post("/translate", json={"texts": ["I read."]}).status_code == 200
    metrics = client.get("/metrics").text
    assert 't5mt_requests_total{method="POST",route="/translate",status="413"} 2.0' in metrics
