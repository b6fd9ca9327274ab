"""Checking a road file a planner uploads: its network is built over the region and
measured before the file is stored with the region.

:func:`check_road_file` reads the file as :class:`~planner.instance.network.RoadNetwork`
in the region's metric CRS, snaps the communities to it and says (in every language)
whether it can be stored, with warnings when it covers little of the region or falls
apart in pieces. :func:`store_road_file` files a checked upload away with
:func:`planner.data.roads.save_road_file`. Neither raises for a bad file.
:func:`download_road_file` stores the region's OpenStreetMap roads instead.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from planner.accounts import LOCAL, Actor
from planner.accounts import check as authorise
from planner.data.regions import Region
from planner.data.roads import RoadFile, save_road_file
from planner.i18n import LANGUAGES, PlannerError, t
from planner.instance import network
from planner.instance.demand import representative_points
from planner.instance.network import MIN_COMPONENT_SHARE, OFF_NETWORK_M, RoadNetwork

__all__ = [
    "PARTIAL_COVER",
    "RoadCheck",
    "check_road_file",
    "download_road_file",
    "store_road_file",
]

#: Below this share of communities near the roads, the check warns.
PARTIAL_COVER = 0.5


@dataclass
class RoadCheck:
    """The outcome of checking an uploaded road file.

    Attributes
    ----------
    name
        The uploaded file's name.
    data
        Its bytes (kept to store the file once the planner confirms).
    crs
        Coordinate system chosen for road lines (``None``: as the file says).
    ok
        Whether the file can be stored.
    messages
        ``[(kind, {lang: text})]`` with kind ``success``, ``warning`` or ``error``.
    summary
        Figures of the network (stored with the file).
    """

    name: str
    data: bytes
    crs: str | None
    ok: bool
    messages: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def _both(key: str, **params: Any) -> dict[str, str]:
    """Message ``key`` in every language."""
    return {code: t(key, code, **params) for code in LANGUAGES}


def _failed(name: str, data: bytes, crs: str | None, text: dict[str, str]) -> RoadCheck:
    """A check that refuses the file, saying why (``text`` in every language)."""
    message = {code: t("ui.roads.not_imported", code, message=text[code]) for code in LANGUAGES}
    return RoadCheck(name, data, crs, False, [("error", message)])


def check_road_file(region: Region, name: str, data: bytes, crs: str | None = None) -> RoadCheck:
    """Check an uploaded road file by building its network over ``region``.

    Never raises: an unreadable or misplaced file gives ``ok=False`` with a message in
    both languages.

    Parameters
    ----------
    region
        The region the roads are for (its metric CRS and communities).
    name, data
        The upload.
    crs
        System of road lines whose file does not say (``wgs84``, ``gcj02``, ...).
    """
    suffix = Path(name).suffix.lower()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            # Under its own name, so that the reader's messages name the planner's file.
            path = Path(tmp) / (Path(name).name or f"roads{suffix}")
            path.write_bytes(data)
            net = RoadNetwork.from_file(path, crs=crs, metric_crs=region.metric_crs)
            summary = net.summary("walk")
            points = representative_points(region.communities).to_crs(region.metric_crs)
            xy = np.column_stack([points.x.to_numpy(), points.y.to_numpy()])
            snap = net.snap(xy, "walk", min_component_share=MIN_COMPONENT_SHARE)
            covered = float((snap.distance_m <= OFF_NETWORK_M).mean()) if len(xy) else 0.0
            speeds = net.known_speed_share()
    except PlannerError as err:
        return _failed(name, data, crs, {code: err.message(code) for code in LANGUAGES})
    except Exception as err:  # a damaged file of any kind: say so, never a traceback
        return _failed(
            name, data, crs, _both("ui.roads.bad_file", name=name, error=type(err).__name__)
        )
    summary = {
        **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in summary.items()},
        "covered_share": round(covered, 4),
        "known_speed_share": round(speeds, 4),
    }
    if covered == 0.0:
        return _failed(name, data, crs, _both("ui.roads.outside"))
    messages = [
        (
            "success",
            _both(
                "ui.roads.ok",
                name=name,
                km=summary["road_km"],
                nodes=summary["nodes"],
                covered=covered,
            ),
        )
    ]
    if covered < PARTIAL_COVER:
        messages.append(("warning", _both("ui.roads.partial", covered=covered)))
    if summary["components"] > 1 and summary["largest_component_share"] < 0.9:
        messages.append(
            (
                "warning",
                _both(
                    "ui.roads.fragmented",
                    parts=summary["components"],
                    main=summary["largest_component_share"],
                ),
            )
        )
    return RoadCheck(name, data, crs, True, messages, summary)


def store_road_file(region: Region, check: RoadCheck, actor: Actor = LOCAL) -> RoadFile:
    """Store a checked road file with ``region`` (replacing any earlier one), if ``actor``
    may edit region data (else ``auth.forbidden``)."""
    authorise(actor, "region.edit")
    suffix = Path(check.name).suffix.lower()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"roads{suffix}"
        path.write_bytes(check.data)
        return save_road_file(region.id, path, check.name, crs=check.crs, summary=check.summary)


def download_road_file(region: Region) -> RoadFile:
    """Download the OpenStreetMap roads of ``region`` and store them with it.

    Raises
    ------
    PlannerError
        When the download is unavailable (offline, at once) or fails.
    """
    net = network.download_network(
        region.boundary(), "all", metric_crs=region.metric_crs, online=network.is_online
    )
    import osmnx as ox

    summary = net.summary("walk")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "roads.graphml"
        ox.save_graphml(net.graph, path)
        return save_road_file(
            region.id, path, "OpenStreetMap.graphml", summary={**summary, "source": "osm"}
        )
