"""How numbers, shares and distances are written, the same in the app, exports and CLI.

Every figure a planner reads goes through these functions, so a distance is "1,234 米"
on the results page, in the PDF report and on the command line alike, and a missing or
non-finite value is always "—".
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Literal

from planner.i18n import DEFAULT_LANGUAGE, t

__all__ = [
    "CHINA_TIME",
    "MISSING",
    "Kind",
    "china_time",
    "count",
    "diff",
    "figure",
    "kind",
    "metres",
    "number",
    "share",
    "value",
]

#: China Standard Time (UTC+8, no daylight saving): the time planners read. Stored
#: times are UTC; the server's own zone says nothing about where its users are.
CHINA_TIME = dt.timezone(dt.timedelta(hours=8), "CST")

#: What a missing, undefined or infinite figure is shown as.
MISSING = "—"

#: How a figure is read: a count, a share (0..1), metres, or a ratio with two decimals.
Kind = Literal["count", "share", "metres", "ratio"]


def figure(value: Any) -> float | None:
    """``value`` as a finite float, or ``None`` (missing, text, NaN, ±inf)."""
    if isinstance(value, bool):
        return None
    try:
        number_ = float(value)
    except (TypeError, ValueError):
        return None
    return number_ if math.isfinite(number_) else None


def number(value: Any, digits: int = 0, missing: str = MISSING) -> str:
    """``12,345`` (or ``12,345.6`` with ``digits=1``); ``missing`` when not a number."""
    x = figure(value)
    return missing if x is None else f"{x:,.{digits}f}"


def count(value: Any, missing: str = MISSING) -> str:
    """A whole number with thousands separators."""
    return number(value, 0, missing)


def share(value: Any, digits: int = 1, missing: str = MISSING) -> str:
    """A share 0..1 as a percentage: ``0.873`` → ``87.3%``."""
    x = figure(value)
    return missing if x is None else f"{x:.{digits}%}"


def metres(value: Any, lang: str = DEFAULT_LANGUAGE, missing: str = MISSING) -> str:
    """A distance: ``1,234 米`` / ``1,234 m``."""
    x = figure(value)
    return missing if x is None else t("unit.m", lang, value=f"{x:,.0f}")


def value(value_: Any) -> str:
    """A number as a message shows it: whole numbers without decimals (``1,550``),
    others with two (``0.36``); anything else as text."""
    x = figure(value_)
    if x is None:
        return str(value_)
    return f"{round(x):,}" if x == round(x) else f"{x:,.2f}"


def kind(value_: Any, kind_: Kind, lang: str = DEFAULT_LANGUAGE) -> str:
    """``value_`` written as a figure of kind ``kind_``."""
    if kind_ == "share":
        return share(value_)
    if kind_ == "metres":
        return metres(value_, lang)
    if kind_ == "ratio":
        return number(value_, 2)
    return count(value_)


def diff(delta: Any, kind_: Kind, lang: str = DEFAULT_LANGUAGE) -> str:
    """A difference with its sign: ``+12``, ``−3.4 个百分点``, ``+250 米``; ``0`` for none."""
    x = figure(delta)
    if x is None:
        return MISSING
    if abs(x) < 1e-12:
        return "0"
    sign = "+" if x > 0 else "−"
    size = abs(x)
    if kind_ == "share":
        return sign + t("unit.pp", lang, value=f"{size * 100:.1f}")
    if kind_ == "metres":
        return sign + t("unit.m", lang, value=f"{size:,.0f}")
    if kind_ == "ratio":
        return f"{sign}{size:,.2f}"
    return f"{sign}{size:,.0f}"


def china_time(stamp: Any) -> str:
    """An ISO timestamp (UTC when it has no zone) as ``YYYY-MM-DD HH:MM`` in China
    Standard Time; text that is not a timestamp comes back as it is."""
    try:
        when = dt.datetime.fromisoformat(str(stamp))
    except (TypeError, ValueError):
        return MISSING if stamp is None else str(stamp)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")


def clauses(parts: Any, lang: str = DEFAULT_LANGUAGE) -> str:
    """Clauses joined as the language writes them: ``；`` in Chinese, ``; `` in English.

    Empty parts are left out.
    """
    return ("；" if lang == "zh" else "; ").join(str(p) for p in parts if p)
