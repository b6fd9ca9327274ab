"""Whether a site's position is real or schematic (issue 19, item 4).

A built-in region's township and community geometry is generated: a station at a
community's point, or a sorting centre at a generated township seat, stands where the
generator put it, not where anything is. Such sites are ``schematic`` and a map or a
report must say so; sites whose position comes from real data (an imported inventory, a
planner's own candidates, a township seat matched to GeoNames, an imported official
layer) are ``real``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.data.regions import Region
from planner.i18n import t

__all__ = ["LOCATION_QUALITIES", "location_quality", "schematic_note"]

LOCATION_QUALITIES = ("real", "schematic")
# Candidate sources whose coordinates a planner supplied.
_SUPPLIED = {"existing", "user"}


def _approximate(layer: pd.DataFrame | None) -> set[str]:
    """Codes of a layer's rows whose geometry is generated."""
    if layer is None or layer.empty or "geometry_quality" not in layer:
        return set()
    return set(layer.loc[layer["geometry_quality"] == "approximate", "code"].astype(str))


def location_quality(sites: pd.DataFrame, region: Region) -> np.ndarray:
    """``real`` or ``schematic`` for every site of a plan.

    Parameters
    ----------
    sites
        A plan's sites with ``source`` (candidate source: ``community``, ``grid``,
        ``township_seat``, ``existing``, ``user``), ``community_code`` and
        ``township_code``.
    region
        The region the plan was made for.

    Returns
    -------
    numpy.ndarray
        One of :data:`LOCATION_QUALITIES` per site.
    """
    if sites.empty:
        return np.array([], dtype=object)
    blank = pd.Series("", index=sites.index)
    source = sites.get("source", blank).astype(str).to_numpy()
    towns = region.townships
    generated_seat: set[str] = set()
    if "seat_source" in towns:
        generated_seat = set(towns.loc[towns["seat_source"] == "generated", "code"].astype(str))
    approx_towns = _approximate(towns)
    approx_comms = _approximate(region.communities)
    township = sites.get("township_code", blank).astype(str).to_numpy()
    community = sites.get("community_code", blank).astype(str).to_numpy()
    schematic = np.where(
        source == "township_seat",
        np.isin(township, list(generated_seat & approx_towns)),
        np.isin(community, list(approx_comms)),
    )
    schematic &= ~np.isin(source, list(_SUPPLIED))
    return np.where(schematic, "schematic", "real").astype(object)


def schematic_note(sites: pd.DataFrame, lang: str) -> str:
    """How many of a plan's sites stand at schematic positions, in words ("" if none).

    Closed existing sites are left out: the plan opens or keeps the others. Plans saved
    before ``location_quality`` existed say nothing.
    """
    if "location_quality" not in sites or sites.empty:
        return ""
    shown = sites[sites["action"] != "close"] if "action" in sites else sites
    count = int((shown["location_quality"] == "schematic").sum())
    if count == 0:
        return ""
    return t("map.schematic_sites", lang, count=count, total=len(shown))
