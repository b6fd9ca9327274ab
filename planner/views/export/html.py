"""Interactive HTML map of a plan: one self-contained file that opens offline.

County and township boundaries, stations, sorting centres and station → centre links
on a plain background, with a layer control, a legend, a title box and the
approximate-geometry notice: :func:`planner.views.plan_map.plan_map` with
``export=True`` (coloured like the printed sheet), made offline by
:func:`planner.views.embed.to_html`.

Every name or text that comes from data or from the planner (site and area names,
scenario name) is HTML-escaped before it reaches the page, with the same rule as the
app's maps (:func:`planner.views.text.escape_html`): Leaflet puts tooltip and popup
strings into the page as HTML, so a site named ``<script>…`` must arrive as
``&lt;script&gt;…`` to show as text.
"""

from __future__ import annotations

from pathlib import Path

from planner.data.regions import Region
from planner.plan import Plan
from planner.views.embed import to_html
from planner.views.export.common import map_title
from planner.views.plan_map import plan_map

__all__ = ["export_html"]


def export_html(plan: Plan, path: str | Path, region: Region, lang: str = "zh") -> Path:
    """Write the interactive map as one self-contained, offline HTML file."""
    path = Path(path)
    fmap = plan_map(
        plan,
        region,
        lang,
        show_uncovered=False,
        cluster=None,  # as in the app: clustered above CLUSTER_ABOVE stations
        export=True,
        title=map_title(plan, region, lang),
    )
    path.write_text(to_html(fmap), encoding="utf-8")
    return path
