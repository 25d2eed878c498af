"""Prometheus metrics of one app: requests, latency, batches, inputs and generation speed.

In the server process (`python -m t5mt.serve` sets `PROMETHEUS_MULTIPROC_DIR` before
prometheus-client is imported) every worker writes its values to that folder and `/metrics`
answers the sum over all workers, whichever worker the scrape reaches.
"""

import os
from functools import partial
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from t5mt.serve.batcher import BatchReport

SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
LENGTH_BUCKETS = (5, 10, 20, 50, 100, 200, 500, 1000, 2000)
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


class ServeMetrics:
    """The metrics, in a registry of their own so that several apps can live in one process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        metric = partial(_metric, registry=self.registry)
        self.requests = metric(
            Counter,
            "requests",
            "HTTP requests by route, method and status code",
            labelnames=["route", "method", "status"],
        )
        self.latency = metric(
            Histogram,
            "request_latency_seconds",
            "Time from request to response",
            labelnames=["route"],
        )
        self.batch_sentences = metric(
            Histogram, "batch_sentences", "Sentences per model call", buckets=SIZE_BUCKETS
        )
        self.batch_requests = metric(
            Histogram,
            "batch_requests",
            "Requests gathered into one model call",
            buckets=SIZE_BUCKETS,
        )
        self.input_characters = metric(
            Histogram, "input_characters", "Characters per input sentence", buckets=LENGTH_BUCKETS
        )
        self.input_tokens = metric(
            Histogram, "input_tokens", "Tokens per input sentence", buckets=LENGTH_BUCKETS
        )
        self.generated_tokens = metric(Counter, "generated_tokens", "Tokens of the translations")
        self.generation_seconds = metric(Counter, "generation_seconds", "Seconds in model calls")
        self.tokens_per_second = metric(
            Gauge,
            "tokens_per_second",
            "Generated tokens per second of the last model call",
            multiprocess_mode="livemostrecent",
        )
        self.ready = metric(
            Gauge,
            "model_ready",
            "1 once the model is loaded (with several workers: one sample per worker)",
            multiprocess_mode="liveall",
        )
        self.dropped = metric(
            Counter,
            "dropped_requests",
            "Requests not translated: queue_full, deadline or disconnected (before their batch)",
            labelnames=["reason"],
        )

    def observe_batch(self, report: BatchReport, generated_tokens: int) -> None:
        """Record one model call."""
        self.batch_sentences.observe(len(report.translations))
        self.batch_requests.observe(report.requests)
        self.generated_tokens.inc(generated_tokens)
        self.generation_seconds.inc(report.seconds)
        if report.seconds > 0:
            self.tokens_per_second.set(generated_tokens / report.seconds)

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format: of all workers in the server process."""
        folder = os.environ.get(MULTIPROCESS_ENV)
        if folder is None:
            return generate_latest(self.registry)
        workers = CollectorRegistry()
        MultiProcessCollector(workers, path=folder)
        return generate_latest(workers)

    def close(self) -> None:
        """A worker that stops takes its gauges out of the sum; its counters stay."""
        if os.environ.get(MULTIPROCESS_ENV) is not None:
            mark_process_dead(os.getpid())


def _metric(kind: type, name: str, documentation: str, **options) -> Any:
    """A metric named t5mt_<name> in `options["registry"]`."""
    return kind(f"t5mt_{name}", documentation, **options)
