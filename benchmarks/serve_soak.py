"""Soak-test the server past its capacity: what it sheds, its tail latency, memory and recovery.

    python benchmarks/serve_soak.py run=<run folder>
    python benchmarks/serve_soak.py run=<run folder> --overload 4 --overload-s 60 --recovery-s 30

Starts a real `python -m t5mt.serve` on 127.0.0.1 and measures its capacity: requests of
`--sentences` English sentences of the synthetic grammar from 32 closed-loop clients for
`--capacity-s` seconds. Then it sends requests open-loop (at a fixed rate, whatever the answers)
at 0.5× that capacity for `--baseline-s` seconds, at `--overload`× for `--overload-s` seconds and
at 0.5× again for `--recovery-s` seconds. Every phase has a fixed length and every request a
client timeout, so the run ends by itself. It prints accepted and shed requests, the latency
percentiles of the accepted ones, the 5xx answers other than 503 and the client errors (both
must be 0), the server's RSS before, at its peak and after the overload, and how long after the
overload the latency was back to normal (the median of each second's accepted requests, by send
time, within 1.5× the baseline's p95 from then on). Prints a Markdown row for the README.
"""

import argparse
import asyncio
import platform
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import psutil

from t5mt.data.synthetic import generate_pairs
from t5mt.serve.process import ServerProcess


@dataclass
class Answer:
    """One request: its phase, when it was sent (s since the start), its status and latency."""

    phase: str
    sent: float
    status: int | str
    seconds: float


class MemorySampler(threading.Thread):
    """Samples the RSS of a process and its children every 0.2 s until `stop` is set."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.samples: list[tuple[float, int]] = []
        self.stop = threading.Event()

    def rss(self) -> int:
        processes = [self.process, *self.process.children(recursive=True)]
        return sum(process.memory_info().rss for process in processes)

    def run(self) -> None:
        while not self.stop.wait(0.2):
            self.samples.append((time.perf_counter(), self.rss()))


async def closed_loop(url: str, bodies: list[dict], clients: int, seconds: float) -> float:
    """Requests per second that `clients` clients, each waiting for its answer, get through."""
    done = 0
    end = time.perf_counter() + seconds

    async def client(http: httpx.AsyncClient, offset: int) -> None:
        nonlocal done
        while time.perf_counter() < end:
            response = await http.post(f"{url}/translate", json=bodies[(offset + done) % 500])
            done += response.status_code == 200

    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=clients)) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http, i) for i in range(clients)))
        return done / (time.perf_counter() - started)


async def open_loop(
    http: httpx.AsyncClient, bodies: list[dict], phases: list[tuple[str, float, float]]
) -> list[Answer]:
    """Send at each phase's rate (requests/s) for its seconds, without waiting for answers."""
    answers: list[Answer] = []
    origin = time.perf_counter()

    async def one(phase: str, body: dict) -> None:
        sent = time.perf_counter()
        try:
            status: int | str = (await http.post("/translate", json=body)).status_code
        except httpx.HTTPError as error:
            status = type(error).__name__
        answers.append(Answer(phase, sent - origin, status, time.perf_counter() - sent))

    tasks, start, sent = [], origin, 0
    for phase, rate, seconds in phases:
        for i in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(one(phase, bodies[sent % len(bodies)])))
            sent += 1
        start += seconds
    await asyncio.gather(*tasks)
    return answers


def recovery_seconds(answers: list[Answer], overload_end: float, normal: float) -> float | None:
    """Seconds after `overload_end` from which each second's median latency stays normal."""
    late = [a for a in answers if a.phase == "recovery" and a.status == 200]
    bins: dict[int, list[float]] = {}
    for answer in late:
        bins.setdefault(int(answer.sent - overload_end), []).append(answer.seconds)
    recovered = None
    for second in sorted(bins, reverse=True):
        if np.median(bins[second]) > normal:
            break
        recovered = second
    return recovered


def percentiles(seconds: list[float]) -> list[float]:
    return [float(p) * 1000 for p in np.percentile(seconds, [50, 95, 99])] if seconds else []


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("run", help="run=<run folder>")
    cli.add_argument("--sentences", type=int, default=4, help="per request")
    cli.add_argument("--capacity-s", type=float, default=15)
    cli.add_argument("--baseline-s", type=float, default=10)
    cli.add_argument("--overload", type=float, default=4, help="× the measured capacity")
    cli.add_argument("--overload-s", type=float, default=60)
    cli.add_argument("--recovery-s", type=float, default=30)
    cli.add_argument("--timeout-s", type=float, default=30, help="the server's limits.timeout_s")
    cli.add_argument("--max-queued", type=int, default=256, help="limits.max_queued_sentences")
    args = cli.parse_args()
    run = str(Path(args.run.removeprefix("run=")).resolve())
    english = [en for en, _ in generate_pairs(500 * args.sentences, seed=7)]
    bodies = [{"texts": english[i * args.sentences : (i + 1) * args.sentences]} for i in range(500)]
    capacity, answers, rss, started = soak(run, args, bodies)
    report(args, capacity, answers, rss, started)


