"""The standalone facility kinds on the maps: a layer per kind on the app's and the
exported web map, dots and legend entries on the printed sheet.

Each kind is drawn in the colour of its file (``[symbol] colour`` in
``data/kinds/<kind>.toml``, or the planner's own file); a kind whose file is gone (a
stored plan) is drawn in :data:`FALLBACK_COLOUR`. Names come from the plan's results
(:mod:`planner.plan.kinds`). Plans without kinds draw nothing from here. Every name and
id reaches the page through :func:`planner.views.text.escape_html`.
"""

from __future__ import annotations

import folium

from planner.format import number
from planner.i18n import PlannerError, t
from planner.plan.kinds import kind_name, kind_names, kind_sites
from planner.views.layers import PointLayer, for_display
from planner.views.style import Dot
from planner.views.text import escape_html, plain, popup

__all__ = [
    "FALLBACK_COLOUR",
    "add_kind_layers",
    "draw_kinds",
    "kind_colours",
    "kind_legend",
    "kind_sheet_legend",
]

#: Colour of a kind whose file the catalogue no longer has.
FALLBACK_COLOUR = "#616161"
#: Symbol sizes per output (web map radius in px; printed marker size in points at A4).
_SIZE = {"app": 7, "file": 6, "print": 6, "legend": 6}


def kind_colours(kinds) -> dict[str, str]:
    """``{kind_id: colour}`` from the kinds' files."""
    from planner.data.kinds import load_kinds

    try:
        catalogue = load_kinds()
    except PlannerError:  # a broken file elsewhere must not hide the plan's map
        catalogue = {}
    return {k: catalogue[k].symbol.colour if k in catalogue else FALLBACK_COLOUR for k in kinds}


def _dot(colour: str, output: str) -> Dot:
    return Dot(colour, "#ffffff" if output != "print" else "black", _SIZE[output], 1.5, 0.95)


def add_kind_layers(fmap: folium.Map, plan, lang: str, system: str | None, export: bool) -> None:
    """A layer per standalone kind of ``plan`` (nothing for a plan without kinds)."""
    names = kind_names(plan)
    output = "file" if export else "app"
    for kind, colour in kind_colours(names).items():
        sites = kind_sites(plan, kind)
        if not len(sites):
            continue
        shown = for_display(sites.to_crs(4326), system)
        title = kind_name(plan, kind, lang)
        rows = []
        for rec, geom in zip(shown.to_dict("records"), shown.geometry, strict=True):
            name = plain(rec.get("name")) or plain(rec.get("site_id"))
            details = [
                (t("export.col.site_id", lang), plain(rec.get("site_id"))),
                (t("export.col.served_weight", lang), number(rec.get("served_weight"), 0)),
            ]
            if plain(rec.get("colocated_poi")):
                details.append((t("export.col.colocated_poi", lang), plain(rec["colocated_poi"])))
            html = popup(name, title, details)
            rows.append([round(geom.y, 6), round(geom.x, 6), escape_html(name), html, {}])
        dot = _dot(colour, output)
        group = folium.FeatureGroup(name=escape_html(title))
        group.add_child(
            PointLayer(rows, kind="circle_marker", style={"radius": dot.size, **dot.leaflet()})
        )
        group.add_to(fmap)


def kind_legend(plan, lang: str) -> list[tuple[str, str]]:
    """Legend entries ``(colour, name)`` of the plan's kinds with sites."""
    return [
        (colour, kind_name(plan, kind, lang))
        for kind, colour in kind_colours(kind_names(plan)).items()
        if len(kind_sites(plan, kind))
    ]


def kind_sheet_legend(plan, lang: str) -> list[tuple[str, Dot]]:
    """The printed legend's entries ``(name, symbol)`` of the plan's kinds with sites."""
    return [(name, _dot(colour, "legend")) for colour, name in kind_legend(plan, lang)]


def draw_kinds(ax, plan, crs, k: float) -> None:
    """The printed sheet's dots of each kind, in ``crs`` (sizes times ``k``)."""
    for kind, colour in kind_colours(kind_names(plan)).items():
        sites = kind_sites(plan, kind)
        if not len(sites):
            continue
        pts = sites.to_crs(crs)
        dot = _dot(colour, "print")
        ax.plot(
            pts.geometry.x, pts.geometry.y, "o", color=dot.fill, markersize=dot.size * k,
            markeredgecolor=dot.edge, markeredgewidth=0.6 * k, zorder=8, linestyle="none",
        )  # fmt: skip
