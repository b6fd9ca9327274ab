"""What an import produced: the new layer and the report, never an exception.

:func:`_reported` runs an import so that every problem, a reader's
:class:`~planner.i18n.PlannerError` and any unexpected exception included, ends up in
the report of an :class:`ImportResult`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import geopandas as gpd

from planner.data.checks import Problem, ValidationReport
from planner.i18n import DEFAULT_LANGUAGE, PlannerError

__all__ = ["ImportResult"]

#: Problems raised by readers that ask the planner to choose rather than fix a file.
_NEEDS_INPUT_KEYS = frozenset({"io.multiple_layers"})


@dataclass(frozen=True)
class ImportResult:
    """What an import produced.

    Attributes
    ----------
    data
        The new layer (EPSG:4326, contract columns), or None when the report has errors
        or questions for the planner.
    report
        Everything found, renderable in Chinese or English.
    coordinate_system
        The system the source coordinates were read as (``"wgs84"``, ``"gcj02"``,
        ``"EPSG:4549"``...), None if undecided or not applicable.
    columns
        Which source column was used for each field, ``{field: column}``.
    """

    data: gpd.GeoDataFrame | None
    report: ValidationReport
    coordinate_system: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict, hash=False)

    @property
    def ok(self) -> bool:
        """Whether the import succeeded."""
        return self.data is not None and self.report.ok

    def messages(self, lang: str | None = None) -> list[str]:
        """The report as lines of text."""
        return self.report.messages(lang)


def _problem_from_error(error: PlannerError) -> Problem:
    """A reader's error as a report problem (``error=`` text becomes the details)."""
    params = dict(error.params)
    examples = tuple(str(e) for e in params.pop("examples", ()) or ())
    count = int(params.pop("count", 1))
    texts = [str(params.pop("error"))] if params.get("error") else []
    texts += [d.message(DEFAULT_LANGUAGE) for d in getattr(error, "details", ())]
    if texts:
        params["details"] = "; ".join(texts)
    severity = "needs_input" if error.key in _NEEDS_INPUT_KEYS else "error"
    return Problem(error.key, severity, count=count, examples=examples, params=params)


def _unexpected(exc: BaseException, name: str = "") -> Problem:
    return Problem(
        "io.unexpected_error",
        "error",
        params={"name": name, "details": f"{type(exc).__name__}: {exc}"[:1000]},
    )


@dataclass
class _Found:
    """What an import has found so far: its problems, and the file's name once read."""

    problems: list[Problem] = field(default_factory=list)
    name: str = ""


#: An import's work: adds its problems to the :class:`_Found` it is given and returns
#: the new layer (or None), the coordinate system read and the columns used.
_Run = Callable[[_Found], tuple[gpd.GeoDataFrame | None, str | None, Mapping[str, str]]]


def _reported(run: _Run, lang: str) -> ImportResult:
    """Run an import and report what it found; never raises.

    A reader's :class:`~planner.i18n.PlannerError` becomes a problem of the report, any
    other exception ``io.unexpected_error`` (with the error as details); the result then
    has no data. Otherwise the layer is returned only when nothing blocks it.
    """
    found = _Found()
    try:
        data, system, columns = run(found)
    except PlannerError as exc:
        found.problems.append(_problem_from_error(exc))
        return ImportResult(None, ValidationReport(tuple(found.problems), lang=lang))
    except Exception as exc:  # last line of defence: never a traceback for the planner
        found.problems.append(_unexpected(exc, found.name))
        return ImportResult(None, ValidationReport(tuple(found.problems), lang=lang))
    report = ValidationReport(tuple(found.problems), lang=lang)
    return ImportResult(data if report.ok else None, report, system, columns)
