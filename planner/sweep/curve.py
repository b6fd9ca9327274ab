"""Trade-off curves of a scenario sweep: table, marginal coverage, knee, CSV and PNG.

The table has one row per point and area: the city (``area = "city"``) and each county
(from the plan's county indicators). A *curve* is the set of points that share every
varied value except ``stations.count``, e.g. one curve per urban radius when a sweep
varies both; within a curve and an area the points are ordered by their number of
stations.

Marginal coverage
    ``coverage_gain_per_100_stations`` is the coverage share gained per extra 100
    stations between a point and the previous one of its curve,
    ``100 × Δcoverage_share / Δstations`` (a share: 0.05 = 5 percentage points).

Knee
    :func:`knee_index` finds the point after which extra stations buy clearly less:
    both axes are scaled to [0, 1] between the curve's first and last point, and the
    knee is the point farthest above the chord joining them (largest ``y' − x'``).
    This is the difference curve of Kneedle (Satopää et al., 2011, "Finding a
    'Kneedle' in a Haystack") taken at its maximum, without Kneedle's smoothing and
    sensitivity threshold: with a handful of exactly solved points there is no noise
    to smooth. A curve needs three points with rising stations and coverage, and one
    point strictly above the chord, to have a knee.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from planner.i18n import PlannerError, t
from planner.spreadsheet import write_csv
from planner.sweep.points import _label

if TYPE_CHECKING:
    from planner.store import Store

__all__ = [
    "STATION_PATH",
    "SweepCurve",
    "knee_index",
    "load_curve",
    "marginal_per_100",
    "sweep_curve",
]

#: The varied parameter that moves along a curve rather than making a new one.
STATION_PATH = "stations.count"
CITY = "city"
#: Indicator columns, in table order.
INDICATORS = (
    "stations",
    "sorting_centres",
    "coverage_share",
    "coverage_gain_per_100_stations",
    "mean_distance_m",
    "p95_distance_m",
    "uncovered_population",
    "population",
)
PNG_DPI = 200


def knee_index(x: Sequence[float], y: Sequence[float]) -> int | None:
    """Index of the knee of a rising, flattening curve (see the module notes).

    Parameters
    ----------
    x, y
        The curve, ordered by ``x``.

    Returns
    -------
    int or None
        Position of the knee in ``x``; ``None`` for fewer than three points, a curve
        that does not rise, or one that never lies above its chord.
    """
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if xs.size < 3 or not (np.isfinite(xs).all() and np.isfinite(ys).all()):
        return None
    dx, dy = xs[-1] - xs[0], ys[-1] - ys[0]
    if dx <= 0 or dy <= 0:
        return None
    above = (ys - ys[0]) / dy - (xs - xs[0]) / dx
    best = int(np.argmax(above))
    return best if above[best] > 1e-9 else None


def marginal_per_100(x: Sequence[float], y: Sequence[float]) -> np.ndarray:
    """``100 × Δy / Δx`` from each point to the previous one (``NaN`` for the first
    point and where ``x`` does not change)."""
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    out = np.full(xs.shape, np.nan)
    if xs.size > 1:
        dx = np.diff(xs)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[1:] = np.where(dx != 0, 100.0 * np.diff(ys) / dx, np.nan)
    return out


@dataclass(frozen=True)
class SweepCurve:
    """The table of a sweep and what is drawn from it.

    Attributes
    ----------
    table
        One row per point and area (see :func:`sweep_curve`).
    parameters
        The varied parameter paths (columns of the table).
    title
        The sweep's name.
    """

    table: pd.DataFrame
    parameters: tuple[str, ...]
    title: str = ""

    def city(self) -> pd.DataFrame:
        """The city rows, in sweep order."""
        return self.table[self.table["area"] == CITY].reset_index(drop=True)

    def knees(self, area: str = CITY) -> pd.DataFrame:
        """The knee row of each curve of ``area`` (``city`` or a county code)."""
        rows = self.table[(self.table["area"] == area) & self.table["knee"]]
        return rows.reset_index(drop=True)

    def write_csv(self, path: str | Path, lang: str = "zh") -> Path:
        """The table as CSV in UTF-8 with BOM (Excel opens it), county codes as text.

        Text cells (county names, parameter values given as text) are escaped against
        formula injection (:func:`planner.spreadsheet.write_csv`).
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        table = self.table.copy()
        table["area_name"] = table["area_name"].where(
            table["area"] != CITY, t("sweep.curve.city", lang)
        )
        return write_csv(table, path)

    def write_png(self, path: str | Path, lang: str = "zh") -> Path:
        """The curves as a PNG: coverage (knee marked), distances, and coverage by
        county when the region has several counties."""
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        from planner.views.export.fonts import font_families

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        families = font_families()  # fails in words before anything is drawn
        city = self.table[(self.table["area"] == CITY) & (self.table["status"] == "done")]
        counties = self.table[(self.table["area"] != CITY) & (self.table["status"] == "done")]
        panels = 3 if counties["area"].nunique() > 1 else 2
        # Every text object takes its font when it is created, axis labels with
        # their axes: the whole figure is made inside the context.
        with matplotlib.rc_context({"font.family": families}):
            fig = Figure(figsize=(5.2 * panels, 4.4), layout="constrained")
            FigureCanvasAgg(fig)
            axes = fig.subplots(1, panels)
            self._coverage_panel(axes[0], city, lang)
            self._distance_panel(axes[1], city, lang)
            if panels == 3:
                self._county_panel(axes[2], counties, lang)
            if self.title:
                fig.suptitle(self.title)
            fig.savefig(path, dpi=PNG_DPI, format="png", metadata={"Software": "recycling-planner"})
        return path

    # --- drawing -------------------------------------------------------------------------

    def _coverage_panel(self, ax: Any, city: pd.DataFrame, lang: str) -> None:
        ax.set_xlabel(t("sweep.curve.stations", lang))
        ax.set_ylabel(t("sweep.curve.coverage", lang))
        if city.empty:
            ax.text(0.5, 0.5, t("sweep.curve.empty", lang), ha="center", transform=ax.transAxes)
            return
        # Labels of knees in the right half go to their left, so they stay on the sheet.
        middle = (city["stations"].min() + city["stations"].max()) / 2
        for label, group in city.groupby("curve", sort=False):
            group = group.sort_values("stations")
            ax.plot(
                group["stations"], 100 * group["coverage_share"], marker="o", label=label or None
            )
            for _, knee in group[group["knee"]].iterrows():
                ax.plot(
                    knee["stations"], 100 * knee["coverage_share"], marker="*", markersize=16,
                    color="#c0392b", zorder=5,
                )  # fmt: skip
                ax.annotate(
                    t("sweep.curve.knee", lang, stations=int(knee["stations"]),
                      coverage=knee["coverage_share"]),
                    (knee["stations"], 100 * knee["coverage_share"]),
                    xytext=(12 if knee["stations"] <= middle else -12, -18),
                    ha="left" if knee["stations"] <= middle else "right",
                    textcoords="offset points", color="#c0392b",
                )  # fmt: skip
        if city["curve"].nunique() > 1:
            ax.legend()
        ax.grid(alpha=0.3)

    def _distance_panel(self, ax: Any, city: pd.DataFrame, lang: str) -> None:
        ax.set_xlabel(t("sweep.curve.stations", lang))
        ax.set_ylabel(t("sweep.curve.distance", lang))
        for label, group in city.groupby("curve", sort=False):
            group = group.sort_values("stations")
            suffix = f" ({label})" if label else ""
            (line,) = ax.plot(
                group["stations"], group["mean_distance_m"], marker="o",
                label=t("sweep.curve.mean", lang) + suffix,
            )  # fmt: skip
            ax.plot(
                group["stations"], group["p95_distance_m"], linestyle="--",
                color=line.get_color(), label=t("sweep.curve.p95", lang) + suffix,
            )  # fmt: skip
        if not city.empty:
            ax.legend()
        ax.grid(alpha=0.3)

    def _county_panel(self, ax: Any, counties: pd.DataFrame, lang: str) -> None:
        ax.set_xlabel(t("sweep.curve.stations", lang))
        ax.set_ylabel(t("sweep.curve.counties", lang))
        first = counties["curve"].iloc[0] if len(counties) else ""
        if first:  # several curves: the counties of the first one
            ax.set_title(first, fontsize="small")
        for _, group in counties[counties["curve"] == first].groupby("area", sort=True):
            group = group.sort_values("point")
            # Against the city's station count, so every county shares one x-axis.
            ax.plot(
                group["city_stations"], 100 * group["coverage_share"], linewidth=1,
                label=str(group["area_name"].iloc[0] or group["area"].iloc[0]),
            )  # fmt: skip
        ax.legend(fontsize="x-small", ncol=2)
        ax.grid(alpha=0.3)


