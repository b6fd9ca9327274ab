"""The county > township > community hierarchy: parent codes, and populations that must
add up."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from planner import format as fmt
from planner.data.checks.report import MAX_EXAMPLES, Problem, field_term, level_term
from planner.data.checks.schema import PARENT_LEVEL

__all__ = [
    "POPULATION_TOLERANCE",
    "check_hierarchy",
    "check_population_parents",
    "check_population_sums",
]

#: Children whose population sums differ from the parent's by more than this share warn.
POPULATION_TOLERANCE = 0.05


def check_hierarchy(
    frame: pd.DataFrame,
    level: str,
    parents: Mapping[str, pd.DataFrame] | None,
    labels: Sequence[str],
) -> list[Problem]:
    """Codes that break the county > township > community hierarchy.

    A code must begin with its parent's code (adcodes nest: 330302 > 330302001 >
    330302001001), and the parent must exist in the loaded parent layer.
    """
    problems: list[Problem] = []
    pairs = []
    if level in ("townships", "communities", "sites") and "county_code" in frame:
        pairs.append(("county_code", "counties"))
    if level in ("communities", "sites") and "township_code" in frame:
        pairs.append(("township_code", "townships"))
    code = frame.get("code", None)
    for column, parent_level in pairs:
        parent_codes = frame[column].fillna("").astype(str)
        if code is not None and level != "sites":
            child = code.fillna("").astype(str)
            mismatch = np.array(
                [
                    bool(c) and bool(p) and not c.startswith(p)
                    for c, p in zip(child, parent_codes, strict=True)
                ]
            )
            if mismatch.any():
                examples = tuple(
                    f"{c} / {p}" for c, p, m in zip(child, parent_codes, mismatch, strict=True) if m
                )[:MAX_EXAMPLES]
                problems.append(
                    Problem(
                        "validate.code_parent_mismatch",
                        "error",
                        count=int(mismatch.sum()),
                        examples=examples,
                        params={"level": level_term(level), "field": field_term(column)},
                    )
                )
        parent = (parents or {}).get(parent_level)
        if parent is not None and "code" in parent and len(parent):
            known = set(parent["code"].astype(str))
            missing = np.array([bool(p) and p not in known for p in parent_codes])
            if missing.any():
                codes = sorted(set(parent_codes[missing]))
                problems.append(
                    Problem(
                        "validate.parent_not_found",
                        "error",
                        count=int(missing.sum()),
                        examples=tuple(codes[:MAX_EXAMPLES]),
                        params={
                            "level": level_term(level),
                            "parent_level": level_term(parent_level),
                            "n_codes": len(codes),
                        },
                    )
                )
    return problems


def check_population_sums(
    frame: pd.DataFrame,
    level: str,
    parents: Mapping[str, pd.DataFrame] | None,
    *,
    tolerance: float = POPULATION_TOLERANCE,
) -> list[Problem]:
    """Children whose population does not add up to their parent's total.

    Only parents whose children all have a population are compared; the warning gives
    the children's sum, the parent's total and the difference for a few parents.
    """
    parent_level = PARENT_LEVEL.get(level)
    if parent_level is None or "population" not in frame:
        return []
    column = "county_code" if parent_level == "counties" else "township_code"
    parent = (parents or {}).get(parent_level)
    if parent is None or column not in frame or "population" not in parent or "code" not in parent:
        return []
    totals = pd.to_numeric(parent["population"], errors="coerce")
    totals.index = parent["code"].astype(str)
    names = (
        parent["name"].astype(str) if "name" in parent else parent["code"].astype(str)
    ).set_axis(parent["code"].astype(str))
    population = pd.to_numeric(frame["population"], errors="coerce")
    keyed = pd.DataFrame({"parent": frame[column].astype(str), "population": population})
    groups = keyed.groupby("parent", sort=True)["population"]
    complete = groups.apply(lambda s: s.notna().all())
    sums = groups.sum(min_count=1)[complete]
    rows = []
    for code, total_children in sums.items():
        total = totals.get(code)
        if total is None or pd.isna(total) or total <= 0 or pd.isna(total_children):
            continue
        diff = (total_children - total) / total
        if abs(diff) > tolerance:
            rows.append((code, float(total_children), float(total), diff))
    if not rows:
        return []
    rows.sort(key=lambda r: -abs(r[3]))
    examples = tuple(
        f"{names.get(code, code)} {fmt.number(children)} ≠ {fmt.number(total)} ({diff:+.1%})"
        for code, children, total, diff in rows[:MAX_EXAMPLES]
    )
    return [
        Problem(
            "validate.population_sum_mismatch",
            "warning",
            count=len(rows),
            examples=examples,
            params={
                "level": level_term(level),
                "parent_level": level_term(parent_level),
                "tolerance": fmt.share(tolerance, 0),
            },
        )
    ]


def check_population_parents(
    frame: pd.DataFrame,
    level: str,
    parents: Mapping[str, pd.DataFrame] | None,
    labels: Sequence[str],
) -> list[Problem]:
    """Units with more people than the whole parent they belong to.

    One community with more residents than its township is a typing or separator
    mistake (``16433,5`` read as 164,335), not a difference of year or definition:
    refused. When the parent's figure is only an estimate (``population_quality`` is
    ``estimate``) the real figure may well be larger, so it is a warning instead.
    """
    parent_level = PARENT_LEVEL.get(level)
    column = "county_code" if parent_level == "counties" else "township_code"
    parent = (parents or {}).get(parent_level) if parent_level else None
    if (
        parent is None
        or column not in frame
        or "population" not in frame
        or not {"code", "population"} <= set(parent.columns)
    ):
        return []
    codes = parent["code"].astype(str).to_numpy()
    totals = dict(zip(codes, pd.to_numeric(parent["population"], errors="coerce"), strict=True))
    names = dict(zip(codes, parent["name"].astype(str), strict=True)) if "name" in parent else {}
    quality = parent.get("population_quality")
    estimated = (
        set(codes[(quality.astype(str) == "estimate").to_numpy()]) if quality is not None else set()
    )
    population = pd.to_numeric(frame["population"], errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )
    above: dict[bool, list[str]] = {True: [], False: []}
    for i, (code, people) in enumerate(zip(frame[column].astype(str), population, strict=True)):
        total = totals.get(code)
        if total is None or pd.isna(total) or total <= 0 or np.isnan(people) or people <= total:
            continue
        above[code in estimated].append(
            f"{labels[i]}: {fmt.number(people)} > {names.get(code, code)} {fmt.number(total)}"
        )
    params = {"level": level_term(level), "parent_level": level_term(parent_level)}
    return [
        Problem(
            "validate.population_above_estimate"
            if is_estimate
            else "validate.population_above_parent",
            "warning" if is_estimate else "error",
            count=len(rows),
            examples=tuple(rows[:MAX_EXAMPLES]),
            params=params,
        )
        for is_estimate, rows in above.items()
        if rows
    ]
