"""Resource limits: how big an upload, a file, a table or an instance may be.

Every limit has a documented default and an environment variable that a bureau with
bigger files can raise (or a cautious deployment can lower). Limits are read when they
are checked, not at import, so a changed variable takes effect for the next upload or
run. A limit that is exceeded raises :class:`~planner.i18n.PlannerError` with key
``limit.exceeded`` naming what was too big, the limit and the variable that sets it.

The README's "Limits and safety" section lists the same table; a test keeps the two
in step.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from planner import format as fmt
from planner.i18n import PlannerError, Text, t

__all__ = [
    "LIMITS",
    "Limit",
    "check_limit",
    "limit",
    "upload_ceiling_mb",
]


@dataclass(frozen=True)
class Limit:
    """One resource limit.

    Attributes
    ----------
    name
        Short name used in code (``limit("rows")``).
    env
        Environment variable that overrides the default.
    default
        Value used when the variable is unset or not a positive number.
    why
        One line for the README: what the limit protects against.
    """

    name: str
    env: str
    default: float
    why: str

    def label(self, lang: str = "zh") -> str:
        """What is limited, in ``lang``."""
        return t(_LABEL[self.name], lang)


LIMITS: dict[str, Limit] = {
    lim.name: lim
    for lim in (
        Limit(
            "upload_mb",
            "PLANNER_MAX_UPLOAD_MB",
            200,
            "size of one uploaded or imported file",
        ),
        Limit(
            "unzipped_mb",
            "PLANNER_MAX_UNZIPPED_MB",
            500,
            "total unpacked size of a zipped Shapefile or other archive",
        ),
        Limit(
            "zip_ratio",
            "PLANNER_MAX_ZIP_RATIO",
            100,
            "unpacked ÷ packed size of an archive that unpacks to over 10 MB "
            "(zip bombs pack 1,000× or more)",
        ),
        Limit("zip_members", "PLANNER_MAX_ZIP_MEMBERS", 1000, "files inside one archive"),
        Limit(
            "rows",
            "PLANNER_MAX_ROWS",
            200_000,
            "features or rows in one imported layer or population table",
        ),
        Limit(
            "demand",
            "PLANNER_MAX_DEMAND",
            200_000,
            "demand points (communities) of one run",
        ),
        Limit(
            "candidates",
            "PLANNER_MAX_CANDIDATES",
            60_000,
            "candidate sites of one run (a tiny dense_grid_m would create millions)",
        ),
        Limit("scenario_kb", "PLANNER_MAX_SCENARIO_KB", 1024, "size of a scenario or sweep file"),
        Limit(
            "scenario_nodes",
            "PLANNER_MAX_SCENARIO_NODES",
            100_000,
            "values in a scenario or sweep file after YAML aliases are expanded "
            "(a 400-byte 'billion laughs' file expands to millions)",
        ),
        Limit("sweep_points", "PLANNER_MAX_SWEEP_POINTS", 1000, "points of one scenario sweep"),
        Limit(
            "road_mb",
            "PLANNER_MAX_ROAD_MB",
            1024,
            "size of one road-network file (OSM XML of a whole city is large)",
        ),
    )
}


#: Limit name -> the words for what it limits (one per entry of :data:`LIMITS`).
_LABEL = {
    "upload_mb": "limit.upload_mb",
    "unzipped_mb": "limit.unzipped_mb",
    "zip_ratio": "limit.zip_ratio",
    "zip_members": "limit.zip_members",
    "rows": "limit.rows",
    "demand": "limit.demand",
    "candidates": "limit.candidates",
    "scenario_kb": "limit.scenario_kb",
    "scenario_nodes": "limit.scenario_nodes",
    "sweep_points": "limit.sweep_points",
    "road_mb": "limit.road_mb",
}


def limit(name: str) -> float:
    """The current value of limit ``name`` (environment variable, else the default).

    A variable that is not a positive number is ignored (the default applies), so a typo
    cannot switch a limit off.
    """
    lim = LIMITS[name]
    raw = os.environ.get(lim.env)
    if raw is None or not raw.strip():
        return lim.default
    try:
        value = float(raw)
    except ValueError:
        return lim.default
    return value if value > 0 and value == value and value != float("inf") else lim.default


def check_limit(name: str, value: float, /) -> None:
    """Raise ``limit.exceeded`` if ``value`` is above limit ``name``.

    Parameters
    ----------
    name
        A key of :data:`LIMITS`.
    value
        The measured size, in the limit's unit.

    Raises
    ------
    PlannerError
        ``limit.exceeded`` with the label, value, maximum and variable.
    """
    maximum = limit(name)
    if value > maximum:
        lim = LIMITS[name]
        raise PlannerError(
            "limit.exceeded",
            what=Text(_LABEL[lim.name]),
            value=_fmt(value),
            maximum=_fmt(maximum),
            env=lim.env,
        )


def upload_ceiling_mb() -> int:
    """The largest file (MB) any upload box may take: the upload or road-file limit.

    The app's web server is told this figure, so a file above the planner's own limit
    still reaches the planner and is refused with a message in the interface language.
    """
    return int(max(limit("upload_mb"), limit("road_mb")) + 0.999)


def _fmt(value: float) -> str:
    """A size as the limit message writes it: whole (``1,024``) or with one decimal."""
    return fmt.number(value, 0 if float(value).is_integer() else 1)
