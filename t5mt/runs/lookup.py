"""Finding run folders under a folder, and resolving a run given by path or by name."""

import argparse
import difflib
from pathlib import Path

from t5mt.errors import RunFolderError
from t5mt.runs import RunFolder

DEFAULT_ROOT = Path("outputs")


def find_runs(directory: Path) -> list[RunFolder]:
    """Every run folder (a folder with .hydra/config.yaml) at or below `directory`, by path."""
    if not directory.is_dir():
        raise RunFolderError(f"'{directory}' is not a folder")
    roots = {config.parent.parent for config in directory.rglob(".hydra/config.yaml")}
    return [RunFolder(root) for root in sorted(roots, key=natural_key)]


def natural_key(path: Path) -> list[tuple[int, str]]:
    """A sort key for paths that puts sweep job 2 before job 10."""
    return [(0, f"{int(part):020d}") if part.isdigit() else (1, part) for part in path.parts]


def run_name(run: RunFolder, directory: Path) -> str:
    """The run's path relative to `directory`: the name that reports show and accept."""
    return run.root.relative_to(directory).as_posix()


def resolve_run(name_or_path: str, root: Path = DEFAULT_ROOT) -> RunFolder:
    """The run at a path, or the one run under `root` whose path ends with `name_or_path`
    (`2026-11-27/06-30-00`, `06-30-00`, `multirun/2026-11-27/07-00-00/3`).

    Raises RunFolderError naming the closest runs when there is no such run, or the
    candidates when the name fits several.
    """
    path = Path(name_or_path)
    if RunFolder(path).config.is_file():
        return RunFolder(path)
    if path.is_dir():
        raise RunFolderError(f"'{path}' is not a t5mt run folder: it has no .hydra/config.yaml")
    if not root.is_dir():
        raise RunFolderError(
            f"no run folder '{name_or_path}', and no folder '{root}' to look it up by name in "
            "(run from the project folder or pass --dir)"
        )
    runs = {run_name(run, root): run for run in find_runs(root)}
    wanted = path.parts
    matches = [name for name in runs if Path(name).parts[-len(wanted) :] == wanted]
    if len(matches) == 1:
        return runs[matches[0]]
    if matches:
        raise RunFolderError(
            f"'{name_or_path}' fits {len(matches)} runs under '{root}': {', '.join(matches)}; "
            "give more of the path"
        )
    closest = closest_names(name_or_path, list(runs))
    hint = f"closest: {', '.join(closest)}" if closest else f"it has {len(runs)} runs (see ls)"
    raise RunFolderError(f"no run '{name_or_path}' under '{root}'; {hint}")


def closest_names(name: str, names: list[str], count: int = 5) -> list[str]:
    """The names most like `name`, comparing it with every run of as many path parts as it has
    (so that a sweep's time suggests its jobs)."""
    depth = len(Path(name).parts)

    def likeness(candidate: str) -> float:
        parts = Path(candidate).parts
        windows = ("/".join(parts[i : i + depth]) for i in range(max(len(parts) - depth, 0) + 1))
        return max(difflib.SequenceMatcher(None, name, window).ratio() for window in windows)

    ranked = sorted(names, key=likeness, reverse=True)
    return [candidate for candidate in ranked[:count] if likeness(candidate) >= 0.6]


def add_root_option(parser: argparse.ArgumentParser) -> None:
    """--dir: where commands look up runs given by name."""
    parser.add_argument(
        "--dir",
        type=Path,
        default=DEFAULT_ROOT,
        help="where to look up runs given by name (default: %(default)s)",
    )
