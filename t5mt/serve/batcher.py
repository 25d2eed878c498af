"""Dynamic micro-batching: concurrent requests are gathered and translated as one batch.

A batch starts when it holds `max_sentences` sentences or `max_wait_ms` after its first request
arrived. The model runs in one worker thread, off the event loop, one batch at a time; requests
that arrive meanwhile form the next batch. Requests with different decoding settings share a
gathering window but are translated in separate model calls.

The batcher sheds load rather than queueing without bound: beyond `max_queued_sentences` waiting
sentences a request is refused at once; a request whose deadline passes, or that could not
finish by it at the speed of the last model call with its decoding settings, is dropped before
its batch starts; a request whose client went away is dropped from its batch. A request dropped
after its batch started does not stop the batch: the others get their translations.
"""

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from t5mt.inference import Decoding, Hypothesis


@dataclass(frozen=True)
class BatchReport:
    """One model call: what it translated and how long it took."""

    requests: int
    # per sentence, its hypotheses best first
    translations: list[list[Hypothesis]]
    seconds: float


TranslateFn = Callable[[list[str], Decoding], list[list[Hypothesis]]]


class Dropped(Exception):
    """A request the batcher gave up on: `reason` is queue_full, deadline or disconnected."""

    def __init__(self, reason: str, started: bool, retry_after: int) -> None:
        super().__init__(reason)
        self.reason = reason
        # whether its batch had started (then it was translated, for nobody)
        self.started = started
        # seconds until the queue has likely room again
        self.retry_after = retry_after


@dataclass
class _Job:
    texts: list[str]
    decoding: Decoding
    future: asyncio.Future[list[list[Hypothesis]]] = field(repr=False)
    deadline: float = math.inf  # time.monotonic()
    started: bool = False


class MicroBatcher:
    """Gathers `submit` calls into batches for `translate`; `close` drains what is queued."""

    def __init__(
        self,
        translate: TranslateFn,
        max_sentences: int = 64,
        max_wait_ms: float = 10.0,
        enabled: bool = True,
        max_queued_sentences: int = 256,
        on_batch: Callable[[BatchReport], None] | None = None,
    ) -> None:
        self._translate = translate
        self._max_sentences = max_sentences if enabled else 1
        self._max_wait = max_wait_ms / 1000 if enabled else 0.0
        self._max_queued = max_queued_sentences
        self._on_batch = on_batch
        self._queue: asyncio.Queue[_Job | None] = asyncio.Queue()
        # sentences submitted and not yet given to the model (nor dropped)
        self.waiting_sentences = 0
        # of the last model call, and of the last one with each decoding
        self._seconds_per_sentence = 0.0
        # keyed by what sets the speed: a bounded number of keys, whatever clients send
        self._speed: dict[tuple[int, int, int], float] = {}
        # one thread: batches run one after another, and the model is never used concurrently
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="translate")
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def start(self) -> None:
        """Start gathering; call from within the running event loop."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def submit(
        self,
        texts: list[str],
        decoding: Decoding,
        timeout: float | None = None,
        gone: Awaitable[object] | None = None,
    ) -> list[list[Hypothesis]]:
        """Translations of `texts`, once the batch holding them has run.

        Raises `Dropped` if the queue is full, if `timeout` seconds pass first, or if `gone`
        (the client's disconnect) completes first.
        """
        if self._task is None or self._closing:
            raise RuntimeError("the batcher is not running")
        if self.waiting_sentences + len(texts) > self._max_queued:
            raise Dropped("queue_full", started=False, retry_after=self.retry_after())
        deadline = math.inf if timeout is None else time.monotonic() + timeout
        job = _Job(texts, decoding, asyncio.get_running_loop().create_future(), deadline)
        self.waiting_sentences += len(texts)
        self._queue.put_nowait(job)
        watcher = None if gone is None else asyncio.ensure_future(gone)
        waiters = {job.future} if watcher is None else {job.future, watcher}
        try:
            done, _ = await asyncio.wait(
                waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            if watcher is not None:
                watcher.cancel()
            if not job.future.done():  # also when the caller itself is cancelled
                self._abandon(job)
        if not job.future.cancelled():
            return job.future.result()
        reason = "disconnected" if watcher in done else "deadline"
        raise Dropped(reason, job.started, self.retry_after())

    def retry_after(self) -> int:
        """Whole seconds the waiting sentences take at the speed of the last model call."""
        return max(1, math.ceil(self.waiting_sentences * self._seconds_per_sentence))

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
            if not job.future.done():  # a dropped job is skipped
                jobs.append(job)
                sentences += len(job.texts)
        return jobs, False

    def _abandon(self, job: _Job) -> None:
        if not job.started:
            self.waiting_sentences -= len(job.texts)
        job.future.cancel()  # a batch that is running leaves it out of the answers

    def _start(self, jobs: list[_Job]) -> list[_Job]:
        """The jobs still wanted that can finish by their deadline; the others are dropped."""
        jobs = [job for job in jobs if not job.future.done()]
        if not jobs:
            return []
        sentences = sum(len(job.texts) for job in jobs)
        finish = time.monotonic() + sentences * self._speed.get(_pace(jobs[0].decoding), 0.0)
        started = []
        for job in jobs:
            self.waiting_sentences -= len(job.texts)
            if job.deadline < finish:
                job.future.set_exception(Dropped("deadline", False, self.retry_after()))
            else:
                job.started = True
                started.append(job)
        return started

    async def _translate_group(self, jobs: list[_Job]) -> None:
        jobs = self._start(jobs)
        if not jobs:
            return
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
        seconds = time.perf_counter() - started
        self._seconds_per_sentence = self._speed[_pace(jobs[0].decoding)] = seconds / len(texts)
        if self._on_batch is not None:
            self._on_batch(BatchReport(len(jobs), translations, seconds))
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


def _pace(decoding: Decoding) -> tuple[int, int, int]:
    """The settings that decide how long a sentence takes to decode."""
    return decoding.num_beams, decoding.max_new_tokens, decoding.nbest
