"""The phased plan in the workbook: each site's ``year`` and a sheet per year.

A plan planned with a ``phasing`` section (:mod:`planner.run.phasing`) has a ``year``
on every site; the station and sorting-centre sheets show it after the site id, and
the per-year sheet (分年度建设) lists each year's sites in service, the new ones, the
coverage, the 村/社区 covered and the one-off cost of the year and so far, with the
year's budget.
"""

from __future__ import annotations

import pandas as pd

from planner.plan import Plan
from planner.views.export.common import Column, _cols

__all__ = ["YEAR_COLUMN", "YEAR_SHEET_COLUMNS", "has_years", "year_table"]

#: The ``year`` column of the site sheets.
YEAR_COLUMN = Column("year", "int")
#: The per-year sheet (``kpis["years"]``).
YEAR_SHEET_COLUMNS = _cols(
    "year:int stations:int sorting_centres:int new_stations:int new_sorting_centres:int "
    "coverage_share:pct mean_distance_m:int communities_covered:int villages_covered:int "
    "cost_yuan:money cumulative_cost_yuan:money budget_yuan:money"
)


def has_years(plan: Plan) -> bool:
    """Whether ``plan`` was phased (its sites carry a ``year``)."""
    return plan.sites is not None and "year" in plan.sites.columns


def year_table(plan: Plan, lang: str = "zh") -> pd.DataFrame:
    """The per-year figures with ``lang`` headers (empty without phasing)."""
    from planner.views.export.common import _frame

    rows = pd.DataFrame(plan.kpis.get("years") or [])
    return _frame(rows, YEAR_SHEET_COLUMNS, lang)