def soak(
    run: str, args: argparse.Namespace, bodies: list[dict]
) -> tuple[float, list[Answer], list[tuple[float, int]], float]:
    """Capacity, the answers of the open-loop phases, the RSS samples, and when they started."""
    overrides = (
        "request_log=null",
        f"limits.timeout_s={args.timeout_s}",
        f"limits.max_queued_sentences={args.max_queued}",
    )
    with (
        tempfile.TemporaryDirectory() as folder,
        ServerProcess(run, Path(folder), *overrides) as server,
    ):
        memory = MemorySampler(server.process.pid)
        capacity = asyncio.run(closed_loop(server.url, bodies, 32, args.capacity_s))
        print(f"capacity: {capacity:.1f} requests/s", flush=True)
        phases = [
            ("baseline", capacity / 2, args.baseline_s),
            ("overload", capacity * args.overload, args.overload_s),
            ("recovery", capacity / 2, args.recovery_s),
        ]
        limits = httpx.Limits(max_connections=1000, max_keepalive_connections=1000)

        async def open_phases() -> list[Answer]:
            async with httpx.AsyncClient(
                base_url=server.url, timeout=args.timeout_s + 30, limits=limits
            ) as http:
                return await open_loop(http, bodies, phases)

        memory.start()
        started = time.perf_counter()
        answers = asyncio.run(open_phases())
        memory.stop.set()
        memory.join()
    return capacity, answers, memory.samples, started


def report(
    args: argparse.Namespace,
    capacity: float,
    answers: list[Answer],
    rss: list[tuple[float, int]],
    started: float,
) -> None:
    """Print the figures and the README row."""
    overload_start = args.baseline_s
    overload_end = overload_start + args.overload_s
    by_phase = {p: [a for a in answers if a.phase == p] for p in ("baseline", "overload")}
    baseline = [a.seconds for a in by_phase["baseline"] if a.status == 200]
    overload = by_phase["overload"]
    accepted = [a.seconds for a in overload if a.status == 200]
    shed = sum(a.status == 503 for a in overload)
    other_5xx = sum(
        isinstance(a.status, int) and a.status >= 500 and a.status != 503 for a in answers
    )
    errors = sum(isinstance(a.status, str) for a in answers)
    statuses = sorted({str(a.status) for a in answers})
    before = [r for t, r in rss if t - started < overload_start] or [rss[0][1]]
    mib = 2**20
    rss_before, rss_peak, rss_after = (
        before[-1] / mib,
        max(r for _, r in rss) / mib,
        rss[-1][1] / mib,
    )
    normal = float(np.percentile(baseline, 95)) * 1.5
    recovered = recovery_seconds(answers, overload_end, normal)
    back = (
        f"{recovered:g} s after"
        if recovered is not None
        else f"not within the {args.recovery_s:g} s at 0.5×"
    )
    p50, p95, p99 = percentiles(accepted)
    print(f"statuses seen: {', '.join(statuses)}")
    print(
        f"baseline (0.5×) p50/p95: {' / '.join(f'{p:.0f}' for p in percentiles(baseline)[:2])} ms"
    )
    print(
        f"overload ({args.overload:g}×, {len(overload)} requests): {len(accepted)} accepted, "
        f"{shed} shed (503); accepted p50/p95/p99 {p50:.0f} / {p95:.0f} / {p99:.0f} ms"
    )
    print(f"5xx other than 503: {other_5xx}; client errors: {errors}")
    print(
        f"RSS before / peak / after: {rss_before:.0f} / {rss_peak:.0f} / {rss_after:.0f} MiB "
        f"(after: {100 * (rss_after / rss_before - 1):+.1f}%)"
    )
    print(f"latency back to normal (median ≤ {normal * 1000:.0f} ms): {back}")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent,
    ).stdout.strip()
    print(f"\ncommit {commit}, {platform.machine()}, {psutil.cpu_count()} cores")
    print(
        "| capacity req/s | overload | requests | accepted | shed (503) | other 5xx | "
        "accepted p50 / p95 / p99 ms | deadline | RSS before / peak / after MiB | back to normal |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {capacity:.1f} | {args.overload:g}× for {args.overload_s:g} s | {len(overload)} "
        f"| {len(accepted)} | {shed} | {other_5xx} | {p50:.0f} / {p95:.0f} / {p99:.0f} "
        f"| {args.timeout_s:g} s | {rss_before:.0f} / {rss_peak:.0f} / {rss_after:.0f} "
        f"| {back} |"
    )


if __name__ == "__main__":
    main()
