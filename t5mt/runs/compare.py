"""`compare A B`: two runs (config diff, results, paired significance of their test sentences),
two `evaluate` outputs (<name>.hyp: paired significance), or two groups of seeds (the
difference of their means with an interval over the seeds)."""

import argparse
from pathlib import Path
from typing import Any

from rich.table import Table

from t5mt.errors import T5mtError
from t5mt.run_folder import RunFolder, config_differences, flatten, resolve_run
from t5mt.runs import render, sentences
from t5mt.runs.arguments import add_root_option
from t5mt.runs.replicates import Group, Spread, group_runs, mean_difference
from t5mt.runs.sentences import ScoredSentences
from t5mt.runs.significance import RESAMPLES, SEED, TRIALS, paired_tests
from t5mt.runs.summary import SPLITS
from t5mt.runs.sweep import load_jobs


def register(commands: argparse._SubParsersAction) -> None:
    """Add the compare command."""
    compare = commands.add_parser(
        "compare",
        help="two runs, two evaluate .hyp files, or two folders of seeds: what differs and "
        "whether it is significant",
        description="Two runs: the config keys that differ, the results side by side, and "
        "sacreBLEU's paired bootstrap resampling and approximate randomisation on their test "
        "sentences (test.hyp). Two evaluate outputs (<run>/eval/<name>.hyp): the paired tests. "
        "Two folders that each hold one group of replicates (runs that differ only in the "
        "seed): the difference of their mean BLEU with a 95%% interval over the seeds.",
    )
    compare.add_argument(
        "first", help="A: a run folder or name (under --dir), a .hyp file, or a folder of seeds"
    )
    compare.add_argument("second", help="B: the same kind as A")
    compare.add_argument(
        "--resamples",
        type=int,
        default=RESAMPLES,
        help="bootstrap resamples (default: %(default)s)",
    )
    compare.add_argument(
        "--trials",
        type=int,
        default=TRIALS,
        help="approximate randomisation trials (default: %(default)s)",
    )
    compare.add_argument(
        "--seed", type=int, default=SEED, help="sacreBLEU's SACREBLEU_SEED (default: %(default)s)"
    )
    add_root_option(compare)
    compare.set_defaults(handler=compare_targets)


def compare_targets(args: argparse.Namespace) -> None:
    """Compare two .hyp files, two folders of seeds, or two runs."""
    first, second = Path(args.first), Path(args.second)
    if first.suffix == ".hyp" or second.suffix == ".hyp":
        a, b = sentences.of_file(first), sentences.of_file(second)
        sentences.check_comparable(a, b)
        render.console().print(f"A: {a.label}\nB: {b.label}", soft_wrap=True)
        print_paired(a, b, args)
    elif _is_group(first) and _is_group(second):
        compare_groups(first, second)
    else:
        compare_runs(resolve_run(args.first, args.dir), resolve_run(args.second, args.dir), args)


def _is_group(path: Path) -> bool:
    return path.is_dir() and not RunFolder(path).is_run()


def compare_runs(first: RunFolder, second: RunFolder, args: argparse.Namespace) -> None:
    """The config keys that differ, every result with the change from first to second, and the
    paired tests on their test sentences (checked first: different test sets stop here)."""
    paired = None
    if first.test_hypotheses.is_file() and second.test_hypotheses.is_file():
        paired = (sentences.of_run(first), sentences.of_run(second))
        sentences.check_comparable(*paired)
    out = render.console()
    out.print(f"A: {first.root}\nB: {second.root}", soft_wrap=True)
    config_a, config_b = first.read_config(), second.read_config()
    changed = config_differences(config_a, config_b)
    if changed:
        flat_a, flat_b = flatten(config_a), flatten(config_b)
        table = Table("config key", "A", "B", title="config differences")
        for key in changed:
            table.add_row(key, _cell(flat_a, key), _cell(flat_b, key))
        out.print(table)
    else:
        out.print("the configs are the same")

    results_a, results_b = flatten(first.read_results()), flatten(second.read_results())
    table = Table("result", "A", "B", "B − A", title="results")
    for key in dict.fromkeys([*results_a, *results_b]):
        a, b = results_a.get(key), results_b.get(key)
        table.add_row(key, _cell(results_a, key), _cell(results_b, key), _change(a, b))
    out.print(table)
    if paired is None:
        out.print("no paired test: a run has no test.hyp (tested by an older t5mt, or not at all)")
    else:
        print_paired(*paired, args)


