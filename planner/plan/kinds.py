"""The standalone facility kinds in a plan: which ones, their names, their sites.

A plan whose scenario lists kinds (``Scenario.kinds``) holds, per kind, a
:class:`~planner.plan.TierResult` whose ``tier`` is the kind's id and whose
``details`` carry ``kind`` and ``name`` (``{"zh": .., "en": ..}``), and its sites in
``plan.sites`` with ``tier == "standalone"`` and ``kind``. The names are read from the
results, not the catalogue, so a stored plan shows its kinds even where the kind's file
is missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from planner import format as fmt
from planner.format import count, share
from planner.i18n import DEFAULT_LANGUAGE, t, value_label

if TYPE_CHECKING:
    from planner.plan import Plan

__all__ = [
    "BASIS_LABEL",
    "KIND_COMPARE_ROWS",
    "MODEL_LABEL",
    "kind_compare_rows",
    "kind_kpi_table",
    "kind_name",
    "kind_names",
    "kind_sites",
]


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


#: The words of the kinds' models and demand bases (``kpis["kinds"][kind]``).
MODEL_LABEL = {
    "p_median": "kinds.model.p_median",
    "mclp": "kinds.model.mclp",
    "set_cover": "kinds.model.set_cover",
}
BASIS_LABEL = {
    "residents": "kinds.basis.residents",
    "households": "term.households",
    "poi": "kinds.basis.poi",
    "vehicles": "kinds.basis.vehicles",
    "table": "kinds.basis.table",
}


def kind_kpi_table(plan: Plan, lang: str = DEFAULT_LANGUAGE) -> pd.DataFrame:
    """A row per standalone kind: its name, model, sites, demand basis, share of demand
    served within its radius, sites beside their colocation point, candidates left out
    by its siting rules and the solver's status; no rows for a plan without kinds."""
    blocks = plan.kpis.get("kinds") if isinstance(plan.kpis.get("kinds"), dict) else {}
    headers = [
        t(key, lang)
        for key in (
            "export.col.facility_kind", "export.report.model", "kinds.col.sites",
            "kinds.col.basis", "kinds.col.served", "kinds.col.colocated",
            "kinds.col.excluded", "ui.kpi.status",
        )
    ]  # fmt: skip
    from planner.plan.tables import PLAN_STATUS_LABEL

    rows = []
    for kind in kind_names(plan):
        block = blocks.get(kind) or {}
        result = plan.result(kind)
        rows.append(
            [
                kind_name(plan, kind, lang),
                value_label(MODEL_LABEL, block.get("model", "-"), lang),
                count(block.get("count")),
                value_label(BASIS_LABEL, block.get("demand_basis", "-"), lang),
                share(block.get("coverage_share")),
                count(block.get("colocated")),
                count(block.get("excluded_candidates")),
                value_label(PLAN_STATUS_LABEL, result.status if result else "-", lang),
            ]
        )
    return pd.DataFrame(rows, columns=headers)


#: Indicators of a kind compared between plans: (key in its block, label key, kind).
KIND_COMPARE_ROWS: tuple[tuple[str, str, fmt.Kind], ...] = (
    ("count", "kinds.compare.sites", "count"),
    ("coverage_share", "kinds.compare.served", "share"),
)


def kind_compare_rows(
    records: Sequence[Any], labels: Sequence[str], lang: str
) -> list[dict[str, str]]:
    """Rows of the compare table per standalone kind any of the plans has (its sites and
    share of demand within reach), each plan's difference from the first; none when no
    plan has kinds. A plan without the kind shows it as missing."""
    blocks = [
        r.kpis.get("kinds") if isinstance(r.kpis.get("kinds"), Mapping) else {} for r in records
    ]
    kinds: dict[str, str] = {}
    for block in blocks:
        for kind, figures in block.items():
            name = figures.get("name") if isinstance(figures, Mapping) else None
            kinds.setdefault(kind, name.get(lang, kind) if isinstance(name, Mapping) else kind)
    rows = []
    for kind, name in kinds.items():
        for key, label, shown in KIND_COMPARE_ROWS:
            row = {"": t(label, lang, kind=name)}
            values = [fmt.figure((b.get(kind) or {}).get(key)) for b in blocks]
            for i, (value, plan) in enumerate(zip(values, labels, strict=True)):
                row[plan] = fmt.kind(value, shown, lang)
                if i:
                    base = values[0]
                    delta = None if value is None or base is None else value - base
                    row[f"Δ {plan}"] = fmt.diff(delta, shown, lang)
            rows.append(row)
    return rows
