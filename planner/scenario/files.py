"""Reading scenario and sweep files (JSON, YAML, TOML) within bounds.

A file may be at most ``limit("scenario_kb")`` KB and hold at most
``limit("scenario_nodes")`` values once YAML aliases are expanded (:mod:`planner.limits`),
so a YAML file whose aliases expand to millions of values is refused before it is built.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from planner.i18n import PlannerError, Text
from planner.limits import LIMITS, check_limit, limit

__all__ = ["read_data_file"]


class _Recursive(Exception):
    """A YAML alias inside its own anchor."""


def read_data_file(
    path: str | Path,
    *,
    bad_file: str = "scenario.bad_file",
    unsupported: str = "scenario.unsupported_format",
) -> Any:
    """Parse a JSON, YAML or TOML file within the scenario-file limits.

    The file may be at most ``limit("scenario_kb")`` KB (only that much is read, so
    ``/dev/zero`` is refused too) and hold at most ``limit("scenario_nodes")`` values
    once YAML aliases are expanded; the expanded text may not exceed the file limit
    either. A 400-byte "billion laughs" file is refused before it is built.

    Parameters
    ----------
    path
        The file; its suffix picks the format.
    bad_file, unsupported
        Message keys for an unreadable file (``{path}``, ``{error}``) and an unknown
        suffix (``{suffix}``), so a sweep file is named as such.

    Raises
    ------
    PlannerError
        ``unsupported``, ``bad_file`` or ``limit.exceeded``.
    """
    path = Path(path)
    if path.suffix.lower() not in (".json", ".yaml", ".yml", ".toml"):
        raise PlannerError(unsupported, suffix=path.suffix or path.name)
    max_bytes = int(limit("scenario_kb") * 1024)
    try:
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
        size = max(len(raw), path.stat().st_size)
        check_limit("scenario_kb", math.ceil(size / 1024))
        text = raw.decode("utf-8-sig")
        suffix = path.suffix.lower()
        if suffix == ".json":
            data = json.loads(text)
        elif suffix == ".toml":
            data = tomllib.loads(text)
        else:
            return _load_yaml(text, max_bytes)
        check_limit("scenario_nodes", _count_values(data))
        return data
    except RecursionError as err:
        raise PlannerError(bad_file, path=path, error=Text("scenario.too_deep")) from err
    except _Recursive as err:
        raise PlannerError(bad_file, path=path, error=Text("scenario.yaml_recursive")) from err
    except (OSError, ValueError, yaml.YAMLError) as err:
        raise PlannerError(bad_file, path=path, error=_one_line(err)) from err


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())


def _load_yaml(text: str, max_bytes: int) -> Any:
    """Compose the YAML node graph, measure it with aliases expanded, then build it."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        values, chars = _expanded_size(node)
        check_limit("scenario_nodes", values)
        if chars > max_bytes:
            raise PlannerError(
                "scenario.expanded_too_large",
                value=f"{math.ceil(chars / 1024):,}",
                maximum=f"{max_bytes // 1024:,}",
                env=LIMITS["scenario_kb"].env,
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _expanded_size(root: yaml.Node) -> tuple[int, int]:
    """(values, scalar characters) of a YAML node graph with every alias expanded.

    An alias is the same node object as its anchor, so sizes are memoised per node:
    the count is exact (it may be astronomically large) without expanding anything.
    """
    sizes: dict[int, tuple[int, int]] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node) -> tuple[int, int]:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise _Recursive
        open_nodes.add(key)
        if isinstance(node, yaml.ScalarNode):
            result = (1, len(node.value))
        else:
            children = (
                [part for pair in node.value for part in pair]
                if isinstance(node, yaml.MappingNode)
                else node.value
            )
            values, chars = 1, 0
            for child in children:
                v, c = size(child)
                values, chars = values + v, chars + c
            result = (values, chars)
        open_nodes.discard(key)
        sizes[key] = result
        return result

    return size(root)


def _count_values(data: Any) -> int:
    """Values in parsed JSON/TOML data (no aliases there: a plain walk)."""
    count, stack = 0, [data]
    while stack:
        item = stack.pop()
        count += 1
        if isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return count
