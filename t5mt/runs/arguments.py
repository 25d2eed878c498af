"""Command-line options that several reports share."""

import argparse
from pathlib import Path

from t5mt.run_folder import DEFAULT_ROOT


def add_root_option(parser: argparse.ArgumentParser) -> None:
    """--dir: where commands look up runs given by name."""
    parser.add_argument(
        "--dir",
        type=Path,
        default=DEFAULT_ROOT,
        help="where to look up runs given by name (default: %(default)s)",
    )
