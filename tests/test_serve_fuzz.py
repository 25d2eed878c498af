"""Property-based fuzzing of `/translate`: whatever a client sends, the answer is never a 5xx."""

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from t5mt.inference import Translator
from t5mt.serve.app import create_app
from t5mt.serve.settings import Batching, Limits, ServeSettings

LIMITS = Limits(max_sentences=3, max_characters=40, max_num_beams=2, max_new_tokens=4)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)
# every kind of character, lone surrogates included (JSON can carry them as \ud800)
texts = st.text(st.characters(exclude_categories=()), max_size=50)
near_valid_bodies = st.fixed_dictionaries(
    {"texts": st.lists(texts | json_values, max_size=5)},
    optional={
        "num_beams": st.integers(-2, 4) | json_values,
        "max_new_tokens": st.integers(-2, 6) | json_values,
        "length_penalty": st.floats() | json_values,
        "extra": json_values,
    },
)


@pytest.fixture(scope="module")
def client(tiny_translator: Translator, tmp_path_factory) -> TestClient:
    service_settings = ServeSettings(
        run="unused",
        model_id="fuzz",
        batching=Batching(max_wait_ms=0),
        limits=LIMITS,
        request_log=str(tmp_path_factory.mktemp("fuzz") / "requests.jsonl"),
        log_text=True,
    )
    with TestClient(create_app(service_settings, lambda _: tiny_translator)) as client:
        while client.get("/ready").status_code != 200:
            pass
        yield client


def check(client: TestClient, content: bytes) -> None:
    response = client.post(
        "/translate", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code < 500, response.text
    body = response.json()
    if response.status_code == 200:
        sent = json.loads(content)
        assert len(body["translations"]) == len(sent["texts"])
    else:
        assert body["error"]


@pytest.mark.slow
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=near_valid_bodies)
def test_schema_shaped_bodies_never_fail_the_server(client: TestClient, body: dict) -> None:
    check(client, json.dumps(body).encode())


@settings(max_examples=100, deadline=None)
@given(body=json_values.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=40))
def test_arbitrary_json_and_bytes_never_fail_the_server(client: TestClient, body: bytes) -> None:
    check(client, body)


def test_the_log_is_valid_json_lines_after_fuzzing(client: TestClient) -> None:
    client.post("/translate", json={"texts": ["Zoë's 🐕 sleeps."]})
    log = Path(client.app.state.service.request_log.path)
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert records[-1]["texts"] == ["Zoë's 🐕 sleeps."]
