"""Strict reading of scenario values: nothing is converted without a word.

:meth:`planner.scenario.Scenario.from_dict` builds the dataclasses with :func:`_build`
and :meth:`~planner.scenario.Scenario.validate` checks a scenario built directly with
:func:`_check_types`. Both go through :func:`_coerce`, which accepts a value of the
field's type or records a :class:`~planner.scenario.problems.ScenarioProblem` naming the
field's dotted path and the value: a string given for a list of site ids is refused, not
split into its characters; ``"false"`` is not read as true; ``40.0`` is a whole number
but ``40.5``, NaN and infinity are not; text may not hold control characters.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from typing import Any, get_args, get_type_hints

from planner.scenario.problems import ScenarioProblem, shown

__all__ = ["CELL_MAXIMUM"]

#: Largest per-county minimum or maximum (and station or centre count): a million
#: stations in one county is a typing slip.
CELL_MAXIMUM = 1_000_000
#: Characters a name or site id may not contain: C0 controls other than tab and line
#: breaks (a NUL truncates the name in SQLite's C API, the GIS drivers and the PDF).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _build(cls: type, data: Any, prefix: str, problems: list[ScenarioProblem]) -> Any:
    """Construct dataclass ``cls`` from ``data``, recording type problems.

    A field with a wrong value keeps its default, so the value checks can still run
    and every problem is reported at once.
    """
    if not isinstance(data, Mapping):
        problems.append(
            ScenarioProblem("scenario.section", {"field": prefix.rstrip("."), "value": shown(data)})
        )
        return cls()
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    for key in data:
        if key not in known:
            problems.append(ScenarioProblem("scenario.unknown_field", {"field": f"{prefix}{key}"}))
    kwargs = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        name, value, hint = prefix + f.name, data[f.name], hints[f.name]
        if is_dataclass(hint):
            kwargs[f.name] = _build(hint, value, name + ".", problems)
            continue
        item_cls = _section_items(hint)
        if item_cls is not None:
            kwargs[f.name] = _build_items(item_cls, value, name, problems)
            continue
        before = len(problems)
        coerced = _coerce(hint, value, name, problems)
        if len(problems) == before:
            kwargs[f.name] = coerced
    return cls(**kwargs)


def _check_types(obj: Any, prefix: str, problems: list[ScenarioProblem]) -> None:
    """The type problems of a dataclass built without :meth:`Scenario.from_dict`."""
    hints = get_type_hints(type(obj))
    for f in fields(obj):
        name, value, hint = prefix + f.name, getattr(obj, f.name), hints[f.name]
        item_cls = _section_items(hint)
        if item_cls is not None:
            if not isinstance(value, tuple):
                problems.append(
                    ScenarioProblem("scenario.section_list", {"field": name, "value": shown(value)})
                )
                continue
            for index, item in enumerate(value, start=1):
                if isinstance(item, item_cls):
                    _check_types(item, f"{name}[{index}].", problems)
                else:
                    problems.append(
                        ScenarioProblem(
                            "scenario.section", {"field": f"{name}[{index}]", "value": shown(item)}
                        )
                    )
        elif is_dataclass(hint):
            if isinstance(value, hint):
                _check_types(value, name + ".", problems)
            else:
                problems.append(
                    ScenarioProblem("scenario.section", {"field": name, "value": shown(value)})
                )
        else:
            _coerce(hint, value, name, problems)


def _section_items(hint: Any) -> type | None:
    """The item class of a list of sections (``tuple[PlannedKind, ...]``), else ``None``."""
    args = get_args(hint)
    if str(hint).startswith("tuple") and args and is_dataclass(args[0]):
        return args[0]
    return None


def _build_items(
    cls: type, value: Any, name: str, problems: list[ScenarioProblem]
) -> tuple[Any, ...]:
    """A list of sections, each built as :func:`_build` builds one (``kinds[2].count``)."""
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        problems.append(
            ScenarioProblem("scenario.section_list", {"field": name, "value": shown(value)})
        )
        return ()
    return tuple(
        _build(cls, item, f"{name}[{index}].", problems)
        for index, item in enumerate(value, start=1)
    )


def _coerce(hint: Any, value: Any, name: str, problems: list[ScenarioProblem]) -> Any:
    """``value`` as type ``hint``, or a problem; never a silent conversion."""
    text = str(hint)

    def bad(key: str, **params: Any) -> None:
        problems.append(ScenarioProblem(key, {"field": name, "value": shown(value), **params}))

    if "Literal" in text:
        choices = get_args(hint)
        if not isinstance(value, str) or value not in choices:
            bad("scenario.choice", choices="/".join(choices))
            return None
        return value
    if hint is bool:
        if not isinstance(value, bool):
            bad("scenario.boolean")
            return None
        return value
    if text.startswith("tuple"):
        return _site_ids(value, name, problems)
    if text.startswith("dict"):
        value_type = get_args(hint)[1] if get_args(hint) else int
        return _county_map(value, name, problems, value_type)
    if hint is str:
        if not isinstance(value, str):
            bad("scenario.text")
            return None
        _control_chars(value, name, problems, allow_breaks=name == "description")
        return value
    if value is None and "None" in text:
        return None
    if "float" in text:
        if isinstance(value, bool) or not isinstance(value, int | float) or not _finite(value):
            bad("scenario.number")
            return None
        return float(value)
    if "int" in text:
        whole = _whole(value)
        if whole is None:
            bad("scenario.integer")
        return whole
    return value  # pragma: no cover - every field type is handled above


def _finite(value: int | float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def _whole(value: Any) -> int | None:
    """``value`` as an int if it is a finite whole number (40 or 40.0), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def _control_chars(
    value: str, name: str, problems: list[ScenarioProblem], *, allow_breaks: bool = False
) -> None:
    found = _CONTROL.search(value) or (None if allow_breaks else re.search(r"[\t\n\r]", value))
    if found:
        char = f"U+{ord(found.group()):04X}"
        problems.append(ScenarioProblem("scenario.control_char", {"field": name, "char": char}))


