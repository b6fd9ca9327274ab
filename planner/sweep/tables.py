"""A sweep's curve as the sweep page shows it: tables with headers in the planner's
language, the data of its three charts, and the labels of its solved points.

Everything is built from a :class:`planner.sweep.curve.SweepCurve`; nothing here draws
(the page does, :mod:`planner.ui.pages.sweep`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from planner import format as fmt
from planner.i18n import t, value_label
from planner.sweep.curve import CITY, SweepCurve
from planner.sweep.form import curve_text, param_label

__all__ = ["ChartData", "chart_data", "city_table", "county_table", "point_labels"]


#: A point's status (``pending``, ``done``, ``failed``) -> its label.
_POINT_STATUS = {
    "pending": "ui.sw.point.pending",
    "done": "ui.sw.point.done",
    "failed": "ui.sw.point.failed",
}


def _columns(curve: SweepCurve, lang: str, county: bool) -> dict[str, str]:
    """Table column → localized header, in display order."""
    columns = {"point": t("ui.sw.col.point", lang)}
    if county:
        columns["area_name"] = t("term.county", lang)
    for path in curve.parameters:
        columns[path] = t("ui.sw.col.param", lang, param=param_label(path, lang))
    columns.update(
        {
            "status": t("term.status", lang),
            "stations": t("tier.station", lang),
            "sorting_centres": t("tier.sorting_centre", lang),
            "coverage_share": t("term.within_radius", lang),
            "coverage_gain_per_100_stations": t("ui.sw.col.gain", lang),
            "mean_distance_m": t("term.mean_distance_m", lang),
            "p95_distance_m": t("term.95th_percentile_m", lang),
            "uncovered_population": t("term.people_outside_radius", lang),
            "population": t("term.population", lang),
            "knee": t("ui.sw.col.knee", lang),
            "seconds": t("term.time_s", lang),
        }
    )
    return columns


def _frame(curve: SweepCurve, rows: pd.DataFrame, lang: str, county: bool) -> pd.DataFrame:
    columns = _columns(curve, lang, county)
    frame = rows[list(columns)].copy()
    frame["status"] = [value_label(_POINT_STATUS, s, lang) for s in frame["status"]]
    # the marginal coverage is a share per 100 stations: shown in percentage points
    frame["coverage_gain_per_100_stations"] = 100 * frame["coverage_gain_per_100_stations"].astype(
        float
    )
    for column in ("coverage_share", "mean_distance_m", "p95_distance_m", "seconds"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    for column in ("stations", "sorting_centres", "uncovered_population", "population"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").round().astype("Int64")
    frame["knee"] = frame["knee"].astype(bool)
    return frame.rename(columns=columns).reset_index(drop=True)


def city_table(curve: SweepCurve, lang: str) -> pd.DataFrame:
    """One row per point for the whole city, with headers in ``lang``.

    Values are the curve's (:attr:`SweepCurve.table`), except the marginal coverage,
    which is in percentage points per 100 stations (the table's share × 100).
    """
    return _frame(curve, curve.city(), lang, county=False)


def county_table(curve: SweepCurve, lang: str) -> pd.DataFrame:
    """One row per point and county (solved points), with headers in ``lang``."""
    rows = curve.table[curve.table["area"] != CITY]
    rows = rows.assign(area_name=rows["area_name"].fillna(rows["area"]))
    return _frame(curve, rows.sort_values(["area", "point"]), lang, county=True)


def point_labels(curve: SweepCurve, keys: list[str], lang: str) -> dict[str, str]:
    """``120 个站点 · 覆盖 88.6%`` per solved point (with its curve, and the knee said)."""
    city = curve.city().set_index("key")
    labels = {}
    for key in keys:
        row = city.loc[key]
        text = t("ui.sw.point_label", lang, stations=fmt.count(int(row["stations"])),
                 coverage=fmt.share(row["coverage_share"]))  # fmt: skip
        label = curve_text(curve, row, lang)
        if label:
            text += f" · {label}"
        if bool(row["knee"]):
            text += t("ui.sw.point_knee", lang)
        labels[key] = text
    return labels


# --- chart data ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartData:
    """The data of the sweep page's three charts.

    Attributes
    ----------
    coverage
        Solved city points: ``stations``, ``coverage`` (percent), ``mean`` and ``p95``
        (metres), ``curve`` (its label) and ``knee``.
    distance
        The mean and 95th percentile distances as long rows: ``stations``, ``curve``,
        ``kind`` (the line's label) and ``m``.
    counties
        Coverage per county along the first curve: ``stations`` (of the city),
        ``coverage`` (percent) and ``county``; ``None`` unless solved points cover more
        than one county.
    county_curve
        The label of that curve (empty when only the number of stations is varied).
    many_curves
        Whether the solved city points lie on more than one curve.
    """

    coverage: pd.DataFrame
    distance: pd.DataFrame
    counties: pd.DataFrame | None
    county_curve: str
    many_curves: bool


def chart_data(curve: SweepCurve, lang: str) -> ChartData | None:
    """What the charts of ``curve`` show, labels in ``lang``; ``None`` before any city
    point is solved."""
    done = curve.table[curve.table["status"] == "done"]
    city = done[done["area"] == CITY]
    if city.empty:
        return None
    many_curves = city["curve"].nunique() > 1
    coverage = pd.DataFrame(
        {
            "stations": city["stations"].astype(float),
            "coverage": (100 * city["coverage_share"].astype(float)).round(2),
            "mean": city["mean_distance_m"].astype(float).round(0),
            "p95": city["p95_distance_m"].astype(float).round(0),
            "curve": [curve_text(curve, row, lang) for _, row in city.iterrows()],
            "knee": city["knee"].astype(bool),
        }
    )
    distance = coverage.melt(
        id_vars=["stations", "curve"], value_vars=["mean", "p95"], var_name="kind", value_name="m"
    )
    kinds = {"mean": t("sweep.curve.mean", lang), "p95": t("sweep.curve.p95", lang)}
    distance["kind"] = distance["kind"].map(kinds)
    if many_curves:
        distance["kind"] = distance["kind"] + " (" + distance["curve"] + ")"
    counties, county_curve = None, ""
    rows = done[done["area"] != CITY]
    if rows["area"].nunique() > 1:
        rows = rows[rows["curve"] == rows["curve"].iloc[0]]
        counties = pd.DataFrame(
            {
                "stations": rows["city_stations"].astype(float),
                "coverage": (100 * rows["coverage_share"].astype(float)).round(2),
                "county": rows["area_name"].fillna(rows["area"]).astype(str),
            }
        )
        county_curve = curve_text(curve, rows.iloc[0], lang)
    return ChartData(coverage, distance, counties, county_curve, many_curves)
