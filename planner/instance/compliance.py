"""The compliance check applied to a run's candidates.

:func:`with_actions` gives every candidate its ``action``: existing sites as the
scenario's standard classifies them (:func:`planner.scenario.compliance.classify_sites`),
every other candidate ``new``; kept and upgraded sites become required, closed ones
excluded.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.scenario.compliance import (
    CLOSE_REASONS,
    REASONS,
    UPGRADE_REASONS,
    VERIFY_REASONS,
    classify_sites,
    minimum_floor_area,
)
from planner.scenario.existing import ExistingNetwork

__all__ = [
    "CLOSE_REASONS",
    "REASONS",
    "UPGRADE_REASONS",
    "VERIFY_REASONS",
    "classify_sites",
    "minimum_floor_area",
    "with_actions",
]


def with_actions(
    candidates: pd.DataFrame, sites: pd.DataFrame | None, tier: str, existing: ExistingNetwork
) -> pd.DataFrame:
    """``candidates`` with ``action`` and ``reasons``: existing sites as classified,
    every other candidate ``new``. ``status`` follows the action (``existing_keep`` for
    keep and upgrade, ``existing_close`` for close), so the siting rules make kept and
    upgraded sites required and closed ones excluded."""
    out = candidates.copy()
    out["action"] = "new"
    out["reasons"] = ""
    if sites is None or sites.empty:
        return out
    mine = sites[sites["tier"].astype(str) == tier]
    if mine.empty:
        return out
    classified = classify_sites(mine, existing)
    by_id = dict(zip(mine["site_id"].astype(str), classified.itertuples(index=False), strict=True))
    is_existing = out["source"].to_numpy() == "existing"
    for k in np.flatnonzero(is_existing):
        found = by_id.get(str(out["site_id"].iat[k]))
        if found is None:
            continue
        out.iat[k, out.columns.get_loc("action")] = found.action
        out.iat[k, out.columns.get_loc("reasons")] = found.reasons
    existing_rows = is_existing & (out["action"].to_numpy() != "new")
    out.loc[existing_rows, "status"] = np.where(
        out.loc[existing_rows, "action"].to_numpy() == "close", "existing_close", "existing_keep"
    )
    return out
