"""Compliance standards for existing sites, read from data files.

A standard is a TOML file in ``data/standards`` (one per standard): its source and year
and, per tier, which checks apply and the minimum floor area, each with a note on where
the figure comes from and how sure it is. A figure a source does not give is absent
(unknown): it is not checked unless the planner sets it in the scenario. Adding a
standard is adding a file.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from planner.i18n import PlannerError

__all__ = ["STANDARDS_DIR", "Standard", "TierStandard", "load_standard", "standard_ids"]

STANDARDS_DIR = Path(__file__).resolve().parents[2] / "data" / "standards"
_TIERS = {"station": "station", "sorting_centre": "sorting_centre"}


@dataclass(frozen=True)
class TierStandard:
    """What one tier's existing sites are checked against.

    Attributes
    ----------
    min_floor_area_m2
        Minimum floor area, ``None`` when the standard gives none.
    licence_required, fire_safety_required
        A site with no licence (营业执照/备案) or a failed fire-safety inspection is closed.
    standardisation_required
        A site not yet standardised (标准化) is upgraded.
    notes
        Source and confidence note per figure (``min_floor_area``, ``licence``, ...).
    """

    min_floor_area_m2: float | None
    licence_required: bool
    fire_safety_required: bool
    standardisation_required: bool
    notes: dict[str, str]


@dataclass(frozen=True)
class Standard:
    """A compliance standard: id, names in both languages, source, year, tier rules."""

    id: str
    name: dict[str, str]
    source: str
    year: int
    tiers: dict[str, TierStandard]

    def tier(self, tier: str) -> TierStandard:
        """The rules for ``tier`` (``station`` or ``sorting_centre``)."""
        return self.tiers[tier]


def standard_ids() -> tuple[str, ...]:
    """Ids of the standards in ``data/standards``, sorted."""
    return tuple(sorted(p.stem for p in STANDARDS_DIR.glob("*.toml")))


def _tier(data: dict, path: Path) -> TierStandard:
    area = data.get("min_floor_area_m2")
    if area is not None and (
        isinstance(area, bool) or not isinstance(area, int | float) or area < 0
    ):
        raise PlannerError("standard.bad_file", path=path.name, field="min_floor_area_m2")
    flags = {}
    for name in ("licence_required", "fire_safety_required", "standardisation_required"):
        value = data.get(name, False)
        if not isinstance(value, bool):
            raise PlannerError("standard.bad_file", path=path.name, field=name)
        flags[name] = value
    notes = {k.removesuffix("_note"): str(v) for k, v in data.items() if k.endswith("_note")}
    return TierStandard(None if area is None else float(area), notes=notes, **flags)


@functools.cache
def load_standard(standard_id: str) -> Standard:
    """Read ``data/standards/<standard_id>.toml``.

    Raises
    ------
    PlannerError
        ``standard.unknown`` for an id with no file, ``standard.bad_file`` for a file
        whose figures are not what the format says.
    """
    if standard_id not in standard_ids():
        raise PlannerError("standard.unknown", id=standard_id, known="/".join(standard_ids()))
    path = STANDARDS_DIR / f"{standard_id}.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    try:
        name = {"zh": str(data["name"]["zh"]), "en": str(data["name"]["en"])}
        tiers = {key: _tier(dict(data[key]), path) for key in _TIERS}
        return Standard(standard_id, name, str(data["source"]), int(data["year"]), tiers)
    except (KeyError, TypeError, ValueError) as exc:
        raise PlannerError("standard.bad_file", path=path.name, field=str(exc)) from exc
