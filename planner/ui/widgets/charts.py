"""Charts of the pages: one shape for every line chart against the number of stations,
and a titled chart on the page."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

__all__ = ["KNEE_COLOUR", "LINE_COLOUR", "knee_marks", "show_chart", "station_lines"]

#: One line, or a bar chart's bars.
LINE_COLOUR = "#1f78b4"
#: The knee of a trade-off curve.
KNEE_COLOUR = "#c0392b"


def station_lines(
    frame: pd.DataFrame, y: str, y_title: str, x_title: str, color: Any, tooltip: list
) -> Any:
    """Lines with points of column ``y`` against column ``stations``.

    Parameters
    ----------
    frame
        The data, one row per point.
    y, y_title
        The value column and its axis title.
    x_title
        Title of the stations axis.
    color
        The lines' colour encoding (``alt.Color`` of a column, or ``alt.value``).
    tooltip
        The tooltip's fields.
    """
    import altair as alt

    return (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("stations:Q", title=x_title),
            y=alt.Y(f"{y}:Q", title=y_title),
            color=color,
            tooltip=tooltip,
        )
    )


def knee_marks(knees: pd.DataFrame, y: str, label: str) -> Any:
    """A diamond and ``label`` at each knee (rows with ``stations`` and ``y``)."""
    import altair as alt

    base = alt.Chart(knees.assign(label=label)).encode(x="stations:Q", y=f"{y}:Q")
    diamond = base.mark_point(shape="diamond", size=260, filled=True, color=KNEE_COLOUR)
    text = base.mark_text(dx=10, dy=14, align="left", color=KNEE_COLOUR, fontWeight="bold").encode(
        text="label:N"
    )
    return diamond + text


def show_chart(title: str, chart: Any, note: str = "") -> None:
    """``title`` in bold (and ``note`` after it) above ``chart``, as wide as its column."""
    st.markdown(f"**{title}**" + (f" · {note}" if note else ""))
    st.altair_chart(chart, width="stretch")
