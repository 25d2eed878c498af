"""`compare <run> <run>`: what differs between two runs' configs, and their results side by side."""

import argparse
from typing import Any

import yaml
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException
from rich.table import Table

from t5mt.errors import RunFolderError
from t5mt.runs import RunFolder, read_json, render
from t5mt.runs.lookup import add_root_option, resolve_run
from t5mt.runs.summary import flatten

_ABSENT = object()  # a key one config lacks differs from any value, None included


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
    config_a, config_b = flat_config(first), flat_config(second)
    keys = sorted(config_a.keys() | config_b.keys())
    changed = [key for key in keys if config_a.get(key, _ABSENT) != config_b.get(key, _ABSENT)]
    if changed:
        table = Table("config key", "A", "B", title="config differences")
        for key in changed:
            table.add_row(key, _cell(config_a, key), _cell(config_b, key))
        out.print(table)
    else:
        out.print("the configs are the same")

    results_a, results_b = flatten(read_json(first.results)), flatten(read_json(second.results))
    table = Table("result", "A", "B", "B − A", title="results")
    for key in dict.fromkeys([*results_a, *results_b]):
        a, b = results_a.get(key), results_b.get(key)
        table.add_row(key, _cell(results_a, key), _cell(results_b, key), _change(a, b))
    out.print(table)


def flat_config(run: RunFolder) -> dict[str, Any]:
    """The run's config as dotted keys, interpolations unresolved (as Hydra saved it)."""
    try:
        config = OmegaConf.to_container(OmegaConf.load(run.config), resolve=False)
    except (yaml.YAMLError, OmegaConfBaseException) as error:
        raise RunFolderError(f"{run.config}: not a readable config ({error})") from None
    return flatten(config) if isinstance(config, dict) else {}


def _cell(values: dict[str, Any], key: str) -> str:
    return render.value(values[key]) if key in values else render.MISSING


def _change(a: Any, b: Any) -> str:
    """b − a for two numbers (not booleans), else nothing."""
    if all(isinstance(x, int | float) and not isinstance(x, bool) for x in (a, b)):
        return f"{b - a:+.4g}"
    return ""
