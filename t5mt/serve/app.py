"""The FastAPI app: `/translate`, `/health`, `/ready`, `/metrics`, a page at `/`, OpenAPI docs.

The model loads in a thread after start-up, so `/health` answers at once and `/ready` turns 200
when translation can begin. Every `/translate` request is counted in the metrics and appended to
the request log, including those that fail or are refused (401, 413, 503).
"""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib.resources import files
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Request, Response
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import AfterValidator
from starlette.exceptions import HTTPException

from t5mt.errors import ConfigError
from t5mt.inference import Translator
from t5mt.serve.guards import ApiKeys, BodyLimit
from t5mt.serve.responses import ERRORS, describe_invalid, error_response, internal_error
from t5mt.serve.schemas import (
    StatusResponse,
    TranslateResponse,
    check_text,
    translate_request_model,
)
from t5mt.serve.service import Service, load_translator
from t5mt.serve.settings import ServeSettings

PAGE = files("t5mt.serve").joinpath("page.html").read_text(encoding="utf-8")
# A client may ask for a shorter deadline than `limits.timeout_s`, never for a longer one.
TimeoutHeader = Annotated[
    float | None,
    Header(
        alias="X-Request-Timeout",
        gt=0,
        allow_inf_nan=False,
        description="seconds; capped by the server's limits.timeout_s",
    ),
]


@dataclass(frozen=True)
class Call:
    """What every /translate route takes besides its texts: the request and its deadline."""

    request: Request
    timeout: float | None


def translate_call(request: Request, timeout: TimeoutHeader = None) -> Call:
    """The FastAPI dependency of the /translate routes."""
    return Call(request, timeout)


TranslateCall = Annotated[Call, Depends(translate_call)]


def create_app(
    settings: ServeSettings, load: Callable[[ServeSettings], Translator] = load_translator
) -> FastAPI:
    """The app serving `settings.run`; `load` builds its translator (in a thread, at start-up)."""
    service = Service(settings, load)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        loading = asyncio.create_task(service.start())
        yield
        await loading
        await service.stop()

    app = FastAPI(
        title="t5mt translation service",
        summary=f"English→German translation with the t5mt model {settings.model_id}",
        lifespan=lifespan,
    )
    app.state.service = service
    text_param = Annotated[
        str, PathParam(max_length=settings.limits.max_characters), AfterValidator(check_text)
    ]
    request_model = translate_request_model(settings.limits)
    # added first, so inside count_and_log: what they refuse is counted and logged too
    app.add_middleware(BodyLimit, max_bytes=settings.limits.max_body_bytes)
    app.add_middleware(ApiKeys, digests=settings.api_key_hashes)

    @app.middleware("http")
    async def count_and_log(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request.state.started = time.perf_counter()
        response = await call_next(request)
        service.record(request, response, time.perf_counter() - request.state.started)
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        status, message, details = describe_invalid(error, request)
        request.state.log = {"error": message}
        return error_response(status, message, details)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> JSONResponse:
        response = error_response(error.status_code, str(error.detail))
        response.headers.update(error.headers or {})
        return response

    @app.exception_handler(Exception)
    async def unexpected(_: Request, error: Exception) -> JSONResponse:
        return internal_error("internal error", error)[0]

    def not_ready() -> JSONResponse | None:
        if service.load_error is not None:
            return error_response(503, f"the model failed to load: {service.load_error}")
        if service.translator is None:
            return error_response(503, "the model is still loading")
        return None

    @app.post("/translate", response_model=TranslateResponse, responses=ERRORS)
    async def translate(body: request_model, call: TranslateCall) -> Any:  # type: ignore[valid-type]
        """Translate English sentences to German, in input order."""
        return await translate_with(call, body.texts, body.model_dump())

    @app.get("/translate/{text:path}", response_model=TranslateResponse, responses=ERRORS)
    async def translate_one(text: text_param, call: TranslateCall) -> Any:  # type: ignore[valid-type]
        """Translate one English sentence given in the URL (URL-encoded)."""
        return await translate_with(call, [text], {})

    async def translate_with(call: Call, texts: list[str], requested: dict[str, Any]) -> Any:
        if (refused := not_ready()) is not None:
            return refused
        requested.pop("texts", None)
        try:
            decoding = service.decoding(requested)
        except ConfigError as error:  # fields valid one by one that do not work together
            call.request.state.log = {"error": str(error)}
            return error_response(422, f"invalid request: {error}")
        return await service.translate(call.request, texts, decoding, call.timeout)

    @app.get(
        "/health", response_model=StatusResponse, response_model_exclude_none=True, responses=ERRORS
    )
    async def health() -> Any:
        """Liveness: 200 while the process works, 503 if the model could not be loaded."""
        if service.load_error is not None:
            return error_response(503, f"the model failed to load: {service.load_error}")
        return StatusResponse(status="ok")

    @app.get("/ready", response_model=StatusResponse, responses=ERRORS)
    async def ready() -> Any:
        """Readiness: 200 once the model is loaded and translating."""
        return not_ready() or StatusResponse(status="ready", model=settings.model_id)

    @app.get("/metrics", response_class=Response)
    async def metrics() -> Response:
        """Prometheus metrics in the text exposition format."""
        return Response(service.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> str:
        return PAGE

    return app
