"""A run's configuration as the contract sees it: overrides, their keys, and differences."""

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from t5mt.errors import RunFolderError

_ABSENT = object()  # a key one config lacks differs from any value, None included


def override_key(override: str) -> str:
    """The config key of a Hydra override such as `+a.b=1`, `++a=2` or `~c`."""
    return override.lstrip("+~").split("=", 1)[0]


def read_overrides(path: Path) -> tuple[str, ...]:
    """The command-line overrides in a Hydra `overrides.yaml` (`key=value` strings); none when
    the file does not exist."""
    if not path.is_file():
        return ()
    try:
        overrides = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise RunFolderError(f"{path}: not a YAML list of overrides ({error})") from None
    if not isinstance(overrides, list):
        raise RunFolderError(f"{path}: not a YAML list of overrides")
    return tuple(str(override) for override in overrides)


def without_keys(overrides: Sequence[str], keys: set[str]) -> list[str]:
    """`overrides` less those that set one of `keys`."""
    return [override for override in overrides if override_key(override) not in keys]


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as one level of dotted keys: {"val": {"bleu": 1}} → {"val.bleu": 1}."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def config_differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The dotted keys whose values differ between two nested configs, sorted; a key that one
    config lacks differs from any value the other has, None included."""
    old_flat, new_flat = flatten(old), flatten(new)
    return sorted(
        key
        for key in old_flat.keys() | new_flat.keys()
        if old_flat.get(key, _ABSENT) != new_flat.get(key, _ABSENT)
    )


def relocated(config: Any, old: str, new: str) -> Any:
    """`config` with every string's `old` (a run folder's path) replaced by `new`: a run that
    was moved is the same run."""
    if isinstance(config, Mapping):
        return {key: relocated(item, old, new) for key, item in config.items()}
    if isinstance(config, list):
        return [relocated(item, old, new) for item in config]
    return config.replace(old, new) if isinstance(config, str) else config
