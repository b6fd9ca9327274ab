"""Editing one existing site of a region's inventory, field by field.

A county's list is never quite right: a station got its licence last month, a floor area
was typed in square feet, a yard stopped operating. :func:`edit_site` changes the
attributes of one site (never its position, tier or id: those come from the import) and
returns the changes as :class:`SiteEdit` rows, the audit trail's lines
(:meth:`planner.store.Store.record_inventory_edits`). Like the imports, it never modifies
the region it is given: a refused edit changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from planner.data.checks import SITE_VALUES
from planner.data.checks.numbers import parse_number
from planner.data.checks.report import FIELD_KEYS
from planner.data.checks.schema import SITE_KIND_VALUES, STATUS_VALUES, complete_sites
from planner.data.regions import Region
from planner.i18n import InLanguages, PlannerError, Text

__all__ = ["EDITABLE", "MAX_TEXT", "SiteEdit", "edit_site", "site_values"]

#: Fields a planner may change, in the order the form shows them.
EDITABLE: tuple[str, ...] = (
    "name",
    "kind",
    "status",
    "address",
    "operator",
    "floor_area_m2",
    "capacity",
    *SITE_VALUES,
)
#: Longest name, address or operator accepted (characters).
MAX_TEXT = 200
_TEXT = ("name", "address", "operator")
_NUMBER = ("floor_area_m2", "capacity")
_CHOICES: dict[str, tuple[str, ...]] = {
    "kind": SITE_KIND_VALUES,
    "status": tuple(s for s in STATUS_VALUES if s != "candidate"),
    **SITE_VALUES,
}


@dataclass(frozen=True)
class SiteEdit:
    """One field of one site changed: the audit trail's line.

    Values are as stored in the sites layer, written as text (``""`` for an unknown
    number).
    """

    site_id: str
    field: str
    old: str
    new: str


def _label(field: str) -> Text:
    """The planner's word for a field, rendered in the message's language."""
    return Text(FIELD_KEYS[field]) if field in FIELD_KEYS else InLanguages(zh=field, en=field)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _number_text(value: float) -> str:
    return "" if math.isnan(value) else f"{value:g}"


def _number(field: str, value: Any) -> float:
    """``value`` as a number ≥ 0 (NaN when blank), read as the import reads a cell
    (``25 m²``, ``1,234``; ``16433,5`` is ambiguous), else ``inventory.edit_number``."""
    cell = parse_number(value, "area" if field == "floor_area_m2" else "amount")
    if cell.issue or cell.value < 0:
        raise PlannerError("inventory.edit_number", field=_label(field), value=_text(value)[:40])
    return cell.value


def site_values(region: Region, site_id: str) -> dict[str, str]:
    """The editable fields of one site as text, the form's starting values.

    Raises
    ------
    PlannerError
        ``inventory.edit_no_sites``, or ``inventory.edit_no_site`` when the region has
        no such site.
    """
    sites = _sites(region)
    return _values(sites, _row(sites, site_id))


def _values(sites: pd.DataFrame, row: Any) -> dict[str, str]:
    out = {}
    for field in EDITABLE:
        value = sites.at[row, field] if field in sites else None
        if field in _NUMBER:
            out[field] = _number_text(float(pd.to_numeric(value, errors="coerce")))
        else:
            out[field] = _text(value)
    return out


def _sites(region: Region) -> pd.DataFrame:
    if region.sites is None or not len(region.sites):
        raise PlannerError("inventory.edit_no_sites")
    return complete_sites(region.sites)


def _row(sites: pd.DataFrame, site_id: str) -> Any:
    hits = sites.index[sites["site_id"].astype(str) == str(site_id)]
    if not len(hits):
        raise PlannerError("inventory.edit_no_site", site=str(site_id)[:40])
    return hits[0]


def edit_site(
    region: Region, site_id: str, values: Mapping[str, Any]
) -> tuple[Region, list[SiteEdit]]:
    """Region ``region`` with the fields ``values`` of site ``site_id`` changed.

    Parameters
    ----------
    region
        The region on screen; not modified.
    site_id
        The site's id in the inventory.
    values
        Field -> new value, for fields of :data:`EDITABLE`. Answers (licence, fire
        safety, in use, standardised), ``kind`` and ``status`` take their stored codes;
        numbers may be blank (unknown); a name may not.

    Returns
    -------
    (Region, list of SiteEdit)
        The new region and what changed, one row per field whose value differs (an
        empty list and the same region when nothing did).

    Raises
    ------
    PlannerError
        ``inventory.edit_no_sites``, ``inventory.edit_no_site``,
        ``inventory.edit_field`` (not editable), ``inventory.edit_value`` (not one of
        the allowed answers), ``inventory.edit_number`` (not a number ≥ 0),
        ``inventory.edit_no_name`` or ``inventory.edit_long``; nothing is changed.
    """
    sites = _sites(region)
    row = _row(sites, site_id)
    before = _values(sites, row)
    new: dict[str, Any] = {}
    for field, value in values.items():
        if field not in EDITABLE:
            raise PlannerError("inventory.edit_field", field=str(field)[:40])
        if field in _NUMBER:
            new[field] = _number(field, value)
            continue
        text = _text(value)
        if field in _CHOICES and text not in _CHOICES[field]:
            raise PlannerError(
                "inventory.edit_value", field=_label(field), value=text[:40],
                choices="/".join(_CHOICES[field]),
            )  # fmt: skip
        if field == "name" and not text:
            raise PlannerError("inventory.edit_no_name")
        if len(text) > MAX_TEXT:
            raise PlannerError("inventory.edit_long", field=_label(field), limit=MAX_TEXT)
        new[field] = text
    edits = []
    for field, value in new.items():
        text = _number_text(value) if field in _NUMBER else value
        if text != before[field]:
            edits.append(SiteEdit(str(site_id), field, before[field], text))
    if not edits:
        return region, []
    for edit in edits:  # ``sites`` is already a copy (complete_sites)
        sites.at[row, edit.field] = new[edit.field]
    return region.with_layer("sites", sites), edits
