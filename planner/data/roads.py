"""Road networks stored with a region: the planner's upload, or a pack's own ``roads/``.

A region's road file (OSM XML, GraphML, road lines as GeoJSON/GeoPackage/KML or a zipped
Shapefile) lives in ``$PLANNER_HOME/regions/<id>/roads`` with a ``roads.json`` naming
it; built-in packs are read-only, so their uploads go there too. Runs in ``network``
distance mode read it (:func:`planner.instance.network.load_network`).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner.accounts import LOCAL, Actor, check
from planner.data.regions import ROADS_DIR, Region, _pack_dirs, user_region_dir
from planner.i18n import PlannerError
from planner.paths import check_id, inside

__all__ = [
    "ROAD_SUFFIXES",
    "RoadFile",
    "remove_road_file",
    "road_dir",
    "road_file",
    "save_road_file",
]

_ROADS_META = "roads.json"
#: Road file types a region can carry (see :meth:`planner.instance.network.RoadNetwork.from_file`).
ROAD_SUFFIXES = (".osm", ".xml", ".graphml", ".geojson", ".json", ".gpkg", ".zip", ".kml")


@dataclass(frozen=True)
class RoadFile:
    """A road network stored with a region.

    Attributes
    ----------
    path
        The stored file (``roads.<suffix>``), read by
        :func:`planner.instance.network.load_network`.
    name
        The file name the planner uploaded.
    crs
        The coordinate system chosen for road lines without one (``None``: the file's).
    saved_at
        ISO time stamp.
    summary
        Figures from the check on upload (nodes, edges, road length, parts...).
    """

    path: Path
    name: str
    crs: str | None = None
    saved_at: str = ""
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def stamp(self) -> int:
        """Modification time of the stored file (for caches)."""
        try:
            return self.path.stat().st_mtime_ns
        except OSError:
            return 0


def road_dir(region_id: str) -> Path:
    """Where a planner's road file for ``region_id`` is kept:
    ``$PLANNER_HOME/regions/<id>/roads`` (also for built-in regions, whose packs are
    read-only; the folder holds no ``region.json``, so it is not a pack).

    Raises
    ------
    PlannerError
        ``regions.bad_id`` for an id that is not a region id (``../x``, ``a\\n``), and
        ``paths.outside`` if the folder resolves outside ``$PLANNER_HOME/regions``.
    """
    check_id(region_id, "regions.bad_id")
    return inside(user_region_dir(), user_region_dir() / region_id / ROADS_DIR)


def _read_road_dir(folder: Path) -> RoadFile | None:
    meta_path = folder / _ROADS_META
    if not meta_path.is_file():
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    name = meta.get("file")
    # roads.json names a file in its own folder, nothing else (never ../ or a path).
    if not isinstance(name, str) or not name or Path(name).name != name:
        return None
    path = folder / name
    if not path.is_file() or path.resolve().parent != folder.resolve():
        return None
    return RoadFile(
        path=path,
        name=str(meta.get("name") or path.name),
        crs=meta.get("crs") or None,
        saved_at=str(meta.get("saved_at") or ""),
        summary=dict(meta.get("summary") or {}),
    )


def road_file(region: Region | str) -> RoadFile | None:
    """The road network stored with ``region``, or ``None``.

    A planner's upload (:func:`road_dir`) comes first, then a ``roads/`` folder shipped
    inside the region pack itself.
    """
    region_id = region if isinstance(region, str) else region.id
    try:
        folders = [road_dir(region_id)]
    except PlannerError:  # not a region id: there is no user folder to look in
        folders = []
    pack = region.path if isinstance(region, Region) else _pack_dirs().get(region_id)
    if pack is not None:
        folders.append(Path(pack) / ROADS_DIR)
    for folder in folders:
        found = _read_road_dir(folder)
        if found is not None:
            return found
    return None


def save_road_file(
    region_id: str,
    source: str | Path,
    name: str | None = None,
    *,
    crs: str | None = None,
    summary: dict[str, Any] | None = None,
) -> RoadFile:
    """Store a road file with region ``region_id``, replacing any earlier one.

    The caller checks the file first (the Data page builds the network); this only
    files it away. The folder is swapped in whole, so a failure leaves the previous
    network in place.

    Parameters
    ----------
    region_id
        Region the roads belong to (built-in or a user region).
    source
        The file to copy.
    name
        The name the planner knows it by (default: the file's).
    crs
        Coordinate system of road lines whose file does not say.
    summary
        Figures to show without re-reading the file.

    Raises
    ------
    PlannerError
        ``regions.bad_id``, ``regions.road_suffix``.
    """
    check_id(region_id, "regions.bad_id")
    source = Path(source)
    suffix = source.suffix.lower()
    if suffix not in ROAD_SUFFIXES:
        raise PlannerError("regions.road_suffix", suffix=suffix or source.name)
    target = road_dir(region_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "file": f"roads{suffix}",
        "name": name or source.name,
        "crs": crs,
        "saved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "summary": summary or {},
    }
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        staging = Path(tmp) / ROADS_DIR
        staging.mkdir()
        shutil.copyfile(source, staging / meta["file"])
        (staging / _ROADS_META).write_text(
            json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        if target.exists():
            target.rename(Path(tmp) / "previous")
        staging.rename(target)
    found = _read_road_dir(target)
    assert found is not None
    return found


def remove_road_file(region_id: str, actor: Actor = LOCAL) -> bool:
    """Delete the planner's road file of ``region_id``; whether there was one.

    Raises
    ------
    PlannerError
        ``auth.forbidden`` unless ``actor`` may edit region data, ``regions.bad_id``
        for an id that is not a region id; nothing is deleted.
    """
    check(actor, "region.edit")
    target = road_dir(region_id)
    if not target.is_dir():
        return False
    shutil.rmtree(target)
    return True
