"""`ls`, `show` and `best`: runs as a table, one run in full, and the best job of a sweep."""

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.table import Table

from t5mt.errors import RunFolderError
from t5mt.run_folder import DEFAULT_ROOT, find_runs, flatten, natural_key, resolve_run, run_name
from t5mt.runs import render
from t5mt.runs.arguments import add_root_option
from t5mt.runs.replicates import Group, Spread, group_runs
from t5mt.runs.summary import SPLITS, RunSummary, summarize
from t5mt.runs.sweep import best_job, load_jobs, swept_parameters

# Sort keys of `ls --sort`; runs without a value sort last.
SORT_KEYS: dict[str, Callable[[RunSummary], Any]] = {
    "started": lambda summary: summary.started,
    "run": lambda summary: natural_key(summary.run.root),
    "status": lambda summary: summary.status,
    "val_bleu": lambda summary: summary.val_bleu,
    "test_bleu": lambda summary: summary.test_bleu,
    "duration": lambda summary: summary.duration,
}


def register(commands: argparse._SubParsersAction) -> None:
    """Add the ls, show and best commands."""
    ls = commands.add_parser("ls", help="a table of the runs under a folder")
    ls.add_argument("dir", nargs="?", type=Path, default=DEFAULT_ROOT, help="default: %(default)s")
    ls.add_argument("--sort", choices=SORT_KEYS, default="started", help="default: %(default)s")
    ls.add_argument("--reverse", action="store_true", help="sort in descending order")
    ls.add_argument(
        "--status", choices=("running", "completed", "failed", "crashed"), help="only these"
    )
    ls.add_argument(
        "--group",
        action="store_true",
        help="one row per group of replicates (runs whose configs differ only in the seed): "
        "n, mean ± std and 95%% interval of val and test BLEU",
    )
    ls.set_defaults(handler=list_runs)

    show = commands.add_parser("show", help="one run: status, times, overrides, all results")
    show.add_argument("run", help="a run folder, or its name under --dir (e.g. 06-30-00)")
    add_root_option(show)
    show.set_defaults(handler=show_run)

    best = commands.add_parser(
        "best",
        help="the job of a sweep with the highest BLEU, in the group of replicates with the "
        "highest mean",
    )
    best.add_argument("sweep", type=Path, help="a sweep folder (outputs/multirun/<date>/<time>)")
    best.add_argument("--metric", choices=SPLITS, default="val", help="default: %(default)s")
    best.set_defaults(handler=show_best)


def list_runs(args: argparse.Namespace) -> None:
    """Print one row per run under args.dir."""
    summaries = [summarize(run) for run in find_runs(args.dir)]
    if args.status:
        summaries = [summary for summary in summaries if summary.status == args.status]
    key = SORT_KEYS[args.sort]
    present = sorted((s for s in summaries if key(s) is not None), key=key, reverse=args.reverse)
    summaries = present + [s for s in summaries if key(s) is None]
    if args.group:
        render.console().print(group_table(group_runs(summaries), args.dir))
        return

    table = Table("started", "run", "overrides", "status", "val BLEU", "test BLEU", "duration")
    for summary in summaries:
        table.add_row(
            render.time(summary.started),
            run_name(summary.run, args.dir),
            " ".join(summary.overrides),
            render.status(summary.status, summary.heartbeat),
            render.score(summary.val_bleu),
            render.score(summary.test_bleu),
            render.duration(summary.duration),
        )
    table.caption = f"{len(summaries)} run{'' if len(summaries) == 1 else 's'} under {args.dir}"
    render.console().print(table)


def show_run(args: argparse.Namespace) -> None:
    """Print everything the run folder records about the run."""
    summary = summarize(resolve_run(args.run, args.dir))
    run = summary.run
    checkpoints = sorted(path.name for path in run.checkpoints_dir.glob("*.ckpt"))
    rows = {
        "run": str(run.root),
        "status": render.status(summary.status, summary.heartbeat),
        "started": render.time(summary.started),
        "finished": render.time(summary.finished),
        "duration": render.duration(summary.duration),
        "overrides": " ".join(summary.overrides) or render.MISSING,
        "val BLEU": render.score(summary.val_bleu),
        "test BLEU": render.score(summary.test_bleu),
        "checkpoints": ", ".join(checkpoints) or render.MISSING,
        **{f"results.{key}": render.value(item) for key, item in flatten(summary.results).items()},
    }
    table = Table(show_header=False, box=None)
    for name, value in rows.items():
        table.add_row(name, value)
    render.console().print(table)


def group_table(groups: list[Group], directory: Path) -> Table:
    """One row per group: what sets it apart, n, seeds, the spread of val and test BLEU."""
    table = Table(
        "group", "n", "seeds", "val BLEU mean ± std [95% CI]", "test BLEU mean ± std [95% CI]",
        "runs",
    )  # fmt: skip
    for group in groups:
        table.add_row(
            group.label,
            str(len(group.runs)),
            ",".join(map(str, group.seeds)),
            _spread(group.spread("val")),
            _spread(group.spread("test")),
            " ".join(run_name(run.run, directory) for run in group.runs),
        )
    runs = sum(len(group.runs) for group in groups)
    table.caption = f"{len(groups)} group{'' if len(groups) == 1 else 's'} of {runs} runs"
    return table


def _spread(value: Spread | None) -> str:
    return render.MISSING if value is None else str(value)


def ranked_groups(jobs: list[RunSummary], split: str) -> list[Group]:
    """The groups of replicates with a score on `split`, by their mean, highest first."""
    groups = [group for group in group_runs(jobs) if group.scores(split)]
    if not groups:
        raise RunFolderError(f"none of the {len(jobs)} runs has a {SPLITS[split]} yet")
    return sorted(groups, key=lambda group: -group.spread(split).mean)


def show_best(args: argparse.Namespace) -> None:
    """Print the best job's path on the first line, then its swept values, overrides, scores,
    and the groups of replicates ranked by their mean; the best job is the best run of the
    best group."""
    jobs = load_jobs(args.sweep)
    groups = ranked_groups(jobs, args.metric)
    best = best_job(groups[0].runs, args.metric)
    index = jobs.index(best)
    swept = [f"{key}={values[index]}" for key, values in swept_parameters(jobs).items()]
    out = render.console()
    out.print(str(best.run.root), soft_wrap=True)
    out.print(f"swept: {' '.join(swept) or render.MISSING}", soft_wrap=True)
    out.print(f"overrides: {' '.join(best.overrides) or render.MISSING}", soft_wrap=True)
    out.print(f"val BLEU {render.score(best.val_bleu)}, test BLEU {render.score(best.test_bleu)}")
    table = Table("rank", "group", "n", f"{SPLITS[args.metric]} mean ± std [95% CI]")
    for rank, group in enumerate(groups, start=1):
        table.add_row(
            str(rank), group.label, str(len(group.runs)), _spread(group.spread(args.metric))
        )
    table.title = "groups of replicates by their mean"
    out.print(table)
    winner = groups[0].spread(args.metric)
    if winner.n == 1:
        out.print(
            "note: the best group rests on one seed, so its lead may be the seed's luck; "
            "train more seeds of it (sweep=seeds sweep.n=3) before trusting it"
        )