def sweep_curve(
    points: Sequence[Any],
    parameters: Sequence[str],
    county_names: Mapping[str, str] | None = None,
    title: str = "",
) -> SweepCurve:
    """The table of a sweep's points (:class:`planner.store.SweepPointRecord`).

    Columns: ``point`` (1-based), ``key``, one column per varied parameter, ``curve``
    (the other varied values, see the module notes), ``area`` (``city`` or a county
    code), ``area_name``, ``status`` (``done``/``failed``/``pending``),
    ``plan_status`` (worst tier status), the :data:`INDICATORS`, ``gap_stations`` and
    ``gap_centres`` (proven gaps), ``seconds``, ``attempts``, ``worker``, ``error``
    (English), ``city_stations`` (the city's number of stations) and ``knee``.
    """
    names = dict(county_names or {})
    curve_paths = [p for p in parameters if p != STATION_PATH]
    rows: list[dict[str, Any]] = []
    for point in points:
        base = {"point": point.index + 1, "key": point.key}
        base.update({p: point.params.get(p) for p in parameters})
        base["curve"] = ", ".join(f"{p}={_label(point.params.get(p))}" for p in curve_paths)
        rows.extend(_point_rows(point, base, names))
    table = pd.DataFrame(rows, columns=_columns(parameters))
    table = _add_marginal_and_knee(table)
    return SweepCurve(table=table, parameters=tuple(parameters), title=title)


