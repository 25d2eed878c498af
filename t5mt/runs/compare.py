"""`compare <run> <run>`: what differs between two runs' configs, and their results side by side."""

import argparse
from typing import Any

import yaml
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException
from rich.table import Table

from t5mt.errors import RunFolderError
from t5mt.run_folder import RunFolder, config_differences, flatten, resolve_run
from t5mt.runs import render
from t5mt.runs.arguments import add_root_option


def register(commands: argparse._SubParsersAction) -> None:
    """Add the compare command."""
    compare = commands.add_parser("compare", help="config diff and metric diff of two runs")
    compare.add_argument("first", help="a run folder, or its name under --dir")
    compare.add_argument("second", help="a run folder, or its name under --dir")
    add_root_option(compare)
    compare.set_defaults(handler=compare_runs)


def compare_runs(args: argparse.Namespace) -> None:
    """Print the config keys that differ, then every result with the change from first to second."""
    first, second = resolve_run(args.first, args.dir), resolve_run(args.second, args.dir)
    out = render.console()
    out.print(f"A: {first.root}\nB: {second.root}", soft_wrap=True)
    config_a, config_b = saved_config(first), saved_config(second)
    changed = config_differences(config_a, config_b)
    if changed:
        flat_a, flat_b = flatten(config_a), flatten(config_b)
        table = Table("config key", "A", "B", title="config differences")
        for key in changed:
            table.add_row(key, _cell(flat_a, key), _cell(flat_b, key))
        out.print(table)
    else:
        out.print("the configs are the same")

    results_a, results_b = flatten(first.read_results()), flatten(second.read_results())
    table = Table("result", "A", "B", "B − A", title="results")
    for key in dict.fromkeys([*results_a, *results_b]):
        a, b = results_a.get(key), results_b.get(key)
        table.add_row(key, _cell(results_a, key), _cell(results_b, key), _change(a, b))
    out.print(table)


def saved_config(run: RunFolder) -> dict[str, Any]:
    """The run's config as Hydra saved it, interpolations unresolved (so that each run's own
    folder, `${paths.run_dir}`, is no difference)."""
    try:
        config = OmegaConf.to_container(OmegaConf.load(run.config), resolve=False)
    except (yaml.YAMLError, OmegaConfBaseException) as error:
        raise RunFolderError(f"{run.config}: not a readable config ({error})") from None
    return config if isinstance(config, dict) else {}


def _cell(values: dict[str, Any], key: str) -> str:
    return render.value(values[key]) if key in values else render.MISSING


def _change(a: Any, b: Any) -> str:
    """b − a for two numbers (not booleans), else nothing."""
    if all(isinstance(x, int | float) and not isinstance(x, bool) for x in (a, b)):
        return f"{b - a:+.4g}"
    return ""
