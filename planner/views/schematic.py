"""Schematic geometry drawn as schematic on web maps (issue 19, item 4).

Generated township and community zones (``geometry_quality == "approximate"``) are
outlined with a dashed line, and the legend says so in a "示意位置" section that also
counts the plan's sites standing at generated positions
(:func:`planner.plan.location.location_quality`). A planner who only looks at the map
still sees which lines and points are not real.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from planner.format import count as count_text
from planner.i18n import t

__all__ = ["SCHEMATIC_DASH", "dashed_if_schematic", "schematic_flags", "schematic_section"]

#: Leaflet ``dashArray`` of a schematic zone's outline (pixels on, off).
SCHEMATIC_DASH = "5 4"
#: Legend swatch background of the dashed-outline row (an outline, no fill of its own).
_ZONE_SWATCH = "#ffffff"


def schematic_flags(layer: pd.DataFrame | None) -> np.ndarray:
    """``True`` for each row of an area layer whose geometry is generated."""
    if layer is None or "geometry_quality" not in layer:
        return np.zeros(0 if layer is None else len(layer), dtype=bool)
    return (layer["geometry_quality"].astype(str) == "approximate").to_numpy()


def dashed_if_schematic(style: dict[str, Any], feature: dict) -> dict[str, Any]:
    """``style`` with a dashed outline when the GeoJSON ``feature`` is schematic
    (its ``schematic`` property, set from :func:`schematic_flags`)."""
    if feature.get("properties", {}).get("schematic"):
        return {**style, "dashArray": SCHEMATIC_DASH}
    return style


def schematic_section(
    lang: str,
    zones: bool,
    sites: pd.DataFrame | None = None,
    site_colour: str = "#ffffff",
) -> list[tuple[str, list[tuple[str, ...]]]]:
    """The legend's "示意位置" section: ``[(title, rows)]``, or ``[]`` when nothing is
    schematic.

    Parameters
    ----------
    lang
        Language of the rows.
    zones
        Whether the map draws generated (dashed) zones.
    sites
        A plan's sites with ``location_quality``; closed sites are left out, as in
        :func:`planner.plan.location.schematic_note`.
    site_colour
        Swatch colour of the site row (the map's station colour).
    """
    rows: list[tuple[str, ...]] = []
    if zones:
        rows.append((_ZONE_SWATCH, t("map.legend.schematic_zones", lang), "dashed"))
    if sites is not None and "location_quality" in sites and len(sites):
        shown = sites[sites["action"] != "close"] if "action" in sites else sites
        count = int((shown["location_quality"] == "schematic").sum())
        if count:
            label = t("map.legend.schematic_sites", lang, count=count_text(count))
            rows.append((site_colour, label, "round"))
    return [(t("map.legend.schematic", lang), rows)] if rows else []
