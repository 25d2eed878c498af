"""Micro-batching: concurrent requests share model calls, in order, off the event loop."""

import asyncio
import threading
import time

import pytest

from t5mt.inference import Translator
from t5mt.serve.batcher import BatchReport, Decoding, Dropped, MicroBatcher

GREEDY = Decoding(num_beams=1, max_new_tokens=8, length_penalty=1.0)
BEAMS = Decoding(num_beams=2, max_new_tokens=4, length_penalty=1.0)
REQUESTS = [["The dog sleeps."], ["We help the children.", "She reads a book."], ["I read."]]


def run_translate(translator: Translator):
    """The model call the server makes, recording the threads it ran on."""
    threads: list[str] = []

    def translate(texts: list[str], decoding: Decoding) -> list[str]:
        threads.append(threading.current_thread().name)
        return translator.translate(
            texts, num_beams=decoding.num_beams, max_new_tokens=decoding.max_new_tokens
        )

    return translate, threads


def run_batched(
    translator: Translator, decodings: list[Decoding], requests=REQUESTS, **options
) -> tuple[list[BatchReport], list[str]]:
    """Submit `requests` concurrently; check each gets its own translations; report the batches."""
    translate, threads = run_translate(translator)
    batches: list[BatchReport] = []
    batcher = MicroBatcher(translate, on_batch=batches.append, **options)

    async def submit_all() -> list[list[str]]:
        batcher.start()
        try:
            return await asyncio.gather(
                *(batcher.submit(texts, d) for texts, d in zip(requests, decodings, strict=True))
            )
        finally:
            await batcher.close()

    assert asyncio.run(submit_all()) == [
        translator.translate(texts, num_beams=d.num_beams, max_new_tokens=d.max_new_tokens)
        for texts, d in zip(requests, decodings, strict=True)
    ]
    return batches, threads


def test_concurrent_requests_form_one_batch_off_the_event_loop(
    tiny_translator: Translator,
) -> None:
    batches, threads = run_batched(tiny_translator, [GREEDY] * 3, max_wait_ms=200)
    assert [(b.requests, len(b.translations)) for b in batches] == [(3, 4)]
    assert threads == ["translate_0"]  # the batcher's worker thread, not the event loop's


def test_a_full_batch_starts_without_waiting(tiny_translator: Translator) -> None:
    started = time.monotonic()
    batches, _ = run_batched(
        tiny_translator, [GREEDY] * 2, REQUESTS[:2], max_sentences=3, max_wait_ms=30_000
    )
    assert time.monotonic() - started < 10
    assert [len(b.translations) for b in batches] == [3]


def test_disabled_batching_translates_each_request_alone(tiny_translator: Translator) -> None:
    batches, _ = run_batched(tiny_translator, [GREEDY] * 3, max_wait_ms=200, enabled=False)
    assert [b.requests for b in batches] == [1, 1, 1]


def test_different_decoding_settings_get_separate_model_calls(
    tiny_translator: Translator,
) -> None:
    batches, _ = run_batched(tiny_translator, [GREEDY, BEAMS, GREEDY], max_wait_ms=200)
    assert sorted(b.requests for b in batches) == [1, 2]


def test_close_drains_queued_requests(tiny_translator: Translator) -> None:
    translate, _ = run_translate(tiny_translator)

    async def scenario() -> list[str]:
        batcher = MicroBatcher(translate, max_wait_ms=30_000)
        batcher.start()
        pending = asyncio.ensure_future(batcher.submit(["The dog sleeps."], GREEDY))
        await asyncio.sleep(0.05)
        await batcher.close()  # long before the 30 s window ends
        with pytest.raises(RuntimeError, match="not running"):
            await batcher.submit(["Too late."], GREEDY)
        return await pending

    assert asyncio.run(scenario()) == tiny_translator.translate(["The dog sleeps."])


def test_a_failed_batch_fails_its_requests_and_the_next_batch_runs(
    tiny_translator: Translator,
) -> None:
    translate, _ = run_translate(tiny_translator)

    def fails_on_request(texts: list[str], decoding: Decoding) -> list[str]:
        if "explode" in texts:
            raise RuntimeError("out of memory")
        return translate(texts, decoding)

    async def scenario() -> tuple[list, list[str]]:
        batcher = MicroBatcher(fails_on_request, max_wait_ms=100)
        batcher.start()
        failed = await asyncio.gather(
            batcher.submit(["explode"], GREEDY),
            batcher.submit(["The dog sleeps."], GREEDY),
            return_exceptions=True,
        )
        after = await batcher.submit(["The dog sleeps."], GREEDY)
        await batcher.close()
        return failed, after

    failed, after = asyncio.run(scenario())
    assert all(isinstance(f, RuntimeError) for f in failed)
    assert after == tiny_translator.translate(["The dog sleeps."])


