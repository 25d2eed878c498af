"""`python -m t5mt.runs <command>`: reports on run folders."""

import argparse

from t5mt.cli import reported_errors
from t5mt.runs import compare, plot, report, reproduce, table

# Each module's register() adds its subcommands, each with a `handler(args)` default.
COMMANDS = (table, compare, plot, report, reproduce)

EXAMPLES = """examples:
  python -m t5mt.runs ls                                   # every run under outputs/
  python -m t5mt.runs ls outputs/multirun --sort val_bleu --reverse
  python -m t5mt.runs ls outputs/multirun/2026-11-27/08-00-00 --group   # mean ± std over seeds
  python -m t5mt.runs show 2026-11-27/06-30-00             # by path, or a unique end of it
  python -m t5mt.runs compare 06-30-00 07-12-45            # + paired bootstrap / randomisation
  python -m t5mt.runs compare <run>/eval/test.hyp <run>/eval/beam4.hyp
  python -m t5mt.runs best outputs/multirun/2026-11-27/08-00-00 --metric test
  python -m t5mt.runs plot 06-30-00                        # <run>/plots/learning_curves.png
  python -m t5mt.runs plot outputs/multirun/2026-11-27/08-00-00   # <sweep>/plots/sweep.png
  python -m t5mt.runs report outputs/multirun/2026-11-27/08-00-00 # <sweep>/report.html
  python -m t5mt.runs reproduce 06-30-00                   # train again, compare the metrics
"""


def parser() -> argparse.ArgumentParser:
    """The command line with every command's subparser."""
    cli = argparse.ArgumentParser(
        prog="python -m t5mt.runs",
        description="Reports on t5mt run folders: tables, comparisons, the best job, plots, "
        "an HTML report. "
        "A run is given by its folder or by its path under --dir (default outputs/), "
        "or any unique end of that path.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = cli.add_subparsers(title="commands", metavar="<command>", required=True)
    for module in COMMANDS:
        module.register(commands)
    return cli


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run the command; known errors exit 2 with `error: ...`."""
    args = parser().parse_args(argv)
    with reported_errors():
        args.handler(args)


if __name__ == "__main__":
    main()
