"""The scenario's siting policy for each tier, as rules on the instance's candidates.

Which candidates must open or stay closed (the scenario's lists and the existing
sites marked keep / close), per-township, per-community and per-county groups, the
share of villages each county must cover, and the stations' household capacities:
:class:`~planner.models.PolicyRules` the models enforce.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from planner.i18n import PlannerError
from planner.instance.build import Instance
from planner.instance.coverage_sets import cover_matrix, station_source
from planner.instance.demand import URBAN_TOWNSHIP_KINDS
from planner.instance.walk import cover_radius
from planner.models import CoverRule, PolicyRules, SiteGroup, groups_from_labels
from planner.scenario.checks import CandidateSites, unknown_site_ids

if TYPE_CHECKING:
    from planner.instance.network import RoadDistances

__all__ = ["centre_rules", "station_rules", "village_rules"]


def station_rules(inst: Instance, distances: RoadDistances | None = None) -> PolicyRules:
    """The station tier's policy: sites required and excluded, one per township or
    community, township minimums, county minimums and maximums, the share of villages
    covered in every county (``stations.min_village_share``, :func:`village_rules`), and
    household capacities when the scenario asks for them (``stations.use_capacity``).

    ``distances``: the tier's road distances in ``network`` mode (computed here when
    the village rule needs them and none are given)."""
    s = inst.scenario.stations
    cand = inst.stations
    required, excluded = _fixed_sites(cand, "stations", s)
    groups: list[SiteGroup] = []
    town_names = dict(
        zip(inst.region.townships["code"], inst.region.townships["name"], strict=True)
    )
    county_names = dict(
        zip(inst.region.counties["code"], inst.region.counties["name"], strict=True)
    )
    if s.one_per_township:
        labels = cand["township_code"].map(town_names).to_numpy(dtype=object)
        groups += groups_from_labels(labels, min_open=1, kind="township")
    if s.township_min:
        towns = cand["township_code"].astype(str).to_numpy(dtype=object)
        for code, minimum in sorted(s.township_min.items()):
            if minimum > 0:
                sites = np.flatnonzero(towns == code)
                groups.append(
                    SiteGroup(town_names.get(code, code), sites, minimum, None, "township")
                )
    if s.one_per_community != "none":
        kinds = {
            "community": ("community",),
            "village": ("village",),
            "all": ("community", "village"),
        }
        wanted = inst.demand.loc[inst.demand["kind"].isin(kinds[s.one_per_community]), "demand_id"]
        labels = cand["community_code"].to_numpy(dtype=object)
        names = dict(zip(inst.demand["demand_id"], inst.demand["name"], strict=True))
        for group in groups_from_labels(labels, min_open=1, kind="community", only=list(wanted)):
            groups.append(
                SiteGroup(names.get(group.name, group.name), group.sites, 1, None, "community")
            )
    if s.county_min or s.county_max:
        codes = cand["county_code"].to_numpy(dtype=object)
        for code in sorted(set(s.county_min) | set(s.county_max)):
            sites = np.flatnonzero(codes == code)
            groups.append(
                SiteGroup(
                    county_names.get(code, code),
                    sites,
                    s.county_min.get(code, 0),
                    s.county_max.get(code),
                    "county",
                )
            )
    capacity = None
    per_station = inst.scenario.households_per_station()
    if s.use_capacity and per_station is not None:
        urban_site = (
            cand["township_code"]
            .map(
                dict(zip(inst.region.townships["code"], inst.region.townships["kind"], strict=True))
            )
            .isin(URBAN_TOWNSHIP_KINDS)
            .to_numpy()
        )
        comm_kind = dict(zip(inst.demand["demand_id"], inst.demand["urban"], strict=True))
        # Not ``|=``: under pandas copy-on-write ``to_numpy`` may hand back a read-only view.
        in_urban_community = cand["community_code"].map(comm_kind).eq(True).to_numpy(dtype=bool)
        urban_site = urban_site | in_urban_community
        capacity = np.where(urban_site, per_station[0], per_station[1]).astype(float)
    cover_rules = village_rules(inst, distances) if s.min_village_share > 0 else []
    return PolicyRules(
        required=required,
        excluded=excluded,
        groups=groups,
        capacity=capacity,
        cover_rules=cover_rules,
    )


def village_rules(inst: Instance, distances: RoadDistances | None = None) -> list[CoverRule]:
    """One :class:`~planner.models.CoverRule` per county: at least
    ``ceil(stations.min_village_share x n)`` of its ``n`` 村/社区 (one demand point
    each) have an open station within their coverage radius (``radius_m``).

    Distances as the tier's models measure them (:mod:`planner.instance.coverage_sets`):
    straight line × circuity, or in ``network`` mode the walking distances
    (``distances``, else :func:`planner.run.station_distances`).
    """
    share = float(inst.scenario.stations.min_village_share)
    if inst.network is not None and distances is None:
        from planner.run import station_distances  # the run imports this module first

        distances = inst.memo.get("station_distances")
        if distances is None:
            distances = station_distances(inst)
    cover = cover_matrix(station_source(inst, distances), cover_radius(inst.demand))
    county_names = dict(
        zip(inst.region.counties["code"], inst.region.counties["name"], strict=True)
    )
    codes = inst.demand["county_code"].to_numpy(dtype=object)
    rules = []
    for code in sorted(set(codes.tolist()), key=str):
        units = np.flatnonzero(codes == code)
        # The tolerance keeps 0.7 x 10 at 7 (binary 0.7 x 10 is 7.000000000000001).
        need = math.ceil(share * units.size - 1e-9)
        name = str(county_names.get(code, code))
        rules.append(CoverRule(name, cover[units], need, "county"))
    return rules


def centre_rules(inst: Instance) -> PolicyRules:
    """The sorting-centre tier's policy: sites required and excluded, one per county
    when asked, county minimums and maximums."""
    ct = inst.scenario.centres
    cand = inst.centres
    required, excluded = _fixed_sites(cand, "centres", ct)
    county_names = dict(
        zip(inst.region.counties["code"], inst.region.counties["name"], strict=True)
    )
    codes = cand["county_code"].to_numpy(dtype=object)
    groups = []
    for code in sorted(set(codes) | set(ct.county_min) | set(ct.county_max)):
        lo = max(1 if ct.one_per_county else 0, ct.county_min.get(code, 0))
        hi = ct.county_max.get(code)
        if lo or hi is not None:
            groups.append(
                SiteGroup(
                    county_names.get(code, code), np.flatnonzero(codes == code), lo, hi, "county"
                )
            )
    return PolicyRules(required=required, excluded=excluded, groups=groups)


def _fixed_sites(cand: pd.DataFrame, tier: str, tier_cfg: Any) -> tuple[list[int], list[int]]:
    """Candidate indices that must open / stay closed: the scenario's lists plus the
    existing sites marked keep / close. An id that is not a candidate is an error
    (:func:`~planner.instance.build.check_instance` names them all before solving)."""
    sites = CandidateSites.of_frame(cand)
    for side in ("required_sites", "excluded_sites"):
        problem = unknown_site_ids(tier, side, getattr(tier_cfg, side), sites)
        if problem is not None:
            raise PlannerError("scenario.invalid", details=[problem])
    index = {str(sid): j for j, sid in enumerate(cand["site_id"])}
    status = cand["status"].to_numpy()
    required = [index[x] for x in tier_cfg.required_sites]
    required += np.flatnonzero(status == "existing_keep").tolist()
    excluded = [index[x] for x in tier_cfg.excluded_sites]
    excluded += np.flatnonzero(status == "existing_close").tolist()
    return required, excluded
