"""`report <dir or runs…>`: one self-contained HTML page (inline script, style and SVG charts;
no server, no network) with the runs table grouped by replicates, learning curves, a sweep's
score against each swept key, the groups with error bars, and two runs sentence by sentence."""

import argparse
import json
from dataclasses import asdict
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

from t5mt.errors import T5mtError
from t5mt.run_folder import RunFolder, find_runs, resolve_run, write_text_atomic
from t5mt.runs import render, sentences
from t5mt.runs.arguments import add_root_option
from t5mt.runs.curves import read_curves
from t5mt.runs.replicates import Spread, group_runs
from t5mt.runs.summary import RunSummary, summarize
from t5mt.runs.sweep import swept_parameters

CURVES = ("train/loss", "val/loss", "val/bleu", "val/chrf")


def register(commands: argparse._SubParsersAction) -> None:
    """Add the report command."""
    report = commands.add_parser(
        "report",
        help="one offline HTML page of runs: table, learning curves, sweep, groups, sentences",
        description="Writes one self-contained HTML file (opens offline in any browser). With "
        "exactly two runs, or --pair, it adds where the two differ sentence by sentence.",
    )
    report.add_argument("targets", nargs="+", help="run folders or names, or folders of runs")
    report.add_argument(
        "--out",
        type=Path,
        help="the HTML file (default: <folder>/report.html for one folder, else report.html)",
    )
    report.add_argument(
        "--pair", nargs=2, metavar=("A", "B"), help="the two runs of the sentence-level view"
    )
    add_root_option(report)
    report.set_defaults(handler=write_report)


def collect_runs(targets: list[str], root: Path) -> list[RunFolder]:
    """The runs of every target: a run (by folder or name), or every run under a folder."""
    runs: dict[Path, RunFolder] = {}
    for target in targets:
        path = Path(target)
        if path.is_dir() and not RunFolder(path).is_run():
            found = find_runs(path)
            if not found:
                raise T5mtError(f"'{target}' holds no run folders")
        else:
            found = [resolve_run(target, root)]
        runs.update((run.root.resolve(), run) for run in found)
    return list(runs.values())


def report_data(summaries: list[RunSummary], pair: tuple[RunFolder, RunFolder] | None) -> dict:
    """Everything the page shows, as JSON-ready data."""
    names = _short_names(summaries)
    name_of = {id(summary): name for summary, name in zip(summaries, names, strict=True)}
    groups = group_runs(summaries)
    group_of = {id(run): index for index, group in enumerate(groups) for run in group.runs}
    swept = {key: values for key, values in swept_parameters(summaries).items() if key != "seed"}
    return {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "runs": [
            {
                "name": names[i],
                "path": str(summary.run.root),
                "status": summary.status,
                "group": group_of[id(summary)],
                "seed": summary.results.get("seed", summary.run.read_status().get("seed")),
                "overrides": " ".join(summary.overrides),
                "val_bleu": summary.val_bleu,
                "test_bleu": summary.test_bleu,
                "test_chrf": (summary.results.get("test") or {}).get("chrf"),
                "duration": render.duration(summary.duration),
            }
            for i, summary in enumerate(summaries)
        ],
        "curves": {
            names[i]: {
                name: points
                for name, points in read_curves(summary.run.metrics_csv).items()
                if name in CURVES
            }
            for i, summary in enumerate(summaries)
        },
        "swept": swept,
        "groups": [
            {
                "label": group.label,
                "runs": [name_of[id(run)] for run in group.runs],
                "val": _as_dict(group.spread("val")),
                "test": _as_dict(group.spread("test")),
            }
            for group in groups
        ],
        "pair": None if pair is None else _pair(pair, summaries, names),
    }


def _pair(
    pair: tuple[RunFolder, RunFolder], summaries: list[RunSummary], names: list[str]
) -> dict[str, Any]:
    view = sentences.sentence_view(sentences.of_run(pair[0]), sentences.of_run(pair[1]))
    roots = [summary.run.root.resolve() for summary in summaries]
    for key, run in zip("ab", pair, strict=True):
        root = run.root.resolve()
        view[key] = names[roots.index(root)] if root in roots else str(run.root)
    return view


def _as_dict(spread: Spread | None) -> dict[str, Any] | None:
    return None if spread is None else asdict(spread)


def _short_names(summaries: list[RunSummary]) -> list[str]:
    """Each run's path without the part that all share (a sweep's jobs: 0, 1, 2)."""
    parts = [summary.run.root.resolve().parts for summary in summaries]
    if len(parts) == 1:
        return [summaries[0].run.root.name]
    common = 0
    while all(len(p) > common + 1 and p[common] == parts[0][common] for p in parts):
        common += 1
    return ["/".join(p[common:]) for p in parts]


def render_html(data: dict, title: str) -> str:
    """The page: the template with the data inlined (safe inside a <script> element)."""
    template = files("t5mt.runs").joinpath("report.html").read_text(encoding="utf-8")
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return template.replace("__TITLE__", _escape(title)).replace("__DATA__", payload)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_report(args: argparse.Namespace) -> None:
    """Collect the runs, build the page and write it atomically."""
    runs = collect_runs(args.targets, args.dir)
    summaries = [summarize(run) for run in runs]
    if args.pair:
        pair = (resolve_run(args.pair[0], args.dir), resolve_run(args.pair[1], args.dir))
    elif len(runs) == 2 and all(run.test_hypotheses.is_file() for run in runs):
        pair = (runs[0], runs[1])
    else:
        pair = None
    target = Path(args.targets[0])
    # a folder of runs gets its report; a run folder is never written into
    of_folder = len(args.targets) == 1 and target.is_dir() and not RunFolder(target).is_run()
    out = args.out or (target / "report.html" if of_folder else Path("report.html"))
    title = f"t5mt runs: {' '.join(args.targets)}"
    write_text_atomic(out, render_html(report_data(summaries, pair), title))
    print(f"wrote {out} ({len(runs)} runs)")
