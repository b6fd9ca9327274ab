"""Archives: zipped Shapefiles, and the limits every archive is held to (XLSX too).

An archive is refused before anything is extracted when it holds too many files,
unpacks too large or is packed too tightly (a zip bomb); a Shapefile is extracted member
by member, streamed, to a temporary folder.
"""

from __future__ import annotations

import contextlib
import shutil
import zipfile
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd

from planner.data.checks import Problem
from planner.data.io.shapefiles import _read_shapefile
from planner.data.io.sources import _MB, _RATIO_FLOOR_BYTES, _SHAPEFILE_PARTS, _pick
from planner.i18n import PlannerError
from planner.limits import check_limit


def _check_archive(archive: zipfile.ZipFile, packed: int) -> None:
    """Refuse an archive (zip, XLSX) that unpacks too large, before extracting anything.

    The sizes are those of the archive's directory. :mod:`zipfile` never unpacks a
    member beyond its stated size (a member that lies fails its checksum), so they
    bound what extracting can produce.
    """
    infos = archive.infolist()
    check_limit("zip_members", len(infos))
    unpacked = sum(info.file_size for info in infos)
    check_limit("unzipped_mb", unpacked / _MB)
    if unpacked > _RATIO_FLOOR_BYTES:
        check_limit("zip_ratio", unpacked / max(packed, 1))


def _zip_member_name(info: zipfile.ZipInfo) -> str:
    """A member's name as its maker wrote it (GBK names of Chinese Windows zips decoded)."""
    name = info.filename
    if not info.flag_bits & 0x800:  # not flagged UTF-8: Chinese Windows zips use GBK
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            name = name.encode("cp437").decode("gb18030")
    return name


def _zip_members(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The archive's files by name, without folders and macOS metadata (``__MACOSX/``,
    ``._*``)."""
    members = {}
    for info in archive.infolist():
        member = _zip_member_name(info)
        base = member.rsplit("/", 1)[-1]
        if info.is_dir() or member.startswith("__MACOSX/") or base.startswith("._"):
            continue
        members[member] = info
    return members


def _shapefile_stems(members: Mapping[str, zipfile.ZipInfo]) -> list[str]:
    """The Shapefiles among ``members``: their names without ``.shp``, sorted."""
    return [m[: -len(".shp")] for m in sorted(members) if m.lower().endswith(".shp")]


def _read_zip(
    zip_path: Path,
    name: str,
    directory: str,
    *,
    layer: str | int | None,
    encoding: str | None,
    count_rows: bool = True,
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise PlannerError("io.corrupt_zip", name=name, error=str(exc)[:500]) from exc
    with archive:
        _check_archive(archive, zip_path.stat().st_size)
        members = _zip_members(archive)
        stems = _shapefile_stems(members)
        if not stems:
            raise PlannerError(
                "io.zip_no_shp", name=name, examples=sorted(members)[:10], count=len(members)
            )
        labels = [s.rsplit("/", 1)[-1] for s in stems]
        if layer is not None:
            chosen = stems[_pick(layer, stems, name, labels)]
        elif len(stems) > 1:
            raise PlannerError("io.multiple_layers", name=name, examples=labels, count=len(labels))
        else:
            chosen = stems[0]
        parts = {
            member[len(chosen) :].lower(): info
            for member, info in members.items()
            if member[: len(chosen)] == chosen and member[len(chosen) :].lower() in _SHAPEFILE_PARTS
        }
        out_dir = Path(directory) / "shapefile"
        out_dir.mkdir(exist_ok=True)
        try:
            for suffix, info in parts.items():
                # Streamed: a member never sits in memory whole.
                with archive.open(info) as member, (out_dir / f"layer{suffix}").open("wb") as out:
                    shutil.copyfileobj(member, out, _MB)
        except Exception as exc:  # BadZipFile, OSError, EOFError, zlib.error and friends
            raise PlannerError("io.corrupt_zip", name=name, error=str(exc)[:500]) from exc
    label = chosen.rsplit("/", 1)[-1]
    return _read_shapefile(
        out_dir / "layer.shp", f"{name} › {label}", encoding=encoding, count_rows=count_rows
    )
