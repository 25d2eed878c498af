"""Training and decoding speed of t5mt against the Hugging Face `Seq2SeqTrainer` recipe.

    python benchmarks/train_throughput.py                   # Multi30k if present, else synthetic
    python benchmarks/train_throughput.py --rounds 5 --steps 40
    python benchmarks/train_throughput.py --dry-run         # tiny sizes, seconds: checks the code

One T5 config, tokenizer, data, seed and number of sentences per batch for three variants:
  t5mt      the training step of --recipe (conf/experiment/<recipe>.yaml): its optimizer and
            schedule, label smoothing, dropout (fast_dropout) and allocator (keep_freed_memory),
            token-budget length-bucketed batches (a budget that gives the same mean sentences
            per batch), --precision (by default the recipe's: bf16-mixed on a CPU with native
            bf16, else fp32)
  hf        `Seq2SeqTrainer` with `DataCollatorForSeq2Seq` and random batches, written with
            transformers' public API as its documentation shows (its defaults otherwise:
            fused AdamW at --lr, no label smoothing), bf16 where --precision is bf16
  t5mt-off  that t5mt step with the speed features off: random batches, torch's dropout and
            glibc's default allocator, fp32
Each round runs every variant once, alternating, in a fresh child process of this one; a child
trains --warmup + --steps steps and times the last --steps. The table gives, per variant, the
median over rounds of non-pad train tokens/s and of its ratio to `hf` within the round, the
padding fraction, the child's peak RSS and the model FLOP utilisation against the matmul peak
in the child's precision (fp32 or bf16), measured in each child right after its run. Then the
network of the last t5mt round (or of --decode-run) decodes the test split with t5mt
(length-sorted, token-budget batches), with `Seq2SeqTrainer.predict(predict_with_generate)` and with
CTranslate2 (int8, float32): sentences/s and BLEU, ratios against `hf`.
"""

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
MULTI30K = REPO.parent / "shared" / "data" / "multi30k"
VARIANTS = ("t5mt", "hf", "t5mt-off")
SHAPES = {
    # conf/experiment/multi30k_tiny.yaml's network
    "multi30k_tiny": dict(d_model=256, d_ff=1024, d_kv=64, num_heads=4, num_layers=3),
    # google-t5/t5-small's architecture (random init)
    "t5-small": dict(d_model=512, d_ff=2048, d_kv=64, num_heads=8, num_layers=6),
    "dry-run": dict(d_model=32, d_ff=64, d_kv=8, num_heads=2, num_layers=1),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(MULTI30K), help="Multi30k .gz folder")
    parser.add_argument("--model", choices=SHAPES, default="multi30k_tiny")
    parser.add_argument("--vocab-size", type=int, default=8000)
    parser.add_argument("--batch-size", type=int, default=64, help="sentences per batch")
    parser.add_argument("--recipe", default="multi30k_tiny", help="t5mt's experiment")
    parser.add_argument(
        "--override", action="append", default=[], help="a KEY=VALUE for the recipe (repeatable)"
    )
    parser.add_argument("--lr", type=float, default=1e-3, help="the hf variant's AdamW")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps per child")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per child")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument(
        "--precision",
        default=None,
        help="t5mt's and hf's precision (default: bf16-mixed on cuda, else the recipe's "
        "trainer.precision: bf16-mixed where the CPU computes bf16 natively)",
    )
    parser.add_argument("--num-beams", type=int, default=1)
    parser.add_argument("--eval-sentences", type=int, default=1000, help="0: no decoding")
    parser.add_argument(
        "--decode-run", help="decode with this trained run folder's model and test split"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dry-run", action="store_true", help="tiny sizes, one round")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.dry_run:
        args.model, args.vocab_size, args.rounds = "dry-run", 300, 1
        args.warmup, args.steps, args.eval_sentences, args.batch_size = 1, 2, 16, 8
    if args.precision is None and args.device == "cuda":
        args.precision = "bf16-mixed"
    elif args.precision is None:
        args.precision = str(recipe_config(args.recipe, args.override).trainer.precision)
    return args


# ---------------------------------------------------------------- shared set-up (parent)


def prepare(args: argparse.Namespace, work: Path) -> str:
    """Corpus and tokenizer for every child, saved under `work`; returns the data's name."""
    from t5mt.data.multi30k import load_multi30k
    from t5mt.data.synthetic import synthetic_corpus
    from t5mt.data.tokenizer import train_sentencepiece

    if Path(args.data).is_dir() and not args.dry_run:
        corpus, name = load_multi30k(mirror=args.data), "Multi30k"
    else:
        size = 300 if args.dry_run else 29_000
        corpus, name = synthetic_corpus(size, 100, args.eval_sentences, seed=0), "synthetic"
    corpus.save_to_disk(work / "corpus")
    texts = (text for pair in corpus["train"]["translation"] for text in pair.values())
    train_sentencepiece(texts, work / "tokenizer", vocab_size=args.vocab_size)
    return name


def matmul_peak(device: str, dtype: torch.dtype) -> float:
    """FLOP/s of a large square matmul in `dtype`: 4096² on a GPU, 1024² on a CPU."""
    size = 4096 if device == "cuda" else 1024
    a = torch.randn(size, size, device=device, dtype=dtype)
    rates = []
    for _ in range(5):
        repeats = 20
        synchronize(device)
        started = time.perf_counter()
        for _ in range(repeats):
            a @ a
        synchronize(device)
        rates.append(2 * size**3 * repeats / (time.perf_counter() - started))
    return max(rates)


def synchronize(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def train_flops_per_pair(shape: dict, vocab: int, source: float, target: float) -> float:
    """Model FLOPs of one training step (forward + backward = 3 × forward) per sentence pair of
    `source` and `target` tokens: matmuls, attention scores and the output layer."""
    d, ff, attn = shape["d_model"], shape["d_ff"], shape["num_heads"] * shape["d_kv"]
    layers = shape["num_layers"]
    encoder = source * (4 * d * attn + 2 * d * ff) * 2 + 2 * 2 * source * source * attn
    decoder = (
        target * (6 * d * attn + 2 * d * ff) * 2  # self-attention, cross q/o, feed-forward
        + source * 2 * d * attn * 2  # cross-attention keys and values of the source
        + 2 * 2 * target * (target + source) * attn
    )
    return 3 * (layers * (encoder + decoder) + target * 2 * d * vocab)


# ---------------------------------------------------------------- children


class StepClock:
    """Per-step wall time (step end to step end: data, forward, backward, optimizer) and the
    non-pad and padded token slots of each step's batch."""

    def __init__(self, warmup: int, device: str) -> None:
        self.warmup, self.device = warmup, device
        self.last: float | None = None
        # per step: seconds, source tokens, target tokens, token slots, pairs
        self.steps: list[tuple[float, int, int, int, int]] = []
        # batches counted and not yet trained on (a data loader may fetch ahead)
        self.counted: list[tuple[int, int, int, int]] = []

    def count(self, batch: dict) -> None:
        source = int(batch["attention_mask"].sum())
        target = int((batch["labels"] != -100).sum())
        slots = batch["input_ids"].numel() + batch["labels"].numel()
        self.counted.append((source, target, slots, len(batch["input_ids"])))

    def tick(self) -> None:
        synchronize(self.device)
        now = time.perf_counter()
        if self.last is not None:
            self.steps.append((now - self.last, *self.counted.pop(0)))
        self.last = now

    def report(self) -> dict:
        timed = self.steps[self.warmup :]
        seconds = sum(s[0] for s in timed)
        source, target, slots, pairs = (sum(s[i] for s in timed) for i in (1, 2, 3, 4))
        return {
            "tokens_per_second": (source + target) / seconds,
            "padding": 1 - (source + target) / slots,
            "pairs_per_batch": pairs / len(timed),
            "mean_source": source / pairs,
            "mean_target": target / pairs,
            "seconds": seconds,
        }


def recipe_config(name: str, overrides: list[str]):
    """The composed configuration of conf/experiment/<name>.yaml with `overrides`, not
    instantiated."""
    from hydra import compose, initialize_config_dir

    from t5mt.native_bf16 import register_resolver

    register_resolver()
    with initialize_config_dir(str(REPO / "conf"), version_base=None):
        return compose("config", overrides=[f"experiment={name}", *overrides])


def build(args: argparse.Namespace, work: Path):
    """The tokenizer, the raw corpus and a freshly initialised network (same seed for all)."""
    from datasets import load_from_disk

    from t5mt.data.tokenizer import load_saved
    from t5mt.network import t5_from_config

    tokenizer = load_saved(work / "tokenizer")
    corpus = load_from_disk(str(work / "corpus"))
    shape = SHAPES[args.model]
    torch.manual_seed(args.seed)
    network = t5_from_config(
        tokenizer, num_decoder_layers=shape["num_layers"], dropout_rate=0.1, **shape
    )
    return tokenizer, corpus, network


def run_t5mt(args: argparse.Namespace, work: Path, fast: bool) -> dict:
    """The recipe's DataModule, LightningModule and optimizer under a Lightning Trainer."""
    import pytorch_lightning as pl
    from hydra.utils import instantiate

    from t5mt.allocator import keep_freed_memory
    from t5mt.data.batching import RandomBatching, TokenBudgetBatching
    from t5mt.data.datamodule import TranslationDataModule
    from t5mt.dropout import use_fast_dropout
    from t5mt.module import TranslationModule

    cfg = recipe_config(args.recipe, args.override)
    pl.seed_everything(args.seed, verbose=False)
    tokenizer, corpus, network = build(args, work)
    if fast and cfg.model.network.get("fast_dropout"):
        use_fast_dropout(network)
    if fast and cfg.keep_freed_memory:
        keep_freed_memory()
    datamodule = TranslationDataModule(corpus=lambda: corpus, seed=args.seed)
    datamodule.set_tokenizer(tokenizer)
    datamodule.setup()
    if fast:
        datamodule.batching = TokenBudgetBatching(max_tokens=budget_for(args, datamodule))
    else:
        datamodule.batching = RandomBatching(batch_size=args.batch_size)
    module = TranslationModule(
        network,
        tokenizer,
        optimizer=instantiate(cfg.optim.optimizer),
        scheduler=instantiate(cfg.optim.scheduler),
        label_smoothing=cfg.module.label_smoothing,
    )
    clock = StepClock(args.warmup, args.device)

    class Clock(pl.Callback):
        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
            clock.count(batch)
            clock.tick()

        def on_train_start(self, trainer, pl_module) -> None:
            clock.tick()

    trainer = pl.Trainer(
        accelerator="gpu" if args.device == "cuda" else "cpu",
        devices=1,
        precision=args.precision if fast else "32-true",
        max_steps=args.warmup + args.steps,
        limit_val_batches=0,
        num_sanity_val_steps=0,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[Clock()],
    )
    trainer.fit(module, datamodule=datamodule)
    if fast:
        torch.save(network.state_dict(), work / "trained.pt")
    return clock.report()


def budget_for(args: argparse.Namespace, datamodule) -> int:
    """The token budget whose batches hold --batch-size pairs on average in this corpus."""
    from t5mt.data.batching import TokenBatchSampler, pair_lengths

    source, target = pair_lengths(datamodule.tokenized["train"])
    budget = args.batch_size * (sum(source) + sum(target)) // len(source)
    for _ in range(20):  # the budget also pays for padding: grow it until the mean is reached
        batches = TokenBatchSampler(source, target, budget, 16384, args.seed).epoch_batches()
        mean = len(source) / len(batches)
        if mean >= args.batch_size:
            return budget
        budget = int(budget * args.batch_size / mean) + 1
    return budget


def hf_dataset(corpus, tokenizer, split: str):
    """A split tokenized the way transformers' translation example does."""

    def preprocess(examples: dict) -> dict:
        inputs = [pair["en"] for pair in examples["translation"]]
        targets = [pair["de"] for pair in examples["translation"]]
        return tokenizer(inputs, text_target=targets, max_length=128, truncation=True)

    return corpus[split].map(preprocess, batched=True, remove_columns=["translation"])


def hf_arguments(args: argparse.Namespace, output_dir: str, **overrides):
    from transformers import Seq2SeqTrainingArguments

    return Seq2SeqTrainingArguments(
        output_dir=output_dir,
        per_device_train_batch_size=args.batch_size,
        per_device_eval_batch_size=args.batch_size,
        learning_rate=args.lr,
        weight_decay=0.01,
        warmup_steps=args.warmup,
        lr_scheduler_type="linear",
        bf16=args.precision.startswith("bf16"),
        use_cpu=args.device == "cpu",
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        seed=args.seed,
        **overrides,
    )


def run_hf(args: argparse.Namespace, work: Path) -> dict:
    """The `Seq2SeqTrainer` recipe."""
    from transformers import DataCollatorForSeq2Seq, Seq2SeqTrainer, TrainerCallback

    tokenizer, corpus, network = build(args, work)
    train = hf_dataset(corpus, tokenizer, "train")
    clock = StepClock(args.warmup, args.device)
    collator = DataCollatorForSeq2Seq(tokenizer, model=network)

    def counting_collator(features: list) -> dict:
        batch = collator(features)
        clock.count(batch)
        return batch

    class Clock(TrainerCallback):
        def on_train_begin(self, *_, **__) -> None:
            clock.tick()

        def on_step_end(self, *_, **__) -> None:
            clock.tick()

    with tempfile.TemporaryDirectory() as output_dir:
        trainer = Seq2SeqTrainer(
            model=network,
            args=hf_arguments(args, output_dir, max_steps=args.warmup + args.steps),
            train_dataset=train,
            data_collator=counting_collator,
            processing_class=tokenizer,
            callbacks=[Clock()],
        )
        trainer.train()
    return clock.report()


def run_decoding(args: argparse.Namespace, work: Path) -> dict:
    """Decode the test split with the trained network: t5mt, HF predict, CTranslate2."""
    from omegaconf import OmegaConf
    from transformers import DataCollatorForSeq2Seq, Seq2SeqTrainer

    from t5mt.data.tokenizer import load_saved
    from t5mt.evaluate import split_of_run
    from t5mt.export import export_network
    from t5mt.inference import Ct2Engine, PyTorchEngine, Translator
    from t5mt.metrics import corpus_scores
    from t5mt.run_folder import RunFolder

    if args.decode_run:  # a trained run's network, tokenizer and test split
        from datasets import Dataset, DatasetDict

        run = RunFolder.at(args.decode_run, needs_model=True)
        network = PyTorchEngine.from_checkpoint(run).network
        tokenizer = load_saved(run.tokenizer_dir)
        sources, streams, _ = split_of_run(run, "test")
        pairs = [{"en": s, "de": r} for s, r in zip(sources, streams[0], strict=True)]
        corpus = DatasetDict(test=Dataset.from_dict({"translation": pairs}))
    else:
        tokenizer, corpus, network = build(args, work)
        network.load_state_dict(torch.load(work / "trained.pt"))
    network.eval()
    test = corpus["test"].select(range(min(args.eval_sentences, len(corpus["test"]))))
    sources = [pair["en"] for pair in test["translation"]]
    references = [[pair["de"] for pair in test["translation"]]]
    decoding = {"num_beams": args.num_beams, "max_new_tokens": 64}
    results = {}

    def timed(name: str, translate) -> None:
        started = time.perf_counter()
        hypotheses = translate()
        seconds = time.perf_counter() - started
        bleu = corpus_scores(hypotheses, references, "de")["bleu"]
        results[name] = {"sentences_per_second": len(sources) / seconds, "bleu": bleu}

    # evaluate's own batching defaults
    batching = OmegaConf.load(REPO / "conf" / "base" / "inference.yaml")
    batching = {"batch_size": batching.batch_size, "batch_tokens": batching.batch_tokens}
    translator = Translator(PyTorchEngine(network), tokenizer, **decoding)
    timed("t5mt", partial(translator.translate, sources, **batching))
    with tempfile.TemporaryDirectory() as output_dir:
        trainer = Seq2SeqTrainer(
            model=network,
            args=hf_arguments(args, output_dir, predict_with_generate=True),
            data_collator=DataCollatorForSeq2Seq(tokenizer, model=network),
            processing_class=tokenizer,
        )
        dataset = hf_dataset(corpus.__class__(test=test), tokenizer, "test")

        def hf_predict() -> list[str]:
            ids = trainer.predict(dataset, **decoding).predictions
            ids[ids == -100] = tokenizer.pad_token_id
            return tokenizer.batch_decode(ids, skip_special_tokens=True)

        timed("hf", hf_predict)
    for quantization in ("int8", "float32"):
        folder = work / f"ct2-{quantization}"
        export_network(network, tokenizer, quantization, folder)
        ct2 = Translator(Ct2Engine.load(folder, args.device), tokenizer, **decoding)
        timed(f"ct2-{quantization}", partial(ct2.translate, sources, **batching))
    return results


def child(args: argparse.Namespace) -> None:
    work = Path(args.work)
    if args.child == "decode":
        report = run_decoding(args, work)
    elif args.child == "hf":
        report = run_hf(args, work)
    else:
        report = run_t5mt(args, work, fast=args.child == "t5mt")
    report["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # measured right after the run, in the same conditions (other processes, clock speed), in
    # the precision the run computed in
    bf16 = args.child != "t5mt-off" and args.precision.startswith("bf16")
    report["matmul_dtype"] = "bf16" if bf16 else "fp32"
    report["matmul_peak"] = matmul_peak(args.device, torch.bfloat16 if bf16 else torch.float32)
    print("RESULT " + json.dumps(report))


# ---------------------------------------------------------------- parent


def run_child(argv: list[str], variant: str, work: Path) -> dict:
    command = [sys.executable, __file__, *argv, "--child", variant, "--work", str(work)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0:
        sys.exit(f"{variant} failed:\n{done.stderr[-4000:]}")
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.child:
        child(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = prepare(args, work)
        runs: dict[str, list[dict]] = {variant: [] for variant in VARIANTS}
        for round_number in range(args.rounds):
            for variant in VARIANTS:
                runs[variant].append(run_child(argv, variant, work))
                print(f"round {round_number + 1} {variant}: {runs[variant][-1]}", file=sys.stderr)
        decoding = run_child(argv, "decode", work) if args.eval_sentences else None
    print_report(args, data, runs, decoding)


def print_report(args, data: str, runs: dict, decoding: dict | None) -> None:
    """The Markdown tables for the README."""
    shape = SHAPES[args.model]
    peaks = {}
    for run in (r for v in VARIANTS for r in runs[v]):
        peaks.setdefault(run["matmul_dtype"], []).append(run["matmul_peak"])
    measured = ", ".join(
        f"{dtype} {statistics.median(rates) / 1e9:,.0f}" for dtype, rates in sorted(peaks.items())
    )
    threads = torch.get_num_threads()
    device = torch.cuda.get_device_name() if args.device == "cuda" else platform.processor()
    print(
        f"\n{data}, model {args.model}, {args.batch_size} sentences per batch, seed {args.seed}, "
        f"{args.rounds} rounds × {args.steps} timed steps; {device or platform.machine()}, "
        f"{os.cpu_count()} cores, {threads} torch threads, torch {torch.__version__}; "
        f"{args.precision} (t5mt-off: fp32); matmul peak {measured} GFLOP/s (medians of the "
        "measurements after each run; MFU is against the peak of the run's precision)\n"
    )
    print("| variant | non-pad tokens/s | × hf | padding | pairs/batch | peak RSS | MFU |")
    print("|---|---|---|---|---|---|---|")
    medians = {v: statistics.median(r["tokens_per_second"] for r in runs[v]) for v in VARIANTS}
    # ratios within each round (its runs ran back to back), then the median over rounds: a
    # burst of load on the machine during one round does not skew the ratio
    ratios = {
        v: statistics.median(
            r["tokens_per_second"] / h["tokens_per_second"]
            for r, h in zip(runs[v], runs["hf"], strict=True)
        )
        for v in VARIANTS
    }
    for variant in VARIANTS:
        last = runs[variant][-1]
        # each run's model FLOP/s against the matmul peak measured right after it
        mfu = statistics.median(
            r["tokens_per_second"]
            / (r["mean_source"] + r["mean_target"])
            * train_flops_per_pair(shape, args.vocab_size, r["mean_source"], r["mean_target"])
            / r["matmul_peak"]
            for r in runs[variant]
        )
        print(
            f"| {variant} | {medians[variant]:,.0f} | {ratios[variant]:.2f} "
            f"| {last['padding']:.1%} | {last['pairs_per_batch']:.1f} "
            f"| {max(r['peak_rss_mib'] for r in runs[variant]):,.0f} MiB | {mfu:.0%} |"
        )
    if decoding:
        print(f"\nDecoding {args.eval_sentences} test sentences, beam {args.num_beams}:\n")
        print("| decoder | sentences/s | × hf | BLEU |")
        print("|---|---|---|---|")
        for name, result in decoding.items():
            if name in ("peak_rss_mib", "matmul_peak", "matmul_dtype"):
                continue
            ratio = result["sentences_per_second"] / decoding["hf"]["sentences_per_second"]
            print(
                f"| {name} | {result['sentences_per_second']:,.1f} | {ratio:.2f} "
                f"| {result['bleu']:.2f} |"
            )


if __name__ == "__main__":
    main()
