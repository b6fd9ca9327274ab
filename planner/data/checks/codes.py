"""Codes of units and sites: cleaned to digits of the level's length, and duplicates."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.data.checks.report import (
    MAX_EXAMPLES,
    Problem,
    _examples,
    _is_missing,
    field_term,
    level_term,
)

__all__ = ["check_duplicates", "clean_codes"]

_FLOAT_CODE = re.compile(r"^(\d+)\.0+$")
_SCI_CODE = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")


def _code_text(value: Any) -> str:
    """A code as text: ints and integral floats without ".0", spaces removed."""
    if _is_missing(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() else str(value)
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(" ", "")
    text = text.lstrip("'")  # Excel's "store as text" marker when exported
    match = _FLOAT_CODE.match(text)
    if match:
        return match.group(1)
    if _SCI_CODE.match(text):
        number = float(text)
        if number.is_integer():
            return str(int(number))
    return text


def clean_codes(
    values: pd.Series,
    length: int | None,
    *,
    level: str,
    field_name: str = "code",
    labels: Sequence[str] | None = None,
    required: bool = True,
) -> tuple[pd.Series, list[Problem]]:
    """Codes as clean strings of ``length`` digits, with problems for the bad ones.

    Integral numbers lose a trailing ".0"; a 12-digit statistical code padded with zeros
    (330302000000) is shortened to the level's length (330302) and reported as fixed.

    Parameters
    ----------
    values
        Raw codes (any dtype).
    length
        Expected number of digits, or None for free-form identifiers (site IDs).
    level
        Layer level, for the messages.
    field_name
        Which field the codes are (``code``, ``county_code``, ...).
    labels
        Feature labels for examples (default: the codes themselves).
    required
        Whether empty codes are an error (else they stay empty silently).

    Returns
    -------
    codes, problems
        A string Series (empty string for missing codes) and the problems found.
    """
    text = [_code_text(v) for v in values]
    problems: list[Problem] = []
    labels = list(labels) if labels is not None else [f"#{i + 1}" for i in range(len(text))]
    params = {"level": level_term(level), "field": field_term(field_name)}

    if length is not None:
        # "3.30302E+11": a spreadsheet showed the code in scientific notation and kept
        # only the digits it displayed; the rest of the code is lost.
        lost = [
            isinstance(v, str)
            and bool(_SCI_CODE.match(v.strip()))
            and len(re.sub(r"\D", "", v.strip().lower().split("e")[0])) < length
            for v in values
        ]
        if any(lost):
            problems.append(
                Problem(
                    "validate.code_scientific",
                    "error",
                    count=sum(lost),
                    examples=tuple(
                        f"{lab}: {v}" for lab, v, m in zip(labels, values, lost, strict=True) if m
                    )[:MAX_EXAMPLES],
                    params=params,
                )
            )

    if length is not None:
        truncated = 0
        for i, code in enumerate(text):
            if (
                code.isdigit()
                and len(code) > length
                and len(code) in (9, 12, 15)
                and set(code[length:]) == {"0"}
            ):
                text[i] = code[:length]
                truncated += 1
        if truncated:
            problems.append(
                Problem(
                    "validate.code_truncated",
                    "fixed",
                    count=truncated,
                    params={**params, "length": length},
                )
            )

    missing = [c == "" for c in text]
    if required and any(missing):
        problems.append(
            Problem(
                "validate.code_missing",
                "error",
                count=sum(missing),
                examples=_examples([f"#{i + 1}" for i in range(len(text))], missing),
                params=params,
            )
        )
    if length is not None:
        not_digits = [c != "" and not c.isdigit() for c in text]
        if any(not_digits):
            problems.append(
                Problem(
                    "validate.code_not_digits",
                    "error",
                    count=sum(not_digits),
                    examples=_examples(text, not_digits),
                    params=params,
                )
            )
        wrong = [c.isdigit() and len(c) != length for c in text]
        if any(wrong):
            problems.append(
                Problem(
                    "validate.code_wrong_length",
                    "error",
                    count=sum(wrong),
                    examples=_examples(text, wrong),
                    params={**params, "length": length},
                )
            )
    return pd.Series(text, index=values.index, dtype="str"), problems


def check_duplicates(
    frame: gpd.GeoDataFrame | pd.DataFrame, column: str, *, level: str
) -> tuple[gpd.GeoDataFrame | pd.DataFrame, list[Problem]]:
    """Duplicate codes: merged when they are parts of one feature, else an error.

    Rows sharing a code *and* a name whose geometries are polygons are the parts of one
    multi-part feature split into several records (common in exported Shapefiles);
    they are dissolved into one MultiPolygon and reported as fixed. Any other repeated
    code is an error listing the codes.
    """
    codes = frame[column]
    present = codes.map(lambda c: c != "" and not _is_missing(c))
    dup_mask = codes.duplicated(keep=False) & present
    if not dup_mask.any():
        return frame, []
    problems: list[Problem] = []
    is_geo = isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame
    mergeable: list[str] = []
    conflicting: list[str] = []
    for code, group in frame[dup_mask].groupby(column, sort=False):
        same_name = "name" in group and group["name"].nunique(dropna=False) == 1
        polygonal = is_geo and bool(
            group.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all()
        )
        (mergeable if same_name and polygonal else conflicting).append(str(code))

    out = frame
    if mergeable:
        geom_name = frame.geometry.name
        keep = ~frame[column].isin(mergeable) | ~frame[column].duplicated(keep="first")
        out = frame[keep].copy()
        for code in mergeable:
            parts = frame.loc[frame[column] == code, geom_name]
            merged = shapely.union_all(parts.to_numpy())
            idx = out.index[out[column] == code][0]
            out.loc[idx, geom_name] = merged
        problems.append(
            Problem(
                "validate.duplicate_merged",
                "fixed",
                count=len(mergeable),
                examples=tuple(mergeable[:MAX_EXAMPLES]),
                params={"level": level_term(level)},
            )
        )
    if conflicting:
        problems.append(
            Problem(
                "validate.duplicate_codes",
                "error",
                count=len(conflicting),
                examples=tuple(conflicting[:MAX_EXAMPLES]),
                params={"level": level_term(level), "field": field_term(column)},
            )
        )
    return out, problems
