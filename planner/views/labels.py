"""Catalogue keys of the values the maps and exports write in words.

Each mapping takes a value as a plan, its scenario or its solver results store it to the
complete message key that names it, so that no key is put together at run time. Values
read from a plan file may be ones a mapping does not know (an older or hand-edited
file): :func:`planner.plan.tables.value_label` then shows the value as it is.
"""

from __future__ import annotations

from planner.plan.actions import ACTION_LABEL, REASON_LABEL

__all__ = [
    "ACTION_LABEL",
    "COLUMN_LABEL",
    "DISTANCE_LABEL",
    "EXPORT_PLAN_STATUS_LABEL",
    "EXPORT_TIER_LABEL",
    "EXPORT_TIER_ONE_LABEL",
    "LOCATION_QUALITY_LABEL",
    "MODEL_LABEL",
    "PER_COMMUNITY_LABEL",
    "REASON_LABEL",
    "SHEET_ACTION_LABEL",
    "SITE_STATUS_LABEL",
    "SOURCE_LABEL",
    "STANDARD_LABEL",
]

#: Header of each exported column (the site and county tables, the report's area
#: tables, the exported map's site details).
COLUMN_LABEL = {
    "site_id": "export.col.site_id",
    "lon_gcj02": "export.col.lon_gcj02",
    "lat_gcj02": "export.col.lat_gcj02",
    "review_status": "term.review_status",
    "reviewer": "ui.rev.reviewer",
    "review_reason": "ui.rev.col.reason",
    "review_at": "export.col.review_at",
    "name": "term.name",
    "county": "term.county",
    "county_code": "export.col.county_code",
    "township": "term.township",
    "township_code": "export.col.township_code",
    "community_code": "export.col.community_code",
    "status": "term.status",
    "action": "term.action",
    "reasons": "term.reasons",
    "cost_yuan": "term.cost_yuan",
    "operation_yuan_per_year": "term.operation_yuan_per_year",
    "source": "export.col.source",
    "location_quality": "export.col.location_quality",
    "served_population": "map.served_population",
    "served_households": "map.served_households",
    "served_communities": "export.col.served_communities",
    "tonnage_t_per_day": "export.col.tonnage_t_per_day",
    "centre_id": "export.col.centre_id",
    "centre_name": "map.to_centre",
    "distance_to_centre_m": "export.col.distance_to_centre_m",
    "market_id": "export.col.market_id",
    "market_name": "map.to_market",
    "distance_to_market_m": "export.col.distance_to_market_m",
    "served_centres": "map.market_centres",
    "served_stations": "map.served_stations",
    "load_t_per_day": "export.col.load_t_per_day",
    "capacity_t_per_day": "export.col.capacity_t_per_day",
    "utilisation": "export.col.utilisation",
    "lon": "export.col.lon",
    "lat": "export.col.lat",
    "population": "term.population",
    "households": "term.households",
    "communities": "term.communities",
    "stations": "export.col.stations",
    "sorting_centres": "export.col.sorting_centres",
    "coverage_share": "term.population_within_radius",
    "coverage_share_urban": "term.urban_coverage",
    "coverage_share_rural": "term.rural_coverage",
    "mean_distance_m": "term.mean_distance_m",
    "p95_distance_m": "export.col.p95_distance_m",
    "max_distance_m": "export.col.max_distance_m",
    "stations_per_1000_households": "export.col.stations_per_1000_households",
    "uncovered_communities": "export.col.uncovered_communities",
    "uncovered_population": "export.col.uncovered_population",
    "village_units_covered": "term.villages_covered",
    "village_coverage_share": "term.village_coverage",
    "village_coverage_share_community": "term.community_coverage",
    "village_coverage_share_village": "term.rural_village_coverage",
    "code": "export.col.community_code",
    "kind": "term.village_or_community",
    "radius_m": "term.radius_m",
    "nearest_station": "term.nearest_station",
    "nearest_station_id": "term.nearest_station_code",
    "nearest_station_m": "term.nearest_station_m",
    "tier": "term.tier",
    "new": "action.new",
    "upgrade": "action.upgrade",
    "keep": "action.keep",
    "close": "action.close",
    "open_after": "term.open_after",
    "new_yuan": "term.new_yuan",
    "upgrade_yuan": "term.upgrade_yuan",
    "closure_yuan": "term.closure_yuan",
    "one_off_yuan": "term.one_off_yuan",
    "budget_yuan": "term.budget_yuan",
    "budget_left_yuan": "term.budget_left_yuan",
    # standalone facility kinds (planner/views/export/kind_tables.py)
    "facility_kind": "export.col.facility_kind",
    "served_weight": "export.col.served_weight",
    "colocated_poi": "export.col.colocated_poi",
    "colocated_m": "export.col.colocated_m",
    "rule": "export.col.siting_rule",
    "zone_category": "export.col.zone_category",
    "zone_name": "export.col.zone_name",
    "buffer_m": "export.col.buffer_m",
    "distance_m": "export.col.zone_distance_m",
    "reason": "export.col.exclusion_reason",
    # phasing (planner/views/export/phasing_tables.py)
    "year": "phasing.col.year",
    "new_stations": "phasing.col.new_stations",
    "new_sorting_centres": "phasing.col.new_sorting_centres",
    "communities_covered": "phasing.col.communities_covered",
    "villages_covered": "phasing.col.villages_covered",
    "cumulative_cost_yuan": "phasing.col.cumulative_cost_yuan",
}

