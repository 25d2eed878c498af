"""`reproduce <run>`: train a run's config again, with its seed, into a new folder, and say
whether the metrics match."""

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any

from rich.table import Table

from t5mt.errors import RunFolderError
from t5mt.reproducibility import git_state
from t5mt.run_folder import RunFolder, flatten, resolve_run, without_keys
from t5mt.runs import render
from t5mt.runs.arguments import add_root_option
from t5mt.runs.curves import read_curves

# The numbers a reproduction must match (from results.json), and the per-step training loss.
COMPARED = ("val.bleu", "val.final_loss", "test.loss", "test.bleu", "test.chrf")


def register(commands: argparse._SubParsersAction) -> None:
    """Add the reproduce command."""
    reproduce = commands.add_parser(
        "reproduce",
        help="re-run a run's config and seed into a new folder; exit 1 if the metrics differ",
    )
    reproduce.add_argument("run", help="a run folder, or its name under --dir")
    reproduce.add_argument(
        "--into", type=Path, help="the new run folder (default: <run>-reproduced beside it)"
    )
    add_root_option(reproduce)
    reproduce.set_defaults(handler=reproduce_run)


def reproduction_overrides(run: RunFolder, into: Path) -> list[str]:
    """The run's own overrides with its recorded seed, written to `into`."""
    record = run.read_reproducibility()
    if not record:
        raise RunFolderError(
            f"'{run.root}' has no reproducibility.json (it was made by an older t5mt)"
        )
    overrides = without_keys(record["overrides"], {"seed", "hydra.run.dir"})
    return [*overrides, f"seed={record['seed']}", f"hydra.run.dir={into}"]


def compare_metrics(original: RunFolder, again: RunFolder) -> list[tuple[str, Any, Any]]:
    """(metric, original, reproduction) for the compared results and the training losses."""
    before, after = flatten(original.read_results()), flatten(again.read_results())
    rows = [(key, before.get(key), after.get(key)) for key in COMPARED]
    losses = [read_curves(run.metrics_csv).get("train/loss", []) for run in (original, again)]
    return [*rows, ("train/loss at every step", *losses)]


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return f"{len(value)} steps, last {value[-1][1]:.6g}" if value else render.MISSING
    return render.MISSING if value is None else render.value(value)


def reproduce_run(args: argparse.Namespace) -> None:
    """Train the run again and print the comparison; exit 1 when anything differs."""
    original = resolve_run(args.run, args.dir)
    into = args.into or original.root.with_name(original.root.name + "-reproduced")
    overrides = reproduction_overrides(original, into)
    _warn_about_code_changes(original.read_reproducibility().get("git", {}))
    print(f"re-running {original.root} into {into}", file=sys.stderr)
    trained = subprocess.run([sys.executable, "-m", "t5mt.train", *overrides], check=False)
    if trained.returncode != 0:
        raise RunFolderError(f"the reproduction failed (exit {trained.returncode}); see {into}")
    table = Table("metric", "original", "reproduction", "equal")
    differences = 0
    for name, before, after in compare_metrics(original, RunFolder(into)):
        differences += before != after
        table.add_row(name, _shown(before), _shown(after), "yes" if before == after else "NO")
    out = render.console()
    out.print(table)
    if differences:
        out.print(f"the reproduction differs from the original in {differences} metric(s)")
        raise SystemExit(1)
    out.print("reproduced exactly")


def _warn_about_code_changes(recorded: dict[str, Any]) -> None:
    now = git_state()
    if recorded.get("commit") and now["commit"] != recorded["commit"]:
        print(
            f"warning: the run was made at commit {recorded['commit'][:12]}, "
            f"the code is now at {str(now['commit'])[:12]}",
            file=sys.stderr,
        )
    if recorded.get("dirty"):
        print("warning: the run was made from uncommitted code (see its git.diff)", file=sys.stderr)
