"""The instance of a run: demand points and candidate sites for a scenario over a region,
and in ``network`` mode the road network they are measured on.

:func:`build_instance` builds it; :func:`instance_key` says when two scenarios share
one (a sweep of station counts reuses demand, candidates and road distances);
:func:`check_instance` refuses a scenario that does not fit its candidates before
anything is solved.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import pyproj

from planner.data.regions import Region, load_region
from planner.data.roads import road_file
from planner.i18n import InLanguages, PlannerError
from planner.instance.candidates import centre_candidates, station_candidates
from planner.instance.compliance import with_actions
from planner.instance.demand import demand_points
from planner.scenario import Scenario
from planner.scenario.checks import CandidateSites, check_region

if TYPE_CHECKING:
    from planner.instance.network import RoadNetwork

__all__ = [
    "SOLVE_ONLY_FIELDS",
    "Instance",
    "Progress",
    "build_instance",
    "check_instance",
    "derive_station_count",
    "instance_key",
    "resolve_network",
]

#: ``progress(stage_key, fraction_done)``; stage keys are the ``run.stage.*`` messages.
Progress = Callable[[str, float], None]


def _silent(stage: str, fraction: float) -> None:
    """A progress callback that reports nowhere."""


@dataclass(frozen=True, eq=False)
class Instance:
    """What the solver sees: demand points and candidate sites, in metres.

    Attributes
    ----------
    region, scenario
        Inputs.
    demand
        :func:`planner.instance.demand.demand_points`.
    stations
        Candidate station sites (:func:`planner.instance.candidates.station_candidates`).
    centres
        Candidate sorting-centre sites.
    network
        The road network in the region's metric CRS (``network`` mode only).
    network_info
        Where it came from and how long it took: ``name``, ``seconds``.
    """

    region: Region
    scenario: Scenario
    demand: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    centres: gpd.GeoDataFrame
    network: RoadNetwork | None = None
    network_info: dict[str, Any] = field(default_factory=dict)
    # Road distances of the station tier, kept for the next run on this instance.
    memo: dict[str, Any] = field(default_factory=dict, repr=False)


#: Scenario fields that only the solvers read: runs differing only in these share an
#: instance (demand, candidates, road distances). Anything not listed is assumed to
#: shape the instance, so a new field can cost a rebuild but never a wrong reuse.
SOLVE_ONLY_FIELDS = (
    "name",
    "description",
    "solver",
    "centres",
    "markets",
    "stations.count",
    "stations.county_min",
    "stations.county_max",
    "stations.township_min",
    "costs",
    "existing.count_mode",
    "stations.min_village_share",
    "phasing",
)


def instance_key(scenario: Scenario, region_id: str | None = None) -> str:
    """Hash of what :func:`build_instance` depends on (the scenario without
    :data:`SOLVE_ONLY_FIELDS`, and the region id)."""
    data = scenario.to_dict()
    for path in SOLVE_ONLY_FIELDS:
        head, _, tail = path.partition(".")
        if tail:
            data.get(head, {}).pop(tail, None)
        else:
            data.pop(head, None)
    text = json.dumps([region_id or scenario.region, data], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def resolve_network(
    region: Region, network: RoadNetwork | str | Path | None = None
) -> tuple[RoadNetwork, str]:
    """The road network of a run, in the region's metric CRS, and its display name.

    Parameters
    ----------
    region
        The region planned.
    network
        A :class:`~planner.instance.network.RoadNetwork` (re-projected when its CRS differs), a
        road file path, or ``None`` for the road file stored with the region.

    Raises
    ------
    PlannerError
        ``pipeline.no_network`` when there is none, ``pipeline.network_missing_file``,
        or the loader's own messages (``network.read_failed``, ...).
    """
    from planner.instance.network import RoadNetwork, load_network

    metric = region.metric_crs
    if isinstance(network, RoadNetwork):
        name = str(network.graph.graph.get("name") or "RoadNetwork")
        if network.crs != pyproj.CRS.from_user_input(metric):
            # Lengths are measured again in the region's CRS (a Web Mercator length,
            # say, is not metres on the ground).
            graph = network.graph.copy()
            for _, _, data in graph.edges(data=True):
                data.pop("length", None)
            network = RoadNetwork.from_graph(graph, metric)
        return network, name
    if network is not None:
        path = Path(network)
        if not path.is_file():
            raise PlannerError("pipeline.network_missing_file", path=path)
        return load_network(path, metric), path.name
    stored = road_file(region)
    if stored is None:
        raise PlannerError(
            "pipeline.no_network",
            region=InLanguages(zh=region.name("zh"), en=region.name("en")),
        )
    return load_network(stored.path, metric, crs=stored.crs), stored.name


def build_instance(
    region: Region | str,
    scenario: Scenario,
    extra_stations: gpd.GeoDataFrame | None = None,
    extra_centres: gpd.GeoDataFrame | None = None,
    network: RoadNetwork | str | Path | None = None,
    progress: Progress | None = None,
) -> Instance:
    """Demand and candidates for ``scenario`` over ``region``.

    In ``network`` mode the road network is resolved here (:func:`resolve_network`),
    so a missing network fails before any solving; ``network`` is ignored otherwise.
    ``progress`` hears ``run.stage.network`` while the network loads (``network``
    mode only), then ``run.stage.instance``.
    """
    report = progress or _silent
    region = load_region(region) if isinstance(region, str) else region
    net, info = None, {}
    if scenario.distance_mode == "network":
        report("run.stage.network", 0.0)
        t0 = time.perf_counter()
        net, name = resolve_network(region, network)
        info = {"name": name, "seconds": round(time.perf_counter() - t0, 3)}
        report("run.stage.instance", 0.05)
    else:
        report("run.stage.instance", 0.0)
    return Instance(
        region=region,
        scenario=scenario,
        demand=demand_points(region, scenario),
        stations=with_actions(
            station_candidates(region, scenario, extra_stations),
            region.sites,
            "station",
            scenario.existing,
        ),
        centres=with_actions(
            centre_candidates(region, extra_centres),
            region.sites,
            "sorting_centre",
            scenario.existing,
        ),
        network=net,
        network_info=info,
    )


def derive_station_count(demand: pd.DataFrame, per_station: tuple[int, int]) -> int:
    """Stations needed by a households-per-station standard, county by county.

    Each county needs ``ceil(urban households / urban ratio) + ceil(rural households /
    rural ratio)`` stations; the city needs their sum.
    """
    urban_ratio, rural_ratio = per_station
    total = 0
    for _, group in demand.groupby("county_code"):
        urban = group.loc[group["urban"], "households"].sum()
        rural = group.loc[~group["urban"], "households"].sum()
        total += math.ceil(urban / urban_ratio) + math.ceil(rural / rural_ratio)
    return int(total)


def check_instance(inst: Instance) -> None:
    """Refuse a scenario that does not fit its instance, before anything is solved.

    The checks of :func:`planner.scenario.checks.region_problems` (the scenario page's)
    with the candidates this run really has: ids in ``required_sites`` /
    ``excluded_sites`` of either tier that are not candidates (named, first few and
    count), more sites asked for or required than there are, county minimums above a
    county's candidates.

    Raises
    ------
    PlannerError
        ``scenario.invalid`` listing every error.
    """
    candidates = {
        "stations": CandidateSites.of_frame(inst.stations),
        "centres": CandidateSites.of_frame(inst.centres),
    }
    check_region(inst.region, inst.scenario, candidates)
