"""What planners see and print: web maps, the review map and every export.

=================  ======================================================================
module             what it holds
=================  ======================================================================
``style``          every colour, symbol, line width and legend entry of every map
``text``           text from data on a map: :func:`escape_html`, the one escaping rule
``labels``         the catalogue key of each value the maps and exports write in words
``layers``         basemaps, display coordinates, legend/notice/title boxes, point layer
``embed``          self-contained offline pages (:func:`to_html`), :func:`isolate_map`
``region_map``     a region coloured by population density
``plan_map``       a plan's sites, links and coverage (the app's map and the exported one)
``review_map``     the plan map with each reviewed site marked by its decision
``preview``        an imported layer before it is applied
``roads``          a road network drawn over a map
``export``         files: HTML map, print map (PNG/PDF), tables, GIS layers, the report
=================  ======================================================================

The web maps' public names are importable from here: ``from planner.views import
plan_map, to_html``.
"""

from planner.views.embed import MAP_SANDBOX, isolate_map, offline, to_html
from planner.views.layers import (
    BASEMAP_LABEL,
    BASEMAP_SYSTEMS,
    BASEMAPS,
    PointLayer,
    add_basemap,
    add_legend,
    add_notice,
    for_display,
)
from planner.views.plan_map import plan_map
from planner.views.preview import layer_map
from planner.views.region_map import region_map
from planner.views.roads import add_road_layer, road_display_lines
from planner.views.style import COVERAGE_COLOURS, coverage_colour, density_scale
from planner.views.text import escape_html, escaped_columns

__all__ = [
    "BASEMAPS",
    "BASEMAP_LABEL",
    "BASEMAP_SYSTEMS",
    "COVERAGE_COLOURS",
    "MAP_SANDBOX",
    "PointLayer",
    "add_basemap",
    "add_legend",
    "add_notice",
    "add_road_layer",
    "coverage_colour",
    "density_scale",
    "escape_html",
    "escaped_columns",
    "for_display",
    "isolate_map",
    "layer_map",
    "offline",
    "plan_map",
    "region_map",
    "road_display_lines",
    "to_html",
]
