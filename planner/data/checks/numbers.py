"""Population, households and capacities read strictly from a planner's cells.

Ambiguous separators and scientific notation are refused rather than guessed,
fractions of a count are rounded half up with a warning, and implausibly large counts
are refused (:data:`POPULATION_BOUND`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd

from planner import format as fmt
from planner.data.checks.report import (
    MAX_EXAMPLES,
    Problem,
    _flagged,
    _is_missing,
    field_term,
    level_term,
)

__all__ = ["POPULATION_BOUND", "parse_number", "parse_numbers", "population_bound"]

#: Largest population (or household count) one unit of a level may plausibly have. The
#: largest county-level district in China (Pudong) has about 5.8 million residents, the
#: largest towns and streets about 1 million and the largest villages and communities
#: about 100,000; the bounds leave ample room and still catch ``1e15`` or a decimal comma
#: read as a thousands separator in a county total.
POPULATION_BOUND: dict[str, int] = {
    "counties": 50_000_000,
    "townships": 5_000_000,
    "communities": 1_000_000,
}

#: Units a cell may carry, per kind of column, with their factor. Longest first.
_COUNT_UNITS = (("万人", 10_000), ("万户", 10_000), ("万", 10_000), ("人", 1), ("户", 1), ("口", 1))
_AMOUNT_UNITS = (("吨/日", 1), ("吨/天", 1), ("t/d", 1), ("吨", 1))
_SHARE_UNITS = (("%", 1),)
#: Floor areas: square metres as written (NFKC has made "㎡" and "m²" into "m2").
_AREA_UNITS = (("平方米", 1), ("平米", 1), ("sqm", 1), ("m2", 1))
#: A whole or decimal number with a decimal point and no separators.
_PLAIN = re.compile(r"\d+(?:\.\d+)?|\.\d+")
#: Thousands groups with one separator used throughout (16,433 / 16 433 / 16'433 /
#: 16_433), optionally with a decimal point: 1,234,567.5.
_GROUPED = re.compile(r"\d{1,3}([, '_])\d{3}(?:\1\d{3})*(?:\.\d+)?")
#: Thousands groups separated by dots (1.234.567): two dots cannot be a decimal point.
_DOT_GROUPED = re.compile(r"\d{1,3}(?:\.\d{3}){2,}")
#: One dot followed by exactly three digits (1.234): 1.234 or 1,234? A count cannot tell.
_DOT_OR_THOUSANDS = re.compile(r"[1-9]\d{0,2}\.\d{3}")
_SCIENTIFIC = re.compile(r"(?:\d+\.?\d*|\.\d+)[eE][+-]?\d+")
#: Digits and separators only, but in no valid pattern (16433,5 / 1,2 / 1.234,5).
_SEPARATED = re.compile(r"[\d.,' _]*\d[\d.,' _]*")
_MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-"})

#: Why a cell is not taken as a number (the key of the problem reported).
_NOT_NUMERIC = "validate.number_not_numeric"
_AMBIGUOUS = "validate.number_ambiguous"
_SCIENTIFIC_KEY = "validate.number_scientific"


@dataclass(frozen=True)
class _Cell:
    """One parsed cell: the value (NaN if empty or refused) and why it was refused."""

    value: float = math.nan
    issue: str | None = None
    fractional: bool = False


def _units(kind: str) -> tuple[tuple[str, int], ...]:
    return {
        "count": _COUNT_UNITS,
        "amount": _AMOUNT_UNITS,
        "share": _SHARE_UNITS,
        "area": _AREA_UNITS,
    }[kind]


def parse_number(value: Any, kind: str = "count", scale: float = 1.0) -> _Cell:
    """A number from a cell, read the way a planner's table means it.

    Parameters
    ----------
    value
        The cell (text from a CSV/XLSX, or a number from a GeoJSON/GeoPackage).
    kind
        ``"count"`` (population, households: whole, non-negative), ``"amount"``
        (capacity, tonnes per day), ``"share"`` (urban share, ``%`` allowed) or
        ``"area"`` (floor area, square metres).
    scale
        The column's unit factor (10,000 for a "万人" column); a decimal point is then
        always a decimal point.

    Returns
    -------
    _Cell
        ``value`` (NaN for an empty cell), ``issue`` and ``fractional``.
        Refused cells carry the problem key: not a number,
        ambiguous separators (``16433,5``, ``1,2``, ``1.234`` in a count), or scientific
        notation (``1e15``: spreadsheets show long numbers so and drop digits).
    """
    if _is_missing(value):
        return _Cell()
    if isinstance(value, (bool, np.bool_)):
        return _Cell(issue=_NOT_NUMERIC)
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value) * scale
        if not math.isfinite(number):
            return _Cell(issue=_NOT_NUMERIC)
        return _Cell(number, fractional=kind == "count" and not number.is_integer())
    text = unicodedata.normalize("NFKC", str(value)).translate(_MINUS_SIGNS).strip()
    for unit, factor in _units(kind):
        if text.casefold().endswith(unit):
            text, scale = text[: -len(unit)].strip(), scale * factor
            break
    sign = -1 if text.startswith("-") else 1
    body = text[1:].strip() if text[:1] in "+-" else text
    if _PLAIN.fullmatch(body):
        if kind == "count" and scale == 1 and _DOT_OR_THOUSANDS.fullmatch(body):
            return _Cell(issue=_AMBIGUOUS)
        digits = body
    elif _GROUPED.fullmatch(body):
        digits = re.sub(r"[, '_]", "", body)
    elif _DOT_GROUPED.fullmatch(body):
        digits = body.replace(".", "")
    elif _SCIENTIFIC.fullmatch(body):
        return _Cell(issue=_SCIENTIFIC_KEY)
    elif _SEPARATED.fullmatch(body):
        return _Cell(issue=_AMBIGUOUS)
    else:
        return _Cell(issue=_NOT_NUMERIC)
    # Decimal keeps "1.1万" exactly 11,000 (binary floats give 11000.000000000002).
    exact = Decimal(digits) * Decimal(str(scale)) * sign
    fractional = kind == "count" and exact != exact.to_integral_value()
    return _Cell(float(exact), fractional=fractional)


def _round_half_up(value: float) -> float:
    """Round as a planner would (12.5 → 13), not to even as numpy does (12.5 → 12)."""
    return float(Decimal(repr(float(value))).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def population_bound(field_name: str, level: str) -> int | None:
    """The plausible maximum of ``field_name`` for one unit of ``level`` (or None)."""
    if field_name in ("population", "households"):
        return POPULATION_BOUND.get(level)
    return None


def parse_numbers(
    values: pd.Series,
    *,
    field_name: str,
    level: str,
    labels: Sequence[str],
    integer: bool = True,
    scale: float = 1.0,
    missing_severity: str | None = "warning",
    maximum: float | None = None,
) -> tuple[pd.Series, list[Problem]]:
    """Parse a column of counts (population, households) or amounts (capacity, shares).

    What a cell may look like depends on the column. Counts (``integer=True``) are
    whole, non-negative numbers: ``16433``, ``16,433``, ``16 433``, ``１６４３３``
    (full-width), ``12,345人`` or ``1.6万``; a fraction is rounded half up with a
    warning naming the rows. A separator that is not a clean thousands group
    (``16433,5``, ``1,2``, ``1.234,5``) and, in a count, one dot before three digits
    (``1.234``) are refused as ambiguous rather than guessed; scientific notation
    (``1e15``) is refused because spreadsheets write long numbers that way after
    dropping digits. Amounts accept decimals with a dot; ``urban_share`` accepts ``%``
    and ``floor_area_m2`` a square-metre unit (``25 m²``, ``25平方米``).

    Parameters
    ----------
    values
        Raw cells.
    field_name, level
        What the column is, for the messages and the plausible bound.
    labels
        How each row is named in examples.
    integer
        A count (rounded to whole numbers, ``Int64``) rather than an amount.
    scale
        Unit factor of the column (10,000 for "万人").
    missing_severity
        Severity of empty cells, or None to accept them silently.
    maximum
        Values above it are refused as implausible; by default
        :data:`POPULATION_BOUND` for population and households.

    Returns
    -------
    numbers, problems
        ``Int64`` (``integer=True``) or ``float64`` Series with missing and refused
        values as NA, and the problems found (errors refuse the import).
    """
    kinds = {"urban_share": "share", "floor_area_m2": "area"}
    kind = "count" if integer else kinds.get(field_name, "amount")
    cells = [parse_number(v, kind, scale) for v in values]
    numbers = np.array([c.value for c in cells], dtype=float)
    raw = [str(v) for v in values]
    problems: list[Problem] = []
    params = {"level": level_term(level), "field": field_term(field_name)}

    def listed(mask: Sequence[bool], show: Any = None) -> tuple[str, ...]:
        shown = show or (lambda i: f"{labels[i]}: {raw[i]}")
        return tuple(shown(i) for i, m in enumerate(mask) if m)[:MAX_EXAMPLES]

    for key in (_NOT_NUMERIC, _AMBIGUOUS, _SCIENTIFIC_KEY):
        hit = [c.issue == key for c in cells]
        if any(hit):
            problems.append(
                Problem(key, "error", count=sum(hit), examples=listed(hit), params=params)
            )
    with np.errstate(invalid="ignore"):
        negative = numbers < 0
    if negative.any():
        problems.append(
            Problem(
                "validate.number_negative",
                "error",
                count=int(negative.sum()),
                examples=listed(negative, lambda i: f"{labels[i]}: {numbers[i]:g}"),
                params=params,
            )
        )
    maximum = population_bound(field_name, level) if maximum is None else maximum
    if maximum is not None:
        with np.errstate(invalid="ignore"):
            too_large = numbers > maximum
        if too_large.any():
            problems.append(
                Problem(
                    "validate.number_implausible",
                    "error",
                    count=int(too_large.sum()),
                    examples=listed(too_large, lambda i: f"{labels[i]}: {fmt.number(numbers[i])}"),
                    params={**params, "maximum": int(maximum)},
                )
            )
            numbers = np.where(too_large, math.nan, numbers)  # refused (and beyond Int64)
    missing = np.array([c.issue is None and math.isnan(c.value) for c in cells], dtype=bool)
    if missing.any() and missing_severity:
        problems.append(
            _flagged("validate.number_missing", missing_severity, labels, missing, params)
        )
    if not integer:
        return pd.Series(numbers, index=values.index, dtype="float64"), problems
    fractional = np.array([c.fractional for c in cells], dtype=bool) & ~np.isnan(numbers)
    if fractional.any():
        numbers = numbers.copy()
        numbers[fractional] = [_round_half_up(v) for v in numbers[fractional]]
        problems.append(
            Problem(
                "validate.number_rounded",
                "warning",
                count=int(fractional.sum()),
                examples=listed(
                    fractional, lambda i: f"{labels[i]}: {raw[i]} → {fmt.number(numbers[i])}"
                ),
                params=params,
            )
        )
    return pd.Series(numbers, index=values.index).astype("Int64"), problems
