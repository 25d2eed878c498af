"""Benchmark a training run: wall time, test BLEU and train tokens/s of `python -m t5mt.train`.

    python benchmarks/train_run.py                            # the quickstart
    python benchmarks/train_run.py experiment=multi30k_tiny data.corpus.mirror=<dir>
    python benchmarks/train_run.py --keep runs/quickstart     # keep the run folder

Runs the real command in a fresh process (start-up, tokenizer training, training, validation and
the test decode all count), then prints one Markdown table row for the README and the run's
validation curve: BLEU and loss at each validation, and the minutes of training (validations
included) when it ended.
"""

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    overrides = sys.argv[1:]
    keep = None
    if overrides[:1] == ["--keep"]:
        keep, overrides = Path(overrides[1]).resolve(), overrides[2:]
    with tempfile.TemporaryDirectory() as work:
        run = keep or Path(work) / "run"
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "t5mt.train",
                f"hydra.run.dir={run}",
                "trainer.enable_progress_bar=false",
                *overrides,
            ],
            check=True,
        )
        wall = time.perf_counter() - started
        results = json.loads((run / "results.json").read_text())
    # with test=false the run scored no test split: the table gives its best validation BLEU
    split = "test" if "test" in results else "val"
    scores = results[split]
    chrf = f"{scores['chrf']:.1f}" if "chrf" in scores else "–"
    print(f"\nmachine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(f"| command | wall time | {split} BLEU | {split} chrF | train tokens/s | padding |")
    print("|---|---|---|---|---|---|")
    command = " ".join(["python -m t5mt.train", *overrides])
    print(
        f"| `{command}` | {wall:.0f} s | {scores['bleu']:.1f} | {chrf} "
        f"| {results['train_tokens_per_second']:,.0f} | {results['padding_fraction']:.0%} |"
    )
    if "bleu_signature" in scores:
        print(f"BLEU signature: {scores['bleu_signature']}")
    if "checkpoint" in scores:
        print(f"tested: {scores['checkpoint']}")
    print_curve(results["val"].get("curve", []))


def print_curve(curve: list[dict]) -> None:
    """The validation curve as a Markdown table."""
    if not curve:
        return
    print("\n| step | minutes of training | val BLEU | val loss |")
    print("|---|---|---|---|")
    for point in curve:
        loss = "–" if point["loss"] is None else f"{point['loss']:.2f}"
        print(f"| {point['step']:,} | {point['minutes']:.1f} | {point['bleu']:.1f} | {loss} |")


if __name__ == "__main__":
    main()
