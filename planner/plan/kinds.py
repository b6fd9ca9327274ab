"""The standalone facility kinds in a plan: which ones, their names, their sites.

A plan whose scenario lists kinds (``Scenario.kinds``) holds, per kind, a
:class:`~planner.plan.TierResult` whose ``tier`` is the kind's id and whose
``details`` carry ``kind`` and ``name`` (``{"zh": .., "en": ..}``), and its sites in
``plan.sites`` with ``tier == "standalone"`` and ``kind``. The names are read from the
results, not the catalogue, so a stored plan shows its kinds even where the kind's file
is missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd

from planner.i18n import DEFAULT_LANGUAGE

if TYPE_CHECKING:
    from planner.plan import Plan

__all__ = ["kind_name", "kind_names", "kind_sites"]


def kind_names(plan: Plan) -> dict[str, dict[str, str]]:
    """``{kind_id: {"zh": .., "en": ..}}`` of the plan's standalone kinds, in order."""
    out: dict[str, dict[str, str]] = {}
    for r in plan.results:
        details = r.details if isinstance(r.details, dict) else {}
        kind = details.get("kind")
        if isinstance(kind, str):
            name = details.get("name")
            out[kind] = dict(name) if isinstance(name, dict) else {DEFAULT_LANGUAGE: kind}
    return out


def kind_name(plan: Plan, kind: str, lang: str) -> str:
    """The kind's name in ``lang`` (its id when the plan does not name it)."""
    return kind_names(plan).get(kind, {}).get(lang, kind)


def kind_sites(plan: Plan, kind: str) -> gpd.GeoDataFrame:
    """The open sites of a standalone ``kind``."""
    sites = plan.open_sites
    if "kind" not in sites:
        return sites.iloc[0:0]
    return sites[(sites["tier"] == "standalone") & (sites["kind"] == kind)]