def _site_ids(value: Any, name: str, problems: list[ScenarioProblem]) -> tuple[str, ...] | None:
    """A list of site ids: text, or whole numbers as YAML reads an unquoted code."""
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        problems.append(ScenarioProblem("scenario.id_list", {"field": name, "value": shown(value)}))
        return None
    ids: list[str] = []
    before = len(problems)
    for index, item in enumerate(value, start=1):
        if isinstance(item, str) and item.strip():
            _control_chars(item, name, problems)
            ids.append(item.strip())
        elif isinstance(item, int) and not isinstance(item, bool) and item >= 0:
            ids.append(str(item))
        else:
            problems.append(
                ScenarioProblem(
                    "scenario.id_item", {"field": name, "index": index, "value": shown(item)}
                )
            )
    return tuple(ids) if len(problems) == before else None


def _county_map(
    value: Any, name: str, problems: list[ScenarioProblem], value_type: type = int
) -> dict[str, Any] | None:
    """Code -> value: a whole number 0 … :data:`CELL_MAXIMUM` (``int``: per-county counts),
    a finite number ≥ 0 (``float``: amounts in yuan) or text (``str``: a site's action or
    the reason for it)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append(
            ScenarioProblem("scenario.county_map", {"field": name, "value": shown(value)})
        )
        return None
    out: dict[str, Any] = {}
    before = len(problems)
    for key, number in value.items():
        path = f"{name}.{key}"
        if isinstance(key, bool) or not isinstance(key, str | int):
            problems.append(
                ScenarioProblem("scenario.county_map", {"field": name, "value": shown(value)})
            )
            continue
        if value_type is not int:
            item = _map_value(number, path, problems, value_type)
            if item is not None:
                out[str(key)] = item
            continue
        whole = _whole(number)
        if whole is None:
            problems.append(
                ScenarioProblem("scenario.integer", {"field": path, "value": shown(number)})
            )
        elif whole < 0:
            problems.append(
                ScenarioProblem("scenario.non_negative", {"field": path, "value": whole})
            )
        elif whole > CELL_MAXIMUM:
            problems.append(
                ScenarioProblem(
                    "scenario.at_most",
                    {"field": path, "value": shown(whole), "maximum": shown(CELL_MAXIMUM)},
                )
            )
        else:
            out[str(key)] = whole
    return out if len(problems) == before else None


def _map_value(value: Any, path: str, problems: list[ScenarioProblem], value_type: type) -> Any:
    """One value of a ``dict[str, float]`` (≥ 0, finite) or ``dict[str, str]`` map."""
    if value_type is str:
        if not isinstance(value, str):
            problems.append(
                ScenarioProblem("scenario.text", {"field": path, "value": shown(value)})
            )
            return None
        _control_chars(value, path, problems)
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not _finite(value):
        problems.append(ScenarioProblem("scenario.number", {"field": path, "value": shown(value)}))
        return None
    if value < 0:
        problems.append(ScenarioProblem("scenario.non_negative", {"field": path, "value": value}))
        return None
    return float(value)
