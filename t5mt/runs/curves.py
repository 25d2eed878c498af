"""Learning curves: a run's metrics.csv (Lightning's CSV logger) as one series per metric."""

import csv
from pathlib import Path

from t5mt.errors import RunFolderError

Series = list[tuple[int, float]]


def read_curves(path: Path) -> dict[str, Series]:
    """Each metric column of metrics.csv as (step, value) points in file order.

    Empty cells (rows that log other metrics) are skipped; no file gives {}.
    """
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        if reader.fieldnames is None or "step" not in reader.fieldnames:
            raise RunFolderError(f"{path}: the header has no 'step' column")
        curves: dict[str, Series] = {
            name: [] for name in reader.fieldnames if name not in ("epoch", "step")
        }
        for row in reader:
            step = _number(row["step"], path, reader.line_num, "step")
            for name, series in curves.items():
                if row.get(name):
                    series.append((int(step), _number(row[name], path, reader.line_num, name)))
    return {name: series for name, series in curves.items() if series}


def _number(cell: str | None, path: Path, line: int, column: str) -> float:
    try:
        return float(cell)  # type: ignore[arg-type]  # None (a short row) fails like text
    except (TypeError, ValueError):
        raise RunFolderError(f"{path}, line {line}: {column} is {cell!r}, not a number") from None
