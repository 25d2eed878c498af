"""Dynamic micro-batching: concurrent requests are gathered and translated as one batch.

A batch starts when it holds `max_sentences` sentences or `max_wait_ms` after its first request
arrived. The model runs in one worker thread, off the event loop, one batch at a time; requests
that arrive meanwhile form the next batch. Requests with different decoding settings share a
gathering window but are translated in separate model calls.
"""

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Decoding:
    """How a request wants its sentences decoded."""

    num_beams: int
    max_new_tokens: int
    length_penalty: float


@dataclass(frozen=True)
class BatchReport:
    """One model call: what it translated and how long it took."""

    requests: int
    translations: list[str]
    seconds: float


TranslateFn = Callable[[list[str], Decoding], list[str]]


@dataclass
class _Job:
    texts: list[str]
    decoding: Decoding
    future: asyncio.Future[list[str]] = field(repr=False)


class MicroBatcher:
    """Gathers `submit` calls into batches for `translate`; `close` drains what is queued."""

    def __init__(
        self,
        translate: TranslateFn,
        max_sentences: int = 64,
        max_wait_ms: float = 10.0,
        enabled: bool = True,
        on_batch: Callable[[BatchReport], None] | None = None,
    ) -> None:
        self._translate = translate
        self._max_sentences = max_sentences if enabled else 1
        self._max_wait = max_wait_ms / 1000 if enabled else 0.0
        self._on_batch = on_batch
        self._queue: asyncio.Queue[_Job | None] = asyncio.Queue()
        # one thread: batches run one after another, and the model is never used concurrently
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="translate")
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def start(self) -> None:
        """Start gathering; call from within the running event loop."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def submit(self, texts: list[str], decoding: Decoding) -> list[str]:
        """Translations of `texts`, once the batch holding them has run."""
        if self._task is None or self._closing:
            raise RuntimeError("the batcher is not running")
        future: asyncio.Future[list[str]] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Job(texts, decoding, future))
        return await future

    async def close(self) -> None:
        """Translate every queued request, then stop the worker thread."""
        self._closing = True
        if self._task is not None:
            self._queue.put_nowait(None)
            await self._task
        self._executor.shutdown(wait=True)

    async def _run(self) -> None:
        closing = False
        while not closing:
            first = await self._queue.get()
            if first is None:
                break
            jobs, closing = await self._gather(first)
            for group in _by_decoding(jobs):
                await self._translate_group(group)

    async def _gather(self, first: _Job) -> tuple[list[_Job], bool]:
        """Jobs for one batch, and whether `close` was called meanwhile."""
        jobs, sentences = [first], len(first.texts)
        deadline = time.monotonic() + self._max_wait
        while sentences < self._max_sentences:
            try:
                job = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    job = await asyncio.wait_for(self._queue.get(), remaining)
                except TimeoutError:
                    break
            if job is None:
                return jobs, True
            jobs.append(job)
            sentences += len(job.texts)
        return jobs, False

    async def _translate_group(self, jobs: list[_Job]) -> None:
        texts = [text for job in jobs for text in job.texts]
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        try:
            translations = await loop.run_in_executor(
                self._executor, self._translate, texts, jobs[0].decoding
            )
        except Exception as error:  # every waiting request learns of the failure
            for job in jobs:
                if not job.future.done():
                    job.future.set_exception(error)
            return
        if self._on_batch is not None:
            self._on_batch(BatchReport(len(jobs), translations, time.perf_counter() - started))
        start = 0
        for job in jobs:
            if not job.future.done():  # a client that went away cancelled its future
                job.future.set_result(translations[start : start + len(job.texts)])
            start += len(job.texts)


def _by_decoding(jobs: list[_Job]) -> list[list[_Job]]:
    """Jobs grouped by decoding settings, in order of first arrival."""
    groups: dict[Decoding, list[_Job]] = {}
    for job in jobs:
        groups.setdefault(job.decoding, []).append(job)
    return list(groups.values())
