"""Scored sentences on disk: `<name>.hyp` beside its `<name>.src` and reference streams
`<name>.ref`, `<name>.ref2`, … (a run's test.*, and evaluate's eval/<name>.*)."""

from pathlib import Path

from t5mt.run_folder.files import write_lines_atomic


def sources_path(hypotheses: Path) -> Path:
    """The source sentences of a hypothesis file."""
    return hypotheses.with_suffix(".src")


def reference_path(hypotheses: Path, stream: int = 0) -> Path:
    """Reference stream `stream` (from 0) of a hypothesis file: .ref, .ref2, .ref3, …"""
    return hypotheses.with_suffix(".ref" if stream == 0 else f".ref{stream + 1}")


def reference_paths(hypotheses: Path) -> list[Path]:
    """The reference streams that exist beside a hypothesis file, in order."""
    paths = []
    while (path := reference_path(hypotheses, len(paths))).is_file():
        paths.append(path)
    return paths


def write_scored(
    hypotheses_file: Path,
    sources: list[str],
    references: list[list[str]],
    hypotheses: list[str],
) -> None:
    """Write the hypotheses, their sources and every reference stream beside each other."""
    write_lines_atomic(sources_path(hypotheses_file), sources)
    for stream, lines in enumerate(references):
        write_lines_atomic(reference_path(hypotheses_file, stream), lines)
    write_lines_atomic(hypotheses_file, hypotheses)
