"""The plan: chosen sites, assignments and indicators, with how well they are proven.

A :class:`Plan` is what a run produces and what views, exports and the review
workflow consume. It is written to a folder as

* ``plan.gpkg`` — layers ``sites`` (rows with ``tier`` = ``station`` or
  ``sorting_centre``), ``demand`` (communities with their station and distance) and
  ``links`` (station → sorting-centre lines), and in plans with a market tier
  ``market_links`` (sorting centre → market lines; :mod:`planner.plan.markets`);
* ``sites.csv``, ``demand.csv`` (UTF-8 with BOM so Excel opens them) and
  ``uncovered_villages.csv``, the 村/社区 without a station within their radius and
  their nearest station (:func:`planner.plan.villages.uncovered_villages`); in plans
  with standalone kinds ``exclusions.csv``, the candidates their siting rules left out
  with the reasons (read back with the plan);
* ``kpis.json`` — scenario, solver results and city/county/township indicators;

and read back with :meth:`Plan.read`, from ``plan.gpkg`` and ``kpis.json`` only. The
CSV files are for people: their text cells are escaped against formula injection
(:mod:`planner.spreadsheet`; a name ``=1+1`` is written ``'=1+1``) and are never read
back, so the stored names stay exactly as they were.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from planner.i18n import PlannerError
from planner.scenario import Scenario
from planner.spreadsheet import write_csv

__all__ = ["Plan", "TierResult", "points_table"]


CODE_COLUMNS = (
    "site_id",
    "county_code",
    "township_code",
    "community_code",
    "demand_id",
    "centre_id",
    "market_id",
    "candidate_id",
    "station_id",
    "nearest_station_id",
)


@dataclass(frozen=True)
class TierResult:
    """How one tier was solved.

    Attributes
    ----------
    tier
        ``station``, ``sorting_centre`` or ``market``.
    model
        ``p_median``, ``mclp``, ``set_cover`` or ``sorting_centre``.
    status
        ``optimal``, ``time_limit_feasible``, ``infeasible``, ``unbounded`` or ``error``.
    objective, bound, gap
        Objective of the plan, best proven bound, relative gap (``None`` if unknown).
    seconds
        Wall-clock time of the solve.
    solver
        Solver used.
    diagnoses
        Plain-language reasons in both languages when the tier is infeasible:
        ``[{"key": ..., "zh": ..., "en": ...}]``.
    details
        Model-specific figures (grow rounds, pairs kept, ...).
    """

    tier: str
    model: str
    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    solver: str
    diagnoses: tuple[dict[str, str], ...] = ()
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def has_plan(self) -> bool:
        """Whether a usable plan came out (optimal or best found within the limit)."""
        return self.status in ("optimal", "time_limit_feasible")


@dataclass(frozen=True, eq=False)
class Plan:
    """A siting plan.

    Attributes
    ----------
    scenario
        The scenario it answers.
    sites
        Stations and sorting centres (EPSG:4326 points): ``site_id``, ``tier``,
        ``action`` (``new``, ``upgrade``, ``keep`` or ``close``: closed existing sites
        are listed too and serve nobody, see :attr:`closed`), ``reasons`` (the
        compliance check's reason codes, ``;``-joined), ``cost_yuan`` (one-off cost of
        the action), ``operation_yuan_per_year``,
        ``name``, ``source``, ``status``, ``county_code``, ``township_code``,
        ``community_code``, ``served_population``, ``served_households``,
        ``tonnage_t_per_day``, ``centre_id`` (stations), ``distance_to_centre_m``
        (stations), ``load_t_per_day`` and ``capacity_t_per_day`` (centres). In
        road-network plans stations also carry ``snap_m`` (straight distance to the
        road), ``centre_distance_basis`` (``network`` or ``straight`` for a station off
        the network) and, when the centre tier optimised driving time,
        ``time_to_centre_min`` (``distance_to_centre_m`` is then the driving distance
        of that route).
    demand
        Communities: ``demand_id``, ``name``, ``county_code``, ``township_code``,
        ``kind``, ``urban``, ``population``, ``households``, ``radius_m``,
        ``station_id``, ``distance_m``, ``covered`` (its station within its radius),
        ``nearest_station_id``, ``nearest_station_m`` and ``station_within_radius``
        (any open station within its radius, see :mod:`planner.plan.villages`);
        point geometry. In road-network plans also ``distance_basis`` (``network``,
        or ``straight`` where the community is off the network and straight line ×
        circuity was used) and ``snap_m``.
    links
        Station → centre lines: ``station_id``, ``centre_id``, ``tonnage_t_per_day``,
        ``distance_m``; LineString geometry.
    results
        One :class:`TierResult` per tier that was solved.
    kpis
        City indicators (see :mod:`planner.plan.kpi`), including ``distance_mode``,
        ``circuity`` and ``villages`` (:mod:`planner.plan.villages`); road-network
        plans add ``centre_distance_basis``, the
        ``network_*`` counts and ``network`` (size of the network, snapping figures).
    county_kpis, township_kpis
        Indicators per county and per township.
    distance_mode
        ``straight`` (× circuity) or ``network``; written to ``kpis.json``.
    market_links
        Sorting centre → market lines (``centre_id``, ``market_id``,
        ``tonnage_t_per_day``, ``distance_m``) when the scenario has a market tier,
        else ``None``. Market rows are in :attr:`sites` with ``tier == "market"``
        (see :attr:`markets`); the centres then carry ``market_id`` and
        ``distance_to_market_m``.
    exclusions
        In plans with standalone kinds (``scenario.kinds``): the candidates their
        siting rules left out, one row per candidate and rule with the reason in both
        languages (:data:`planner.run.kind_plans.EXCLUSION_TABLE_COLUMNS`), written as
        ``exclusions.csv``; else ``None``. The kinds' sites are in :attr:`sites` with
        ``tier == "standalone"`` and their ``kind``.
    """

    scenario: Scenario
    sites: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    links: gpd.GeoDataFrame
    results: tuple[TierResult, ...]
    kpis: dict[str, Any]
    county_kpis: pd.DataFrame
    township_kpis: pd.DataFrame
    distance_mode: str = "straight"
    created_at: str = ""
    market_links: gpd.GeoDataFrame | None = None
    exclusions: pd.DataFrame | None = None

    @property
    def open_sites(self) -> gpd.GeoDataFrame:
        """The rows of :attr:`sites` the plan opens (every action but ``close``)."""
        if "action" not in self.sites:
            return self.sites
        return self.sites[self.sites["action"] != "close"]

    @property
    def stations(self) -> gpd.GeoDataFrame:
        """The open stations (closed existing ones are in :attr:`closed`)."""
        sites = self.open_sites
        return sites[sites["tier"] == "station"]

    @property
    def centres(self) -> gpd.GeoDataFrame:
        """The open sorting centres."""
        sites = self.open_sites
        return sites[sites["tier"] == "sorting_centre"]

    @property
    def markets(self) -> gpd.GeoDataFrame:
        """The open markets (集散交易市场); no rows in plans without a market tier."""
        sites = self.open_sites
        return sites[sites["tier"] == "market"]

    @property
    def closed(self) -> gpd.GeoDataFrame:
        """Existing sites the plan closes (``action == "close"``), both tiers."""
        if "action" not in self.sites:
            return self.sites.iloc[0:0]
        return self.sites[self.sites["action"] == "close"]

    @property
    def status(self) -> str:
        """Worst status over the tiers (``optimal`` only when every tier is)."""
        order = ["error", "infeasible", "unbounded", "time_limit_feasible", "optimal"]
        return min((r.status for r in self.results), key=order.index, default="error")

    def result(self, tier: str) -> TierResult | None:
        """The :class:`TierResult` of ``tier``."""
        return next((r for r in self.results if r.tier == tier), None)

    # --- files ---------------------------------------------------------------------

    def write(self, folder: str | Path) -> Path:
        """Write the plan files into ``folder`` (created if needed)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        gpkg = folder / "plan.gpkg"
        gpkg.unlink(missing_ok=True)
        for name, layer in (("sites", self.sites), ("demand", self.demand), ("links", self.links)):
            layer.to_file(gpkg, layer=name, driver="GPKG", engine="pyogrio")
        if self.market_links is not None:
            self.market_links.to_file(gpkg, layer="market_links", driver="GPKG", engine="pyogrio")
        for name, frame in self.csv_tables().items():
            write_csv(frame, folder / f"{name}.csv")
        meta = {
            "scenario": self.scenario.to_dict(),
            "results": [_jsonable(asdict(r)) for r in self.results],
            "kpis": _jsonable(self.kpis),
            "county_kpis": _jsonable(self.county_kpis.to_dict("records")),
            "township_kpis": _jsonable(self.township_kpis.to_dict("records")),
            "distance_mode": self.distance_mode,
            "created_at": self.created_at,
        }
        (folder / "kpis.json").write_text(
            json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        return folder

    def csv_tables(self) -> dict[str, pd.DataFrame]:
        """``sites`` and ``demand`` as plain tables with ``lon``/``lat`` columns, and
        the villages without a station in reach (``uncovered_villages``)."""
        from planner.plan.villages import uncovered_villages

        return {
            "sites": points_table(self.sites),
            "demand": points_table(self.demand),
            "uncovered_villages": uncovered_villages(self.demand, self.sites),
            **({"exclusions": self.exclusions} if self.exclusions is not None else {}),
        }

    @classmethod
    def read(cls, folder: str | Path) -> Plan:
        """Read a plan written by :meth:`write`."""
        folder = Path(folder)
        for name in ("plan.gpkg", "kpis.json"):
            if not (folder / name).exists():
                raise PlannerError("plan.missing", path=folder, file=name)
        meta = json.loads((folder / "kpis.json").read_text(encoding="utf-8"))
        layers = {}
        names = ["sites", "demand", "links"]
        if "market_links" in set(pyogrio.list_layers(folder / "plan.gpkg")[:, 0]):
            names.append("market_links")
        for name in names:
            layer = gpd.read_file(folder / "plan.gpkg", layer=name, engine="pyogrio")
            for col in CODE_COLUMNS:
                if col in layer:
                    layer[col] = (
                        layer[col].astype("string").astype(object).where(layer[col].notna(), None)
                    )
            layers[name] = layer
        exclusions = None
        if (folder / "exclusions.csv").exists():
            exclusions = pd.read_csv(
                folder / "exclusions.csv", encoding="utf-8-sig", dtype={"site_id": str}
            )
        results = tuple(
            TierResult(**{**r, "diagnoses": tuple(r.get("diagnoses", ()))}) for r in meta["results"]
        )
        return cls(
            scenario=Scenario.from_dict(meta["scenario"]),
            sites=layers["sites"],
            demand=layers["demand"],
            links=layers["links"],
            results=results,
            kpis=meta["kpis"],
            county_kpis=pd.DataFrame(meta["county_kpis"]),
            township_kpis=pd.DataFrame(meta["township_kpis"]),
            distance_mode=meta.get("distance_mode", "straight"),
            created_at=meta.get("created_at", ""),
            market_links=layers.get("market_links"),
            exclusions=exclusions,
        )


def points_table(layer: gpd.GeoDataFrame) -> pd.DataFrame:
    """A point layer (WGS84) as a plain table: its columns, then ``lon`` and ``lat``
    (7 decimals, about 1 cm)."""
    frame = pd.DataFrame(layer.drop(columns=layer.geometry.name))
    frame["lon"] = layer.geometry.x.round(7)
    frame["lat"] = layer.geometry.y.round(7)
    return frame


def _jsonable(value: Any) -> Any:
    """Numbers, strings and containers only; NaN/inf become ``None`` (valid JSON)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, shapely.Geometry):
        return value.wkt
    return value
