"""Control and invisible characters in names and codes: removed, and the rows named."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from planner.data.checks.report import (
    MAX_EXAMPLES,
    Problem,
    feature_labels,
    field_term,
    level_term,
)

__all__ = ["NUL_MARK", "clean_control_characters"]

#: Put by :mod:`planner.data.io` where a GeoJSON held a NUL character, which the GDAL reader
#: would otherwise treat as the end of the text ("五马\u0000社区" would arrive as "五马").
#: U+FFFF is a Unicode noncharacter: it never occurs in real text.
NUL_MARK = "\uffff"
#: Characters a name or code never needs: control characters (NUL truncates text in
#: GDAL and other C libraries), bidirectional overrides that display text in another
#: order than it is stored, zero-width characters, a stray BOM and noncharacters.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff\ufffe\uffff]"
)
#: Line breaks and tabs inside a cell (an Alt+Enter in Excel) become one space.
_BREAK_CHARS = "[\t\n\r\x0b\x0c\x85\u2028\u2029]"
_BREAKS = re.compile(_BREAK_CHARS + "+")
_ANY_HIDDEN = re.compile(f"{_INVISIBLE.pattern}|{_BREAK_CHARS}")


def _visible(text: str) -> str:
    """``text`` with its invisible characters written out (``\\x00``, ``\\u202e``)."""

    def show(match: re.Match[str]) -> str:
        char = match.group()
        code = 0 if char == NUL_MARK else ord(char)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _ANY_HIDDEN.sub(show, text)


def _has_hidden(values: pd.Series) -> bool:
    """Whether any text of ``values`` needs cleaning (one regex pass over the column)."""
    return bool(_ANY_HIDDEN.search("\u3000".join(v for v in values if isinstance(v, str))))


def _clean_cell(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return _INVISIBLE.sub("", _BREAKS.sub(" ", value))


def clean_control_characters(
    frame: pd.DataFrame,
    columns: Mapping[str, str],
    *,
    level: str,
    labels: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Remove control and invisible characters from text columns, saying where.

    A NUL or another control character in a name or code is never meant: it is a
    broken export or a hostile file. Left in, a NUL cuts the name short wherever it
    reaches a C library (GDAL, SQLite, PDF fonts) and a bidirectional override shows
    a name in another order than it is stored. They are removed (line breaks and tabs
    become a space) and a warning names the rows, with the characters written out.

    Parameters
    ----------
    frame
        The rows; it is not modified.
    columns
        ``{column: field}``: the columns to clean (those absent are skipped) and the
        field each holds, named in the message; examples name the column itself.
    level
        Layer level, for the message.
    labels
        How each row is named in examples (default: code and name after cleaning).

    Returns
    -------
    frame, problems
        A cleaned copy (or ``frame`` itself when nothing was found) and at most one
        warning ``validate.control_chars``.
    """
    present = [c for c in columns if c in frame]
    changed = np.zeros(len(frame), dtype=bool)
    fields: list[str] = []
    originals: dict[int, str] = {}
    out = frame
    for column in present:
        values = frame[column]
        if not _has_hidden(values):
            continue
        cleaned = values.map(_clean_cell)
        hit = np.array(
            [isinstance(a, str) and a != b for a, b in zip(values, cleaned, strict=True)],
            dtype=bool,
        )
        if not hit.any():
            continue
        if out is frame:
            out = frame.copy()
        out[column] = cleaned
        fields.append(columns[column])
        changed |= hit
        for i in np.flatnonzero(hit):
            originals.setdefault(int(i), f"{column}={_visible(str(values.iloc[i]))}")
    if not changed.any():
        return frame, []
    names = list(labels) if labels is not None else feature_labels(out)
    examples = tuple(f"{names[i]} ({originals[i]})" for i in sorted(originals))
    return out, [
        Problem(
            "validate.control_chars",
            "warning",
            count=int(changed.sum()),
            examples=examples[:MAX_EXAMPLES],
            params={"level": level_term(level), "fields": [field_term(f) for f in fields]},
        )
    ]
