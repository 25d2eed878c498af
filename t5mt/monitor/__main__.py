"""`python -m t5mt.monitor report --log <jsonl> --run <run folder> [--out <folder>]`."""

import argparse
import logging
import sys
from pathlib import Path

from t5mt.cli import reported_errors
from t5mt.monitor.report import monitor_report


def parser() -> argparse.ArgumentParser:
    """The command line: one subcommand, `report`."""
    cli = argparse.ArgumentParser(prog="python -m t5mt.monitor", description=__doc__)
    commands = cli.add_subparsers(dest="command", required=True)
    report = commands.add_parser(
        "report",
        help="compare a request log with the run's training data (JSON and HTML report)",
        description="Length distribution, unknown-token rate and character-set mix of the "
        "logged requests against the run's training split: PSI (and KS) with a verdict per "
        "feature. Writes <out>/<log name>.json and .html.",
    )
    report.add_argument("--log", type=Path, required=True, help="the server's request log")
    report.add_argument("--run", type=Path, required=True, help="the run folder it served")
    report.add_argument("--out", type=Path, help="where the report goes (default: <run>/monitor)")
    return cli


def main(argv: list[str] | None = None) -> None:
    """Run the command and print each feature's verdict."""
    args = parser().parse_args(argv)
    # the log goes to standard output, as with the Hydra commands; errors alone to standard error
    logging.basicConfig(
        stream=sys.stdout, level=logging.WARNING, format="[%(name)s][%(levelname)s] - %(message)s"
    )
    with reported_errors():
        result = monitor_report(args.log, args.run, args.out)
    for name, feature in result["features"].items():
        print(f"{name:20} PSI {feature['psi']:8.4f}  {feature['verdict']}")
    out = args.out or args.run / "monitor"
    print(f"overall: {result['verdict']} -> {out / args.log.stem}.json, .html")


if __name__ == "__main__":
    main()
