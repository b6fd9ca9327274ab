"""Which generated township seat goes to which township (issue 19, item 3).

Placement by kind (:func:`planner.data.synth._township_seats`) gives each kind of
township a set of positions: streets in the county town, towns at middle distance,
乡 at the periphery. Handing those positions out in NBS code order shuffles them, since
nothing in a code says where a township is. Two real signals do say something:

* **urban character**: the share of a township's village-level units that are
  residents' committees (社区, NBS serials 0xx–1xx and 4xx) rather than villages (村).
  A town whose units are mostly 社区 is built up and merges with the county town; a
  town of villages lies out in the country. The positions of a kind are handed out by
  an optimal assignment (``scipy.optimize.linear_sum_assignment``) matching the rank of
  each township's urban character to the rank of each position's distance from the
  county seat: the most urban township gets the nearest position.
* **named villages**: a GeoNames populated place (≥ 500 inhabitants) whose Chinese name
  is the name of one of a township's villages, and of no other village in the county,
  lies in that township (``village_hints`` in ``scripts/build_regions.py``). Such a
  township's seat is placed at that place, a real settlement inside it, before the
  others are spread; the seat stays ``generated`` (a settlement of the township, not
  its seat).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

__all__ = ["assign_positions", "urban_character"]


def urban_character(townships: pd.DataFrame, communities: pd.DataFrame) -> pd.Series:
    """Share of each township's village-level units that are 社区, by township code.

    Parameters
    ----------
    townships
        ``code`` of each township.
    communities
        ``township_code`` and ``kind`` (``community`` | ``village``) of every unit.

    Returns
    -------
    pandas.Series
        0 (all villages) to 1 (all 社区), indexed by township code; 0 for a township
        without units.
    """
    share = (communities["kind"] == "community").groupby(communities["township_code"]).mean()
    return share.reindex(townships["code"]).fillna(0.0)


def assign_positions(positions: np.ndarray, core: np.ndarray, urban: np.ndarray) -> np.ndarray:
    """Order ``positions`` so that the most urban township gets the one nearest the core.

    Parameters
    ----------
    positions
        ``(n, 2)`` candidate seat positions (metres) of ``n`` townships of one kind.
    core
        ``(2,)`` the county seat.
    urban
        ``(n,)`` urban character of the townships (:func:`urban_character`), in the
        townships' order.

    Returns
    -------
    numpy.ndarray
        ``(n, 2)``: row ``i`` is the position given to township ``i``. Ties in urban
        character keep the townships' order (a stable sort), so the result is
        deterministic.
    """
    n = len(positions)
    if n <= 1:
        return positions.copy()
    distance = np.hypot(*(positions - core).T)
    # Ranks in [0, 1]: how far out a position is, how rural a township is.
    position_rank = np.argsort(np.argsort(distance, kind="stable"), kind="stable") / (n - 1)
    order = np.argsort(-np.asarray(urban, dtype=float), kind="stable")
    township_rank = np.empty(n)
    township_rank[order] = np.arange(n) / (n - 1)
    cost = (township_rank[:, None] - position_rank[None, :]) ** 2
    rows, cols = linear_sum_assignment(cost)
    out = np.empty_like(positions)
    out[rows] = positions[cols]
    return out
