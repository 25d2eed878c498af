"""Load-test the server: latency percentiles and sentences/s, micro-batching on and off.

    python benchmarks/serve_load.py run=<run folder>
    python benchmarks/serve_load.py run=<run folder> --concurrency 1 8 32 --requests 300 \
        --seconds 20

Starts a real `python -m t5mt.serve` process on 127.0.0.1 for each mode, sends one-sentence
`POST /translate` requests from `concurrency` concurrent clients (English sentences of the
synthetic grammar), and stops each level after `--requests` requests or `--seconds` seconds,
whichever comes first. Prints a Markdown table for the README.
"""

import argparse
import asyncio
import os
import platform
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from t5mt.data.synthetic import generate_pairs
from t5mt.serve.process import ServerProcess

MODES = {"on": "batching.enabled=true", "off": "batching.enabled=false"}


async def load(url: str, sentences: list[str], concurrency: int, requests: int, seconds: float):
    """Latencies (s) of the requests answered, and the wall time they took."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    issued = 0

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal issued
        while issued < requests and time.perf_counter() < deadline:
            text = sentences[issued % len(sentences)]
            issued += 1
            started = time.perf_counter()
            response = await http.post(f"{url}/translate", json={"texts": [text]})
            response.raise_for_status()
            latencies.append(time.perf_counter() - started)

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=120) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(concurrency)))
        return latencies, time.perf_counter() - started


def measure(run: str, mode: str, args: argparse.Namespace, sentences: list[str]) -> list[dict]:
    """One server process in `mode`; one row per concurrency level."""
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        overrides = (MODES[mode], f"batching.max_wait_ms={args.max_wait_ms}", "request_log=null")
        with ServerProcess(run, Path(folder), *overrides) as server:
            asyncio.run(load(server.url, sentences, 4, 20, 30))  # warm-up
            for concurrency in args.concurrency:
                latencies, wall = asyncio.run(
                    load(server.url, sentences, concurrency, args.requests, args.seconds)
                )
                p50, p95, p99 = (float(p) for p in np.percentile(latencies, [50, 95, 99]) * 1000)
                rows.append(
                    {
                        "concurrency": concurrency,
                        "batching": mode,
                        "requests": len(latencies),
                        "p50": p50,
                        "p95": p95,
                        "p99": p99,
                        "rate": len(latencies) / wall,
                    }
                )
                print(rows[-1], flush=True)
    return rows


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("run", help="run=<run folder>")
    cli.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    cli.add_argument("--requests", type=int, default=300, help="at most, per level")
    cli.add_argument("--seconds", type=float, default=20, help="at most, per level")
    cli.add_argument("--max-wait-ms", type=float, default=10)
    args = cli.parse_args()
    run = str(Path(args.run.removeprefix("run=")).resolve())
    sentences = [en for en, _ in generate_pairs(500, seed=7)]
    rows = [row for mode in MODES for row in measure(run, mode, args, sentences)]

    unbatched = {row["concurrency"]: row for row in rows if row["batching"] == "off"}
    print(f"\nmachine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print("| concurrency | micro-batching | requests | p50 ms | p95 ms | p99 ms | sentences/s |")
    print("|---|---|---|---|---|---|---|")
    for row in sorted(rows, key=lambda r: (r["concurrency"], r["batching"])):
        base = unbatched[row["concurrency"]]
        print(
            f"| {row['concurrency']} | {row['batching']} | {row['requests']} "
            f"| {row['p50']:.1f} | {row['p95']:.1f} ({row['p95'] / base['p95']:.2f}×) "
            f"| {row['p99']:.1f} | {row['rate']:.1f} ({row['rate'] / base['rate']:.2f}×) |"
        )
    print("(×: relative to micro-batching off at the same concurrency)")


if __name__ == "__main__":
    main()