def print_paired(a: ScoredSentences, b: ScoredSentences, args: argparse.Namespace) -> None:
    """ΔBLEU and ΔchrF with their 95% intervals, both tests' p-values, and a verdict per metric
    (for A and B that check_comparable accepts)."""
    results = paired_tests(
        a.hypotheses, b.hypotheses, a.references, a.target_lang,
        args.resamples, args.trials, args.seed,
    )  # fmt: skip
    out = render.console()
    table = Table(
        "metric", "A (mean ± 95% CI)", "B (mean ± 95% CI)", "B − A", "95% interval of B − A",
        "p (bootstrap)", "p (approx. rand.)",
        title=f"paired tests on {len(a.hypotheses)} sentences "
        f"({args.resamples} bootstrap resamples, {args.trials} randomisation trials, "
        f"seed {args.seed})",
    )  # fmt: skip
    for result in results:
        table.add_row(
            result.metric,
            f"{result.a:.2f} ({result.a_mean:.2f} ± {result.a_ci:.2f})",
            f"{result.b:.2f} ({result.b_mean:.2f} ± {result.b_ci:.2f})",
            f"{result.delta:+.2f}",
            f"[{result.delta_low:+.2f}, {result.delta_high:+.2f}]",
            f"{result.p_bootstrap:.4f}",
            f"{result.p_randomisation:.4f}",
        )
    out.print(table)
    for result in results:
        out.print(f"{result.metric}: {result.verdict()}")
        out.print(f"  signature: {result.signature}", soft_wrap=True)


def compare_groups(first: Path, second: Path) -> None:
    """The mean val and test BLEU of two groups of seeds, B − A, and Welch's 95% interval."""
    groups = [_one_group(folder) for folder in (first, second)]
    out = render.console()
    out.print(f"A: {first} ({len(groups[0].runs)} runs)\nB: {second} ({len(groups[1].runs)} runs)")
    table = Table(
        "score", "A mean ± std (n)", "B mean ± std (n)", "B − A", "95% interval over seeds",
        "verdict", title="groups of seeds",
    )  # fmt: skip
    for split, name in SPLITS.items():
        a, b = groups[0].scores(split), groups[1].scores(split)
        if not a or not b:
            continue
        difference = mean_difference(a, b)
        interval = (
            render.MISSING
            if difference.low is None
            else f"[{difference.low:+.2f}, {difference.high:+.2f}]"
        )
        table.add_row(
            name,
            _with_n(difference.a),
            _with_n(difference.b),
            f"{difference.delta:+.2f}",
            interval,
            difference.verdict(),
        )
    out.print(table)


def _one_group(folder: Path) -> Group:
    groups = group_runs(load_jobs(folder))
    if len(groups) != 1:
        labels = "; ".join(group.label for group in groups)
        raise T5mtError(
            f"the runs under '{folder}' form {len(groups)} groups of replicates ({labels}), "
            "not one: give a folder whose runs differ only in the seed"
        )
    return groups[0]


def _with_n(spread: Spread) -> str:
    std = render.MISSING if spread.std is None else f"{spread.std:.2f}"
    return f"{spread.mean:.2f} ± {std} ({spread.n})"


def _cell(values: dict[str, Any], key: str) -> str:
    return render.value(values[key]) if key in values else render.MISSING


def _change(a: Any, b: Any) -> str:
    """b − a for two numbers (not booleans), else nothing."""
    if all(isinstance(x, int | float) and not isinstance(x, bool) for x in (a, b)):
        return f"{b - a:+.4g}"
    return ""