#: Each tier (``tier`` of a plan's sites and results): plural (sheet names, the report)
#: and one site (the exported map's popups).
EXPORT_TIER_LABEL = {
    "station": "term.recycling_stations",
    "sorting_centre": "tier.sorting_centre",
    "market": "tier.market",
}
EXPORT_TIER_ONE_LABEL = {
    "station": "map.station",
    "sorting_centre": "map.centre",
    "market": "map.market",
}

#: Each site status of a plan (``status`` of its sites), in the exports. Maps and popups
#: name what the plan does with a site instead (:data:`ACTION_LABEL`).
SITE_STATUS_LABEL = {
    "proposed": "export.status.proposed",
    "existing_keep": "export.status.existing_keep",
    "existing_close": "export.status.existing_close",
}

#: Legend entry of the sites of each tier the plan gives each action (printed sheet,
#: exported map and, when a plan acts on existing sites, the app's map). A plan whose
#: centres are all new names them ``map.centre``, as before actions.
SHEET_ACTION_LABEL = {
    ("station", "new"): "export.map.station_proposed",
    ("station", "upgrade"): "export.map.station_upgrade",
    ("station", "keep"): "export.map.station_existing",
    ("station", "close"): "export.map.station_close",
    ("sorting_centre", "new"): "export.map.centre_new",
    ("sorting_centre", "upgrade"): "export.map.centre_upgrade",
    ("sorting_centre", "keep"): "export.map.centre_keep",
    ("sorting_centre", "close"): "export.map.centre_close",
}

#: Whether a site's position is real or generated (:mod:`planner.plan.location`).
LOCATION_QUALITY_LABEL = {
    "real": "export.location.real",
    "schematic": "export.location.schematic",
}

#: Each candidate source (``source`` of a plan's sites).
SOURCE_LABEL = {
    "community": "export.source.community",
    "township_seat": "export.source.township_seat",
    "grid": "export.source.grid",
    "existing": "export.source.existing",
    "user": "export.source.user",
    "poi": "export.source.poi",
}

#: Each solver status (:data:`planner.models.results.STATUSES`).
EXPORT_PLAN_STATUS_LABEL = {
    "optimal": "status.optimal",
    "time_limit_feasible": "status.time_limit_feasible",
    "infeasible": "status.infeasible",
    "unbounded": "status.unbounded",
    "error": "status.error",
}

#: Each model: the station objectives (:data:`planner.scenario.model.StationObjective`)
#: and the sorting-centre model (``model`` of a tier's result).
MODEL_LABEL = {
    "p_median": "export.objective.p_median",
    "mclp": "export.objective.mclp",
    "set_cover": "export.objective.set_cover",
    "sorting_centre": "export.objective.sorting_centre",
    "market": "export.objective.market",
    "phased_fixed_final": "phasing.ui.mode.fixed_final",
    "phased_joint": "phasing.ui.mode.joint",
}

#: Each capacity standard of :data:`planner.scenario.CAPACITY_STANDARDS` (``{urban}`` and
#: ``{rural}`` households per station); ``none`` is ``export.standard.none``.
STANDARD_LABEL = {
    "sbt10719": "export.standard.sbt10719",
    "zhejiang2019": "export.standard.zhejiang2019",
}

#: Each one-station-per-community rule (:data:`planner.scenario.model.PerCommunityRule`).
PER_COMMUNITY_LABEL = {
    "none": "export.report.no",
    "community": "export.per_community.community",
    "village": "export.per_community.village",
    "all": "export.per_community.all",
}

#: Each distance mode (:data:`planner.scenario.model.DistanceMode`; ``{circuity}``).
DISTANCE_LABEL = {
    "straight": "export.distance.straight",
    "network": "export.distance.network",
}
