"""The server's state: the model, loaded in a thread, the batcher, the metrics and the log."""

import asyncio
import copy
import logging
import math
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from starlette.routing import Match
from transformers import PreTrainedTokenizerBase

from t5mt import inference
from t5mt.inference import Hypothesis, Translator
from t5mt.monitor.features import input_features
from t5mt.run_folder import now
from t5mt.serve.batcher import BatchReport, Decoding, Dropped, MicroBatcher
from t5mt.serve.metrics import ServeMetrics
from t5mt.serve.requestlog import RequestLog
from t5mt.serve.responses import error_response, internal_error
from t5mt.serve.schemas import TranslateResponse
from t5mt.serve.settings import ServeSettings

log = logging.getLogger(__name__)


def load_translator(settings: ServeSettings) -> Translator:
    """The model the server translates with: the one place that decides how it is built."""
    return inference.load_translator(
        settings.run, settings.ckpt, settings.device, settings.engine, settings.ct2_model
    )


class Service:
    """The loaded model, the batcher and what each request records: the app's state."""

    def __init__(
        self, settings: ServeSettings, load: Callable[[ServeSettings], Translator]
    ) -> None:
        self.settings = settings
        self.metrics = ServeMetrics()
        self.request_log = RequestLog(settings.request_log) if settings.request_log else None
        self._load = load
        self.translator: Translator | None = None
        self.tokenizer: PreTrainedTokenizerBase | None = None
        self.batcher: MicroBatcher | None = None
        self.load_error: str | None = None

    async def start(self) -> None:
        """Load the model in a thread, then start batching."""
        try:
            translator = await asyncio.to_thread(self._load, self.settings)
            # the event loop tokenizes (features, metrics) while the worker thread translates
            self.tokenizer = copy.deepcopy(translator.tokenizer)
            translator.decoding(**self._server_decoding())  # the server's own must work
        except Exception as error:
            log.exception("could not load the model from %s", self.settings.run)
            self.load_error = f"{error.__class__.__name__}: {error}"
            return
        batching = self.settings.batching
        self.batcher = MicroBatcher(
            self._translate_batch,
            max_sentences=batching.max_sentences,
            max_wait_ms=batching.max_wait_ms,
            enabled=batching.enabled,
            max_queued_sentences=self.settings.limits.max_queued_sentences,
            on_batch=self._observe_batch,
        )
        self.batcher.start()
        self.translator = translator
        self.metrics.ready.set(1)
        log.info("serving %s (%s)", self.settings.model_id, self.settings.run)

    async def stop(self) -> None:
        """Finish what is queued, then close the log and the metrics."""
        if self.batcher is not None:
            await self.batcher.close()
        if self.request_log is not None:
            self.request_log.close()
        self.metrics.close()

    def decoding(self, requested: dict[str, Any]) -> Decoding:
        """A request's decoding settings (its fields that are set), completed by the server's
        and then the run's own; ConfigError for a combination that cannot work."""
        assert self.translator is not None
        chosen = {key: value for key, value in requested.items() if value is not None}
        return self.translator.decoding(**{**self._server_decoding(), **chosen})

    def _server_decoding(self) -> dict[str, Any]:
        settings = self.settings
        return {
            "num_beams": settings.num_beams,
            "max_new_tokens": settings.max_new_tokens,
            "length_penalty": settings.length_penalty,
            **settings.options,
        }

    async def translate(
        self, request: Request, texts: list[str], decoding: Decoding, timeout_s: float | None
    ) -> TranslateResponse | JSONResponse:
        """Translate through the batcher within the request's deadline (`limits.timeout_s`, or
        `timeout_s` if shorter); a failure is a 500 whose error id is in the log."""
        features = input_features(texts, self.tokenizer)
        request.state.log = {"sentences": len(texts), **features.as_record()}
        if self.settings.log_text:
            request.state.log["texts"] = texts
        for characters, tokens in zip(features.characters, features.tokens, strict=True):
            self.metrics.input_characters.observe(characters)
            self.metrics.input_tokens.observe(tokens)
        assert self.batcher is not None
        timeout_s = min(timeout_s or math.inf, self.settings.limits.timeout_s)
        budget = timeout_s - (time.perf_counter() - request.state.started)
        try:
            translations = await self.batcher.submit(
                texts, decoding, max(budget, 0.0), _disconnected(request)
            )
        except Dropped as drop:
            return self._dropped(request, drop, timeout_s)
        except Exception as error:
            response, request.state.log["error_id"] = internal_error("translation failed", error)
            return response
        return TranslateResponse(
            translations=[found[0].text for found in translations],
            hypotheses=[[asdict(h) for h in found] for found in translations]
            if decoding.nbest > 1
            else None,
            model=self.settings.model_id,
            decoding=asdict(decoding),
            latency_ms=round((time.perf_counter() - request.state.started) * 1000, 2),
        )

    def _dropped(self, request: Request, drop: Dropped, timeout_s: float) -> JSONResponse:
        """503 with Retry-After for a request not started, 504 for one whose batch ran."""
        request.state.log["dropped"] = drop.reason
        if not drop.started:
            self.metrics.dropped.labels(drop.reason).inc()
        if drop.reason == "disconnected":  # nobody reads it: for the metrics and the log
            return error_response(499, "the client closed the connection")
        if drop.started:
            return error_response(504, f"the deadline ({timeout_s:g} s) passed during translation")
        if drop.reason == "queue_full":
            message = (
                f"the server is at capacity ({self.settings.limits.max_queued_sentences} "
                f"sentences queued): retry after {drop.retry_after} s"
            )
        else:
            message = f"the deadline ({timeout_s:g} s) passed before translation could start"
        response = error_response(503, message)
        response.headers["Retry-After"] = str(drop.retry_after)
        return response

    def record(self, request: Request, response: Response, seconds: float) -> None:
        """Count a request in the metrics and append it to the request log."""
        route = route_path(request)
        status = response.status_code
        self.metrics.requests.labels(route, request.method, str(status)).inc()
        self.metrics.latency.labels(route).observe(seconds)
        if self.request_log is not None and route.startswith("/translate"):
            self.request_log.append(
                {
                    "time": now(),
                    "route": f"{request.method} {route}",
                    "status": status,
                    "latency_ms": round(seconds * 1000, 2),
                    **getattr(request.state, "log", {}),
                }
            )

    def _translate_batch(self, texts: list[str], decoding: Decoding) -> list[list[Hypothesis]]:
        assert self.translator is not None
        return self.translator.hypotheses(
            texts,
            batch_size=self.settings.batch_size,
            batch_tokens=self.settings.batch_tokens,
            **asdict(decoding),
        )

    def _observe_batch(self, report: BatchReport) -> None:
        best = [found[0].text for found in report.translations]
        encoded = self.tokenizer(best, add_special_tokens=False)["input_ids"]
        self.metrics.observe_batch(report, sum(len(ids) for ids in encoded))


async def _disconnected(request: Request) -> None:
    """Returns once the client has closed the connection (its body is read by then)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


def route_path(request: Request) -> str:
    """The route a request was for, also when it was answered before routing (401, 413)."""
    route = request.scope.get("route") or next(
        (r for r in request.app.router.routes if r.matches(request.scope)[0] == Match.FULL), None
    )
    return getattr(route, "path", "unmatched")
