"""The region's inventory of existing sites on the Data page: a table in the planner's
words, and the made-up example inventory to try the import with.

The example (``examples/jinjiang_existing_sites.csv``, made by
``scripts/make_example_inventory.py``) is synthetic: it is offered for Jinjiang only,
and its button and caption say that it is made up.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from planner import format as fmt
from planner.data.checks import COLUMNS, SITE_VALUE_KEYS, SITE_VALUES
from planner.data.regions import Region
from planner.i18n import t, value_label
from planner.ui.labels import FIELD_LABEL, IMPORT_STATUS_LABEL
from planner.ui.state import lang as current_lang
from planner.ui.state import tr

__all__ = ["EXAMPLE_INVENTORY", "example_download", "inventory_table", "show_inventory"]

#: The made-up example inventory, and the region (adcode) it belongs to.
EXAMPLE_INVENTORY = Path(__file__).resolve().parents[3] / "examples" / "jinjiang_existing_sites.csv"
_EXAMPLE_ADCODE = "350582"
#: One site of each tier.
_TIER_ONE = {"station": "map.station", "sorting_centre": "map.centre"}
#: The table's columns, in order; the township's name stands in for its code.
_SHOWN = (
    "site_id",
    "name",
    "tier",
    "kind",
    "status",
    "township",
    "address",
    "operator",
    "floor_area_m2",
    *SITE_VALUES,
    "capacity",
)


def inventory_table(region: Region, lang: str) -> pd.DataFrame:
    """The region's sites as a table in ``lang``: headers and values in words.

    Numbers stay numbers (floor area in m², capacity in t/day; empty when unknown), so
    the table sorts by them.
    """
    sites = region.sites
    if sites is None:
        return pd.DataFrame()
    towns = dict(zip(region.townships["code"], region.townships["name"], strict=True))
    data = {
        c: sites[c] if c in sites else pd.Series("", index=sites.index) for c in COLUMNS["sites"]
    }
    words = {
        "tier": _TIER_ONE,
        "status": IMPORT_STATUS_LABEL,
        **SITE_VALUE_KEYS,
    }
    out = {}
    for column in _SHOWN:
        if column == "township":
            values = data["township_code"].astype(str).map(lambda c: towns.get(c, c))
            header = t("term.township", lang)
        else:
            values = data[column]
            if column in words:
                labels = words[column]
                values = values.map(lambda v, labels=labels: value_label(labels, v, lang))
            elif column in ("floor_area_m2", "capacity"):
                values = pd.to_numeric(values, errors="coerce")
            header = t(FIELD_LABEL[column], lang)
        out[header] = values.to_numpy()
    return pd.DataFrame(out)


def show_inventory(region: Region) -> None:
    """The inventory's size by tier, and its table (or how to import one)."""
    sites = region.sites
    if sites is None or not len(sites):
        st.caption(tr("ui.data.inventory_none"))
        return
    tiers = sites["tier"].astype(str) if "tier" in sites else pd.Series(dtype=str)
    st.caption(
        tr(
            "ui.data.inventory_summary",
            count=fmt.count(len(sites)),
            stations=fmt.count(int((tiers == "station").sum())),
            centres=fmt.count(int((tiers == "sorting_centre").sum())),
        )
    )
    st.dataframe(inventory_table(region, current_lang()), hide_index=True, width="stretch")


def example_download(region: Region) -> None:
    """Offer the made-up example inventory when ``region`` is Jinjiang, saying it is
    made up and which coordinate system it uses."""
    if str(region.meta.get("adcode", "")) != _EXAMPLE_ADCODE or not EXAMPLE_INVENTORY.exists():
        return
    st.download_button(
        tr("ui.import.example"),
        data=EXAMPLE_INVENTORY.read_bytes(),
        file_name=EXAMPLE_INVENTORY.name,
        mime="text/csv",
        key="imp_example",
    )
    st.caption(tr("ui.import.example_help"))
