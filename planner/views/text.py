"""Text from data on a map: the one escaping rule, and area names by code.

Leaflet and Folium put tooltip, popup, legend and layer-control strings into the page
as HTML, so every string that comes from data (area and site names and codes, review
reasons, raw values of an import) is passed through :func:`escape_html` (or
:func:`escaped_columns`) before it reaches Folium, and no HTML is built from data.
Numbers are shown as formatted numbers (:mod:`planner.format`).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from planner.data.regions import Region
from planner.format import number
from planner.i18n import t

__all__ = [
    "area_names",
    "escape_html",
    "escaped_columns",
    "label",
    "number_or_text",
    "plain",
    "popup",
]


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


def escape_html(value: Any) -> str:
    """``value`` as HTML-escaped text; a missing value (None, NaN, NA) is ``""``.

    The one rule for every string that comes from data on a map: Leaflet inserts
    tooltip, popup and layer-control strings as HTML, so a name ``<img onerror=…>``
    must arrive as ``&lt;img onerror=…&gt;`` to show as the text it is.
    """
    return "" if _missing(value) else html.escape(str(value), quote=True)


def escaped_columns(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``columns`` of ``frame`` as :func:`escape_html` text (absent columns are empty)."""
    out = pd.DataFrame(index=frame.index)
    for col in columns:
        values = frame[col] if col in frame else [None] * len(frame)
        out[col] = [escape_html(v) for v in values]
    return out


def plain(value: Any) -> str:
    """``value`` as plain (not yet escaped) text; missing values are ``""``."""
    return "" if _missing(value) else str(value)


def label(key: str, lang: str, **params: Any) -> str:
    """A translated label for a place Leaflet fills as HTML (layer names, aliases)."""
    return escape_html(t(key, lang, **params))


def number_or_text(value: Any, digits: int = 0) -> str:
    """A number formatted with separators; any other value as escaped text (raw imports)."""
    if isinstance(value, bool | np.bool_) or _missing(value):
        return escape_html(value)
    if isinstance(value, int | float | np.integer | np.floating):
        return number(value, digits)
    return escape_html(value)


def popup(title: str, subtitle: str, rows: Sequence[tuple[str, str]]) -> str:
    """A site's popup: every piece is escaped here, so callers pass plain text."""
    body = "".join(
        f"<tr><td>{escape_html(name)}</td><td>{escape_html(value)}</td></tr>"
        for name, value in rows
    )
    return (
        f'<div class="planner-popup"><b>{escape_html(title)}</b><br>'
        f"<i>{escape_html(subtitle)}</i><table>{body}</table></div>"
    )


def area_names(region: Region | None, layer: str) -> dict[str, str]:
    """``{code: name}`` of a region's ``counties`` or ``townships`` (codes as text)."""
    if region is None:
        return {}
    frame = getattr(region, layer)
    return dict(zip(frame["code"].astype(str), frame["name"].astype(str), strict=True))
