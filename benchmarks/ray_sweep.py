"""Benchmark a sweep run by `launcher=ray` (jobs side by side, each on the CPUs or the GPU Ray gave
it) against the same jobs one after another (Hydra's basic launcher).

    python benchmarks/ray_sweep.py                  # 4 quickstart jobs of 200 steps, 1 CPU each
    python benchmarks/ray_sweep.py --device cuda    # one job per GPU, each on its own (gpu.sh)
    python benchmarks/ray_sweep.py --dry-run        # 2 tiny jobs: the same code path in a minute
    python benchmarks/ray_sweep.py --jobs 6 --cpus-per-job 2 -- optim.lr=1e-3

The jobs differ by seed. Prints a Markdown report: both wall times and their ratio, how many
jobs ran at once, and for each job the CPUs and GPUs its run folder records
(reproducibility.json) and its test BLEU. Exits 1 when a job did not complete.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

TINY = (
    "trainer=debug",
    "data.corpus.train_size=400",
    "data.corpus.validation_size=40",
    "data.corpus.test_size=40",
    "model.tokenizer.vocab_size=300",
    "module.max_new_tokens=16",
)


def sweep(folder: Path, overrides: list[str]) -> float:
    """Run `python -m t5mt.train -m <overrides>` into `folder`; its wall time in seconds."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "t5mt.train", "-m", *overrides, f"hydra.sweep.dir={folder}"],
        check=True,
        stdout=sys.stderr,  # the jobs' logs; stdout is the report
    )
    return time.perf_counter() - started


def jobs(folder: Path) -> list[dict]:
    """Status, times, assigned CPUs/GPUs and test BLEU of each job folder of a sweep."""
    rows = []
    for job in sorted((p for p in folder.iterdir() if p.name.isdigit()), key=lambda p: int(p.name)):
        run = json.loads((job / "run.json").read_text())
        hardware = json.loads((job / "reproducibility.json").read_text())["hardware"]
        results = job / "results.json"
        bleu = json.loads(results.read_text())["test"]["bleu"] if results.exists() else None
        rows.append(
            {
                "job": job.name,
                **run,
                **hardware["assigned"],
                "threads": hardware["torch_threads"],
                "bleu": bleu,
            }
        )
    return rows


def most_at_once(rows: list[dict]) -> int:
    """The largest number of jobs whose [started, finished] intervals overlap."""
    events = []
    for row in rows:
        events.append((datetime.fromisoformat(row["started"]), 1))
        events.append((datetime.fromisoformat(row["finished"]), -1))
    running = most = 0
    for _, change in sorted(events, key=lambda event: (event[0], event[1])):
        running += change
        most = max(most, running)
    return most


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--jobs", type=int, help="default: 4 on the CPU, one per GPU on cuda")
    parser.add_argument("--cpus-per-job", type=int, default=1)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--dry-run", action="store_true", help="2 tiny jobs")
    parser.add_argument("overrides", nargs="*", help="more overrides for every job")
    args = parser.parse_args()
    if args.device == "cuda":
        import torch

        gpus = torch.cuda.device_count()
        n_jobs = args.jobs or gpus
        placement = ["trainer=gpu", "hydra.launcher.ray.remote.num_gpus=1"]
    else:
        gpus, n_jobs, placement = 0, args.jobs or (2 if args.dry_run else 4), []
    size = (
        list(TINY) if args.dry_run else ["experiment=quickstart", f"trainer.max_steps={args.steps}"]
    )
    common = [
        *size,
        "trainer.enable_progress_bar=false",
        f"seed={','.join(str(seed) for seed in range(1, n_jobs + 1))}",
        *args.overrides,
    ]
    ray = [
        "launcher=ray",
        f"hydra.launcher.ray.remote.num_cpus={args.cpus_per_job}",
        *placement,
    ]
    with tempfile.TemporaryDirectory() as work:
        sequential_s = sweep(Path(work) / "sequential", [*common, *placement[:1]])
        ray_s = sweep(Path(work) / "ray", [*common, *ray])
        sequential, side_by_side = jobs(Path(work) / "sequential"), jobs(Path(work) / "ray")
    print(f"\n## Sweep: launcher=ray against one job after another ({n_jobs} jobs)\n")
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {os.cpu_count()} cores, {gpus} GPUs")
    print(f"jobs: python -m t5mt.train -m {' '.join(common)}")
    print(f"ray: {' '.join(ray)}\n")
    print("| launcher | wall time | jobs at once | completed |")
    print("|---|---|---|---|")
    for name, wall, rows in (("basic", sequential_s, sequential), ("ray", ray_s, side_by_side)):
        completed = sum(row["status"] == "completed" for row in rows)
        print(f"| {name} | {wall:.0f} s | {most_at_once(rows)} | {completed}/{len(rows)} |")
    print(f"\none after another / ray: {sequential_s / ray_s:.2f}×\n")
    print(
        "| ray job | status | by | CPUs | torch threads | GPUs | CUDA_VISIBLE_DEVICES | test BLEU |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for row in side_by_side:
        bleu = "" if row["bleu"] is None else f"{row['bleu']:.1f}"
        print(
            f"| {row['job']} | {row['status']} | {row['by']} | {row['cpus']:g} | {row['threads']} "
            f"| {row['gpus']} | {row['cuda_visible_devices']} | {bleu} |"
        )
    if any(row["status"] != "completed" for row in sequential + side_by_side):
        sys.exit("error: a job did not complete")


if __name__ == "__main__":
    main()
