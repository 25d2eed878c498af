"""Finding run folders: every run under a folder, the latest, one by path or by name, and a
fresh folder for a new run that no other command can take."""

import difflib
from pathlib import Path

from t5mt.errors import RunFolderError
from t5mt.run_folder.layout import RunFolder

DEFAULT_ROOT = Path("outputs")

_claimed: dict[str, str] = {}  # base path → the folder this process claimed for it


def new_run_dir(base: str) -> str:
    """A new, empty folder at `base` (such as `outputs/<date>/<time>`), or at `base-2`,
    `base-3`, … when another run has it: creating a folder is atomic, so two runs started in
    the same second get two folders. The same `base` gives the same folder within a process
    (Hydra resolves its run directory more than once)."""
    if base not in _claimed:
        Path(base).parent.mkdir(parents=True, exist_ok=True)
        candidate, number = base, 1
        while True:
            try:
                Path(candidate).mkdir()
                break
            except FileExistsError:
                number += 1
                candidate = f"{base}-{number}"
        _claimed[base] = candidate
    return _claimed[base]


def find_runs(directory: Path) -> list[RunFolder]:
    """Every run folder at or below `directory`, in natural order of their paths."""
    if not directory.is_dir():
        raise RunFolderError(f"'{directory}' is not a folder")
    roots = {config.parent.parent for config in directory.rglob(".hydra/config.yaml")}
    return [RunFolder(root) for root in sorted(roots, key=natural_key)]


def latest_run(directory: Path) -> RunFolder:
    """The most recently started run at or below `directory` (single runs and sweep jobs)."""
    runs = find_runs(directory) if directory.is_dir() else []
    if not runs:
        raise RunFolderError(f"there are no runs under '{directory}'")
    return max(runs, key=lambda run: run.read_status().get("started", ""))


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
    if path.is_dir():
        return RunFolder.at(path)
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
