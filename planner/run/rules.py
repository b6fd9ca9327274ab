"""The scenario's siting policy for each tier, as rules on the instance's candidates.

Which candidates must open or stay closed (the scenario's lists and the existing
sites marked keep / close), per-township, per-community and per-county groups, and
the stations' household capacities: :class:`~planner.models.PolicyRules` the
models enforce.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from planner.i18n import PlannerError
from planner.instance.build import Instance
from planner.instance.demand import URBAN_TOWNSHIP_KINDS
from planner.models import PolicyRules, SiteGroup, groups_from_labels
from planner.scenario.checks import CandidateSites, unknown_site_ids

__all__ = ["centre_rules", "station_rules"]


def station_rules(inst: Instance) -> PolicyRules:
    """The station tier's policy: sites required and excluded, one per township or
    community, county minimums and maximums, and household capacities when the
    scenario asks for them (``stations.use_capacity``)."""
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
    return PolicyRules(required=required, excluded=excluded, groups=groups, capacity=capacity)


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
