"""A sweep as the sweep page's form describes it: typed numbers to a checked definition.

The form has the range of ``stations.count`` (start, stop, step) and, optionally, a
second parameter with a list of values, all typed as text. :func:`build_definition`
reads them (every problem in the planner's language, nothing converted without a word),
then lets :meth:`planner.sweep.SweepDefinition.from_dict` check ranges, limits and every
point's scenario. Labels of the varied parameters are here too, for the page, its
tables and its charts. Nothing here draws a widget.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from planner.i18n import PlannerError, t
from planner.scenario import Scenario, default_scenario
from planner.sweep import SweepDefinition
from planner.sweep.curve import STATION_PATH, SweepCurve

__all__ = [
    "PREFILL_STEPS",
    "SECOND_PARAMETERS",
    "WHOLE",
    "build_definition",
    "curve_text",
    "definition_text",
    "param_label",
    "params_text",
    "prefill",
    "preview_count",
    "value_text",
]

#: Optional second parameter: the scenario paths offered (numbers; "" = none).
SECOND_PARAMETERS = ("", "stations.radius_urban_m", "stations.radius_rural_m", "centres.count")
#: Parameters whose values must be whole numbers.
WHOLE = ("stations.count", "centres.count")
#: Points of the prefilled range: start, start + step, … (Jinjiang 80: 40, 60 … 200).
PREFILL_STEPS = 8
#: Parameter (``stations.count`` and the :data:`SECOND_PARAMETERS`) -> its name.
_PARAM_LABEL = {
    "stations.count": "ui.sw.param.stations.count",
    "stations.radius_urban_m": "ui.sw.param.stations.radius_urban_m",
    "stations.radius_rural_m": "ui.sw.param.stations.radius_rural_m",
    "centres.count": "ui.sw.param.centres.count",
}
#: What separates the values of a list typed by the planner.
_SEPARATORS = r"[,，;；、\s]+"


# --- labels ------------------------------------------------------------------------------


def param_label(path: str, lang: str) -> str:
    """A varied parameter's name in ``lang`` (the dotted path when it has none)."""
    key = _PARAM_LABEL.get(path)
    return t(key, lang) if key else path


def value_text(value: Any) -> str:
    """A parameter value as written in labels: ``300``, ``2.5``."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def params_text(params: Mapping[str, Any], lang: str) -> str:
    """``回收站点数量 = 120, 城镇覆盖半径（米） = 300``."""
    return ", ".join(f"{param_label(p, lang)} = {value_text(v)}" for p, v in params.items())


def curve_text(curve: SweepCurve, row: Mapping[str, Any], lang: str) -> str:
    """The curve a table row belongs to, in words: its values of the varied parameters
    other than the number of stations (empty when only that is varied)."""
    return params_text({p: row[p] for p in curve.parameters if p != STATION_PATH}, lang)


def definition_text(definition: Mapping[str, Any], lang: str) -> str:
    """The varied values of a stored definition: ``回收站点数量: 40, 60; …``."""
    params = definition.get("parameters", {})
    return "; ".join(
        f"{param_label(p, lang)}: {', '.join(map(value_text, v))}" for p, v in params.items()
    )


# --- the definition ----------------------------------------------------------------------


def _parse_number(text: Any, field: str, whole: bool, lang: str) -> tuple[Any, str | None]:
    """A number typed by the planner: ``(value, None)`` or ``(None, message)``."""
    raw = str(text if text is not None else "").strip()
    if not raw:
        return None, t("ui.sw.err.empty", lang, field=field)
    try:
        number = float(raw.replace(",", "").replace("，", ""))
    except ValueError:
        return None, t("ui.sw.err.number", lang, field=field, value=raw)
    if not math.isfinite(number):
        return None, t("ui.sw.err.number", lang, field=field, value=raw)
    if number.is_integer():
        return int(number), None
    if whole:
        return None, t("ui.sw.err.whole", lang, field=field, value=raw)
    return number, None


def _parts(text: Any) -> list[str]:
    return [p for p in re.split(_SEPARATORS, str(text or "").strip()) if p]


def _parse_list(text: Any, field: str, whole: bool, lang: str) -> tuple[list, list[str]]:
    parts = _parts(text)
    if not parts:
        return [], [t("ui.sw.err.empty", lang, field=field)]
    values, problems = [], []
    for part in parts:
        value, problem = _parse_number(part, field, whole, lang)
        if problem:
            problems.append(problem)
        else:
            values.append(value)
    return values, problems


def build_definition(
    region_id: str, base: Scenario, form: Mapping[str, Any], lang: str
) -> tuple[SweepDefinition | None, list[str]]:
    """The sweep the form describes, or the problems with it (in ``lang``).

    Parameters
    ----------
    region_id
        The region.
    base
        The base scenario.
    form
        ``start``, ``stop``, ``step`` (text), ``second`` (a path of
        :data:`SECOND_PARAMETERS`), ``values`` (text) and ``name``.
    lang
        Language of the problems.

    Returns
    -------
    tuple
        ``(definition, [])`` or ``(None, problems)``: numbers first, then every problem
        :meth:`SweepDefinition.from_dict` finds, then points whose scenario is invalid.
    """
    problems: list[str] = []
    bounds = {}
    for part, label in (("start", "ui.sw.start_value"), ("stop", "ui.sw.stop_value"),
                        ("step", "ui.sw.step_value")):  # fmt: skip
        value, problem = _parse_number(form.get(part), t(label, lang), True, lang)
        bounds[part] = value
        if problem:
            problems.append(problem)
    parameters: dict[str, Any] = {STATION_PATH: bounds}
    second = form.get("second") or ""
    if second:
        field = t("ui.sw.values", lang, param=param_label(second, lang))
        values, found = _parse_list(form.get("values"), field, second in WHOLE, lang)
        problems += found
        parameters[second] = values
    if problems:
        return None, problems
    name = str(form.get("name") or "").strip() or t(
        "ui.sw.default_name", lang, base=base.name, start=bounds["start"], stop=bounds["stop"]
    )
    data = {"region": region_id, "name": name, "base": base.to_dict(), "parameters": parameters}
    try:
        definition = SweepDefinition.from_dict(data, region=region_id)
    except PlannerError as err:
        return None, [err.message(lang)]
    for point in definition.points():
        if point.scenario is None:
            problems.append(
                t("ui.sw.err.point", lang, index=point.index + 1,
                  params=params_text(point.params, lang),
                  message=point.error.message(lang) if point.error else "")
            )  # fmt: skip
    return (None, problems) if problems else (definition, [])


def preview_count(form: Mapping[str, Any]) -> int | None:
    """How many points the form makes, when its numbers make sense (for a hint)."""
    try:
        start, stop, step = (
            float(str(form.get(k) or "").strip()) for k in ("start", "stop", "step")
        )
    except ValueError:
        return None
    if not all(map(math.isfinite, (start, stop, step))) or step <= 0 or stop < start:
        return None
    count = math.floor((stop - start) / step * (1 + 1e-12) + 1e-9) + 1
    if form.get("second"):
        count *= max(len(_parts(form.get("values"))), 1)
    return count


def prefill(base: Scenario, region_id: str) -> tuple[int, int, int]:
    """Start, stop and step around the base's number of stations: Jinjiang 80 → 40…200."""
    count = base.stations.count or default_scenario(region_id).stations.count or 100
    start = max(10, round(count / 2 / 10) * 10)
    step = max(10, round(count * 2 / PREFILL_STEPS / 10) * 10)
    return start, start + PREFILL_STEPS * step, step
