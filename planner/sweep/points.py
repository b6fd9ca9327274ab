"""The points of a sweep and their keys.

A point is one combination of the varied values (the cartesian product of the
parameters, the first varying slowest) with the scenario it makes. Its key is a hash of
that scenario (as JSON, without ``name`` and ``description``), and a sweep's id is a
hash of its region, base scenario and parameter values
(:attr:`planner.sweep.SweepDefinition.id`). Both are content hashes, so running the same
definition again finds the same rows in the database (:class:`planner.store.Store`,
tables ``sweeps`` and ``sweep_points``) and only the points not done yet are computed.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from planner.i18n import PlannerError
from planner.scenario import Scenario, ScenarioProblem, set_path

if TYPE_CHECKING:
    from planner.sweep.definition import SweepParameter

__all__ = ["SweepPoint"]

#: Hexadecimal characters of a point key or sweep id.
_KEY_CHARS = 16


@dataclass(frozen=True)
class SweepPoint:
    """One combination of values.

    Attributes
    ----------
    index
        Position in the sweep (the first parameter varies slowest).
    key
        Hash of the point's scenario (see the module notes).
    params
        ``{path: value}``.
    scenario
        The point's scenario, or ``None`` when the values make it invalid.
    error
        Why the scenario is invalid.
    """

    index: int
    key: str
    params: dict[str, Any]
    scenario: Scenario | None
    error: PlannerError | None = None

    def row(self) -> dict[str, Any]:
        """What :meth:`planner.store.Store.start_sweep` stores about the point."""
        scenario = self.scenario.to_dict() if self.scenario is not None else None
        return {"key": self.key, "index": self.index, "params": self.params, "scenario": scenario}


def _build_points(
    base_scenario: Scenario, parameters: Sequence[SweepParameter]
) -> Iterator[SweepPoint]:
    """Every point of ``parameters`` over ``base_scenario``, in sweep order; a point
    whose values make an invalid scenario has none, and the error instead."""
    base = base_scenario.to_dict()
    paths = [p.path for p in parameters]
    combos = itertools.product(*(p.values for p in parameters))
    for index, combo in enumerate(combos):
        params = dict(zip(paths, combo, strict=True))
        data = json.loads(json.dumps(base))
        for path, value in params.items():
            set_path(data, path, value)
        label = ", ".join(f"{p}={_label(v)}" for p, v in params.items())
        data["name"] = f"{base_scenario.name} · {label}"
        try:
            scenario = Scenario.from_dict(data)
        except PlannerError as err:
            yield SweepPoint(index, _digest(_identity(data)), params, None, err)
            continue
        yield SweepPoint(index, _digest(_identity(scenario.to_dict())), params, scenario)


def _check_distinct(points: Sequence[SweepPoint]) -> None:
    """Two combinations that give one scenario would share a key (e.g. 40 and 40.0)."""
    first: dict[str, SweepPoint] = {}
    for point in points:
        if point.key in first:
            other = first[point.key]
            params = ", ".join(f"{p}={_label(v)}" for p, v in point.params.items())
            raise PlannerError(
                "sweep.invalid",
                details=[
                    ScenarioProblem(
                        "sweep.duplicate_points",
                        {"first": other.index + 1, "second": point.index + 1, "params": params},
                    )
                ],
            )
        first[point.key] = point


def _identity(data: dict[str, Any]) -> dict[str, Any]:
    """What a scenario's hash covers: everything but its labels."""
    return {k: v for k, v in data.items() if k not in ("name", "description")}


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _digest(value: Any) -> str:
    return hashlib.sha256(_canonical(value).encode("utf-8")).hexdigest()[:_KEY_CHARS]


def _label(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
