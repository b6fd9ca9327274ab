"""What an import would do to a region: :class:`Outcome` of one file, :class:`CityOutcome`
of a new city's uploads."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd

from planner.data import io as planner_io
from planner.data.checks import Problem, ValidationReport
from planner.data.edit.uploads import ImportFile
from planner.data.regions import Region

__all__ = ["CityOutcome", "Outcome"]

logger = logging.getLogger("planner.data.edit")


@dataclass(frozen=True)
class Outcome:
    """What one import would do to a region.

    Attributes
    ----------
    target
        ``counties``, ``townships``, ``communities``, ``sites`` or ``population``.
    level
        The layer the import changes.
    report
        The reader's report plus the panel's own notes.
    layer
        The new layer, or None when the import is refused or needs a choice.
    region
        The region with the new layer, or None. The input region is never modified.
    coordinate_system, columns
        As in :class:`planner.data.io.ImportResult`.
    file_name
        The uploaded file's name.
    """

    target: str
    level: str
    report: ValidationReport
    layer: gpd.GeoDataFrame | None = None
    region: Region | None = None
    coordinate_system: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    file_name: str = ""

    @property
    def ok(self) -> bool:
        """Whether the import succeeded (a new layer is available)."""
        return self.layer is not None and self.report.ok


@dataclass(frozen=True)
class CityOutcome:
    """A new city assembled from uploads: one outcome per step, and the region if all pass."""

    steps: Mapping[str, Outcome]
    region: Region | None = None
    missing: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether every layer passed and the city can be saved."""
        return self.region is not None


def _failure(target: str, level: str, exc: BaseException, name: str, lang: str) -> Outcome:
    """An import that failed unexpectedly, logged and told as ``io.unexpected_error``."""
    logger.exception("import of %s failed unexpectedly", name)
    problem = Problem(
        "io.unexpected_error",
        "error",
        params={"name": name, "details": f"{type(exc).__name__}: {exc}"[:1000]},
    )
    return Outcome(target, level, ValidationReport((problem,), lang=lang), file_name=name)


def _finish(
    target: str,
    level: str,
    upload: ImportFile,
    result: planner_io.ImportResult,
    problems: list[Problem],
    layer: gpd.GeoDataFrame | None,
    region: Region | None,
    lang: str,
) -> Outcome:
    """The outcome of a step: the layer and region only when the report lets them through."""
    report = ValidationReport(tuple(problems), lang=lang)
    ok = layer is not None and report.ok
    return Outcome(
        target,
        level,
        report,
        layer if ok else None,
        region if ok else None,
        result.coordinate_system,
        dict(result.columns),
        upload.name,
    )
