"""`plot <run | sweep>`: PNG learning curves of a run, or a sweep's score against each swept
parameter."""

import argparse
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from t5mt.errors import RunFolderError, T5mtError
from t5mt.run_folder import RunFolder, resolve_run
from t5mt.runs.arguments import add_root_option
from t5mt.runs.curves import read_curves
from t5mt.runs.summary import SPLITS, RunSummary
from t5mt.runs.sweep import best_job, load_jobs, swept_parameters

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def register(commands: argparse._SubParsersAction) -> None:
    """Add the plot command."""
    plot = commands.add_parser(
        "plot",
        help="PNG learning curves of a run, or a sweep's BLEU against each swept parameter",
        description="A run: <run>/plots/learning_curves.png (loss and BLEU against step). "
        "A sweep folder (or any folder of runs): <folder>/plots/sweep.png, one panel per "
        "parameter that differs between the runs' overrides.",
    )
    plot.add_argument("target", help="a run folder or name (under --dir), or a sweep folder")
    plot.add_argument(
        "--metric", choices=SPLITS, default="val", help="a sweep's score (default: %(default)s)"
    )
    add_root_option(plot)
    plot.set_defaults(handler=plot_target)


def plot_target(args: argparse.Namespace) -> None:
    """Plot a run's learning curves, or the sweep below a folder that is not a run."""
    target = Path(args.target)
    if target.is_dir() and not RunFolder(target).config.is_file():
        written = plot_sweep(target, load_jobs(target), args.metric)
    else:
        written = plot_learning_curves(resolve_run(args.target, args.dir))
    print(f"wrote {written}")


def plot_learning_curves(run: RunFolder) -> Path:
    """Loss and BLEU against step (train, val, test) into <run>/plots/learning_curves.png."""
    curves = read_curves(run.metrics_csv)
    if not curves:
        raise RunFolderError(
            f"'{run.root}' has no metrics in {run.metrics_csv.name}: nothing to plot"
        )
    plt = _pyplot()
    figure, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    for ax, kind, label in zip(axes, ("loss", "bleu"), ("loss", "BLEU"), strict=True):
        for split, style in (("train", "C0-"), ("val", "C1o-"), ("test", "C2s")):
            points = curves.get(f"{split}/{kind}")
            if points:
                steps, values = zip(*points, strict=True)
                ax.plot(steps, values, style, label=split, markersize=4)
        ax.set(xlabel="step", ylabel=label, title=label)
        ax.grid(alpha=0.3)
        if ax.has_data():
            ax.legend()
    figure.suptitle(str(run.root))
    return _save(figure, run.root / "plots" / "learning_curves.png")


def plot_sweep(directory: Path, jobs: list[RunSummary], split: str) -> Path:
    """The score of each job against each swept parameter into <directory>/plots/sweep.png."""
    swept = swept_parameters(jobs)
    if not swept:
        raise T5mtError(
            f"the {len(jobs)} runs under '{directory}' have the same overrides: "
            "there is no swept parameter to plot against"
        )
    best = jobs.index(best_job(jobs, split))
    scored = [i for i, job in enumerate(jobs) if job.bleu(split) is not None]
    plt = _pyplot()
    figure, axes = plt.subplots(
        1, len(swept), figsize=(4.5 * len(swept), 4), squeeze=False, layout="constrained"
    )
    for ax, (key, values) in zip(axes[0], swept.items(), strict=True):
        positions = _positions(ax, [values[i] for i in scored])
        ax.scatter(positions, [jobs[i].bleu(split) for i in scored], label="runs")
        ax.scatter(
            [positions[scored.index(best)]],
            [jobs[best].bleu(split)],
            marker="*",
            s=200,
            color="tab:red",
            label="best",
        )
        ax.set(xlabel=key, ylabel=SPLITS[split])
        ax.grid(alpha=0.3)
        ax.legend()
    figure.suptitle(f"{directory}: {SPLITS[split]} of {len(jobs)} runs")
    return _save(figure, directory / "plots" / "sweep.png")


def _positions(ax: "Axes", values: list[str]) -> list[float]:
    """x positions of the values: numbers as numbers (log axis over a wide positive range),
    anything else as categories in order of appearance."""
    try:
        numbers = [float(value) for value in values]
    except ValueError:
        categories = list(dict.fromkeys(values))
        ax.set_xticks(range(len(categories)), categories, rotation=20)
        ax.set_xlim(-0.5, len(categories) - 0.5)
        return [float(categories.index(value)) for value in values]
    if min(numbers) > 0 and max(numbers) / min(numbers) >= 10:
        ax.set_xscale("log")
    return numbers


def _pyplot() -> ModuleType:
    """matplotlib's pyplot on the file-only Agg backend, imported only when plotting."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(figure: "Figure", path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    _pyplot().close(figure)
    return path
