"""The coordinate-system choice of an upload: one widget for road files and imports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from planner.data.edit import coordinate_system
from planner.ui.state import tr
from planner.ui.widgets.choices import choice, choice_key, translated

__all__ = ["system_picker"]


def system_picker(
    key: str,
    label: str,
    options: Mapping[str, str],
    *,
    help: str | None = None,
    where: Any = st,
    epsg_where: Any = None,
    epsg_key: str | None = None,
) -> str | None:
    """Ask which coordinate system a file uses.

    Parameters
    ----------
    key
        Widget key of the choice, one per language (see
        :func:`~planner.ui.widgets.choices.choice_key`).
    label, help
        The question and its help, translated.
    options
        Option -> label key: ``"auto"``, system names and, to accept a projected system
        by its code, ``"epsg"``.
    where, epsg_where
        Containers (columns) of the choice and of the EPSG code's input.
    epsg_key
        Widget key of the EPSG code (default ``<key>_epsg``).

    Returns
    -------
    str or None
        None for ``"auto"`` (the file's own or a detected system), else the system
        (``"EPSG:nnnn"`` for a typed code); ``""`` while an EPSG code is awaited.
    """
    option = choice(
        where, label, list(options), key=choice_key(key), labels=translated(options), help=help
    )
    if option != "epsg":
        return coordinate_system(option)
    epsg = (epsg_where or st).text_input(
        tr("ui.import.epsg"), key=epsg_key or f"{key}_epsg", help=tr("ui.import.epsg_help")
    )
    system = coordinate_system(option, epsg)
    if system is None:
        st.warning(tr("ui.import.epsg_missing"))
        return ""
    return system
