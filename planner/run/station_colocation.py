"""The station tier's colocation preference: a station beside a refuse transfer station.

The recycling-station kind (``data/kinds/recycling_station.toml``) names a point of
interest category (垃圾转运站, ``transfer_station``), a distance ``within_m`` and a
preference ``preference_m``. When the region holds such points of interest, a
candidate within ``within_m`` of one is preferred by ``preference_m`` metres:

* p-median: an open site costs ``-preference_m · W / p`` (``W`` the population,
  ``p`` the stations), i.e. ``preference_m`` metres of walking for the people an
  average station serves;
* MCLP / set cover: each point the site serves counts ``preference_m`` closer in the
  distance stage, so coverage is never traded for it (as for the standalone kinds,
  :func:`planner.run.kinds.colocation_discount`).

With household capacity the preference is not modelled (the capacitated models take
no site costs). Regions without transfer-station points, and a kind file without a
preference, change nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from planner.data.kinds import load_kinds
from planner.run.kinds import colocation_discount

if TYPE_CHECKING:
    from planner.instance.build import Instance

__all__ = ["STATION_KIND", "colocated_stations", "p_median_site_cost", "station_preference"]

#: The kind whose file holds the station tier's colocation preference.
STATION_KIND = "recycling_station"


def station_preference(inst: Instance) -> np.ndarray | None:
    """Metres of preference per station candidate (0 where no transfer station is
    near), or ``None`` when nothing is preferred; kept in ``inst.memo``."""
    if "station_preference" not in inst.memo:
        # most regions have no points of interest: no kind files to read then
        kind = load_kinds().get(STATION_KIND) if inst.region.pois is not None else None
        found = None
        if kind is not None:
            found = colocation_discount(inst.stations, inst.region, kind)
            found = found if found is not None and found.any() else None
        inst.memo["station_preference"] = found
    return inst.memo["station_preference"]


def p_median_site_cost(inst: Instance, weights: np.ndarray, p: int) -> np.ndarray | None:
    """The p-median's per-site cost for the preference (negative: preferred)."""
    metres = station_preference(inst)
    if metres is None or p < 1:
        return None
    return -metres * float(np.sum(weights)) / p


def colocated_stations(inst: Instance, chosen: np.ndarray) -> int | None:
    """How many of the chosen candidates lie beside a transfer station (``None``
    when the region has none or the kind prefers nothing)."""
    metres = station_preference(inst)
    if metres is None:
        return None
    return int(np.count_nonzero(metres[np.asarray(chosen, dtype=np.int64)]))