def slow_model(translator: Translator, seconds: float):
    """The model call, `seconds` slower, and the sentences it was given."""
    translate, _ = run_translate(translator)
    given: list[str] = []

    def slow(texts: list[str], decoding: Decoding) -> list[str]:
        time.sleep(seconds)
        given.extend(texts)
        return translate(texts, decoding)

    return slow, given


def test_beyond_the_queue_bound_a_request_is_refused_at_once(tiny_translator) -> None:
    translate, _ = run_translate(tiny_translator)

    async def scenario() -> tuple[list, float]:
        batcher = MicroBatcher(translate, max_wait_ms=300, max_queued_sentences=3)
        batcher.start()
        accepted = [asyncio.ensure_future(batcher.submit(t, GREEDY)) for t in REQUESTS[:2]]
        await asyncio.sleep(0.01)
        started = time.monotonic()
        with pytest.raises(Dropped) as refused:
            await batcher.submit(["One too many."], GREEDY)
        refused_after = time.monotonic() - started
        answers = await asyncio.gather(*accepted)
        assert batcher.waiting_sentences == 0
        await batcher.submit(["One too many."], GREEDY)  # room again
        await batcher.close()
        assert refused.value.reason == "queue_full" and refused.value.retry_after >= 1
        return answers, refused_after

    answers, refused_after = asyncio.run(scenario())
    assert answers == [tiny_translator.translate(texts) for texts in REQUESTS[:2]]
    assert refused_after < 0.1  # not after the 300 ms window


def test_a_deadline_that_passes_in_the_queue_drops_the_request_untranslated(
    tiny_translator,
) -> None:
    slow, given = slow_model(tiny_translator, 0.5)

    async def scenario() -> Dropped:
        batcher = MicroBatcher(slow, max_wait_ms=0)
        batcher.start()
        running = asyncio.ensure_future(batcher.submit(["The dog sleeps."], GREEDY))
        await asyncio.sleep(0.05)  # its batch runs for 0.5 s
        started = time.monotonic()
        with pytest.raises(Dropped) as dropped:
            await batcher.submit(["I read."], GREEDY, timeout=0.1)
        assert time.monotonic() - started < 0.4  # answered at its deadline, not after the batch
        await running
        await batcher.close()
        return dropped.value

    dropped = asyncio.run(scenario())
    assert (dropped.reason, dropped.started) == ("deadline", False)
    assert given == ["The dog sleeps."]


def test_a_request_that_cannot_finish_in_time_is_not_started(tiny_translator) -> None:
    slow, given = slow_model(tiny_translator, 0.3)

    async def scenario() -> Dropped:
        batcher = MicroBatcher(slow, max_wait_ms=0)
        batcher.start()
        await batcher.submit(["The dog sleeps."], GREEDY)  # 0.3 s a sentence
        with pytest.raises(Dropped) as dropped:
            await batcher.submit(["I read.", "We help."], GREEDY, timeout=0.4)
        await batcher.close()
        return dropped.value

    dropped = asyncio.run(scenario())
    assert (dropped.reason, dropped.started) == ("deadline", False)
    assert given == ["The dog sleeps."]


def test_a_deadline_that_passes_during_the_batch_spares_the_others(tiny_translator) -> None:
    slow, _ = slow_model(tiny_translator, 0.5)

    async def scenario() -> tuple[BaseException | list[str], ...]:
        batcher = MicroBatcher(slow, max_wait_ms=50)
        batcher.start()
        answers = await asyncio.gather(
            batcher.submit(["The dog sleeps."], GREEDY, timeout=0.3),
            batcher.submit(["I read."], GREEDY),
            return_exceptions=True,
        )
        await batcher.close()
        return tuple(answers)

    late, other = asyncio.run(scenario())
    assert isinstance(late, Dropped) and (late.reason, late.started) == ("deadline", True)
    assert other == tiny_translator.translate(["I read."])


def test_a_client_that_goes_away_is_dropped_from_its_batch(tiny_translator) -> None:
    slow, given = slow_model(tiny_translator, 0.0)

    async def scenario() -> tuple[Dropped, list[str]]:
        batcher = MicroBatcher(slow, max_wait_ms=200)
        batcher.start()
        gone = asyncio.Event()
        leaving = asyncio.ensure_future(
            batcher.submit(["The dog sleeps."], GREEDY, gone=gone.wait())
        )
        staying = asyncio.ensure_future(batcher.submit(["I read."], GREEDY))
        await asyncio.sleep(0.05)
        gone.set()  # within the gathering window
        with pytest.raises(Dropped) as dropped:
            await leaving
        answer = await staying
        await batcher.close()
        return dropped.value, answer

    dropped, answer = asyncio.run(scenario())
    assert (dropped.reason, dropped.started) == ("disconnected", False)
    assert given == ["I read."] and answer == tiny_translator.translate(["I read."])