def _columns(parameters: Sequence[str]) -> list[str]:
    return [
        "point", "key", *parameters, "curve", "area", "area_name", "status", "plan_status",
        *INDICATORS, "gap_stations", "gap_centres", "seconds", "attempts", "worker", "error",
        "city_stations", "knee",
    ]  # fmt: skip


def _point_rows(point: Any, base: dict[str, Any], names: Mapping[str, str]) -> list[dict]:
    """The city row and the county rows of one point."""
    common = {
        **base,
        "status": point.status,
        "seconds": point.seconds,
        "attempts": point.attempts,
        "worker": point.worker,
        "error": point.error_message("en") or None,
        "knee": False,
    }
    result = point.result or {}
    if point.status != "done" or not result:
        return [{**common, "area": CITY, "area_name": None}]
    kpis = result.get("kpis", {})
    gaps = {r.get("tier"): r.get("gap") for r in result.get("results", [])}
    common.update(
        plan_status=result.get("status"),
        gap_stations=gaps.get("station"),
        gap_centres=gaps.get("sorting_centre"),
        city_stations=kpis.get("stations"),
    )
    rows = [{**common, "area": CITY, "area_name": None, **_indicators(kpis)}]
    for county in result.get("county_kpis", []):
        code = str(county.get("county_code"))
        rows.append({**common, "area": code, "area_name": names.get(code), **_indicators(county)})
    return rows


def _indicators(kpis: Mapping[str, Any]) -> dict[str, Any]:
    return {k: kpis.get(k) for k in INDICATORS if k != "coverage_gain_per_100_stations"}


def _add_marginal_and_knee(table: pd.DataFrame) -> pd.DataFrame:
    """Marginal coverage and the knee, per curve and area, along the station count."""
    table["coverage_gain_per_100_stations"] = np.nan
    table["knee"] = False
    done = table[table["status"] == "done"]
    for _, group in done.groupby(["curve", "area"], sort=False):
        group = group.sort_values(["stations", "point"])
        x = group["stations"].to_numpy(dtype=float)
        y = group["coverage_share"].to_numpy(dtype=float)
        table.loc[group.index, "coverage_gain_per_100_stations"] = marginal_per_100(x, y)
        knee = knee_index(x, y)
        if knee is not None:
            table.loc[group.index[knee], "knee"] = True
    table["knee"] = table["knee"].astype(bool)
    return table


def load_curve(store: Store, sweep_id: str) -> SweepCurve:
    """The trade-off curve of a stored sweep (:func:`sweep_curve`), with county names
    from its region when the region can be loaded."""
    sweep = store.get_sweep(sweep_id)
    names: dict[str, str] = {}
    with contextlib.suppress(PlannerError, OSError):
        from planner.data.regions import load_region

        counties = load_region(sweep.region).counties
        names = dict(zip(counties["code"].astype(str), counties["name"], strict=True))
    parameters = list(sweep.definition.get("parameters", {}))
    return sweep_curve(
        store.sweep_points(sweep_id), parameters, county_names=names, title=sweep.name
    )
