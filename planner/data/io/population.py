"""Population tables: :func:`import_population` joins a table of population (and
households) onto a loaded layer, by code or by name.

Total rows of statistical tables (合计, 全市 ...) are dropped; names are joined with the
committee suffixes unified (居委会 → 社区, 村委会 → 村); rows and features left unmatched
are reported.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import pandas as pd

from planner.data.checks import (
    CODE_LENGTH,
    COLUMNS,
    Problem,
    check_population_parents,
    check_population_sums,
    clean_codes,
    clean_control_characters,
    feature_labels,
    field_term,
    level_term,
    match_columns,
    normalise_header,
    parse_numbers,
)
from planner.data.io.attributes import _unit_scale
from planner.data.io.layers import _check_level
from planner.data.io.result import ImportResult, _Found, _reported
from planner.data.io.tables import _read_table
from planner.i18n import DEFAULT_LANGUAGE

__all__ = ["import_population"]

#: Names of the total rows of statistical tables, which are not units.
_TOTAL_NAMES = frozenset(
    normalise_header(n)
    for n in ("合计", "总计", "小计", "全市", "全区", "全县", "全市合计", "total", "sum", "总数")
)


def _int_column(frame: pd.DataFrame, column: str) -> pd.Series:
    """``frame[column]`` as nullable integers (all NA when absent)."""
    if column not in frame:
        return pd.Series(pd.NA, index=frame.index, dtype="Int64")
    numbers = pd.to_numeric(frame[column], errors="coerce").astype("Float64")
    return numbers.round().astype("Int64")


def _name_key(value: Any) -> str:
    """A name reduced for joining: no spaces, committee suffixes unified."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))
    for long, short in (
        ("居民委员会", "社区"),
        ("社区居委会", "社区"),
        ("居委会", "社区"),
        ("村民委员会", "村"),
        ("村委会", "村"),
        ("街道办事处", "街道"),
    ):
        if text.endswith(long):
            text = text[: -len(long)] + short
            break
    return text


def import_population(
    source: Any,
    level: str,
    layer: gpd.GeoDataFrame,
    *,
    join_on: str | None = None,
    column_map: Mapping[str, str] | None = None,
    lang: str = DEFAULT_LANGUAGE,
    parents: Mapping[str, gpd.GeoDataFrame] | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
) -> ImportResult:
    """Join a population table (and households, where the level has them) onto a layer.

    Parameters
    ----------
    source
        CSV/XLSX table (path or upload) with a code and/or name column and population.
    level
        ``"counties"``, ``"townships"`` or ``"communities"``.
    layer
        The loaded layer to update; it is not modified.
    join_on
        ``"code"``, ``"name"`` or None to choose the one that matches more rows.
    column_map
        ``{field: column}`` choices overriding recognised column names.
    lang
        Default language of the report.
    parents
        Loaded parent layers, to compare the new totals with the parents' populations.
    sheet
        Worksheet of a workbook with several filled sheets.
    encoding
        Text encoding of a CSV when automatic detection is not wanted.

    Returns
    -------
    ImportResult
        ``data`` is a copy of ``layer`` with population (``Int64``) and households set
        for the matched features (others keep their values), or None on errors.
        Unmatched rows in either direction are warnings.
    """
    _check_level(level, ("counties", "townships", "communities"))
    if join_on not in (None, "code", "name"):
        raise ValueError(f"join_on must be 'code', 'name' or None, not {join_on!r}")

    def run(found: _Found) -> tuple[gpd.GeoDataFrame | None, None, dict[str, str]]:
        frame, notes, found.name = _read_table(source, encoding=encoding, sheet=sheet)
        found.problems.extend(notes)
        data, columns, more = _join_population(
            frame, level, layer, join_on=join_on, column_map=column_map, parents=parents
        )
        found.problems.extend(more)
        return data, None, columns

    return _reported(run, lang)


def _join_population(
    frame: pd.DataFrame,
    level: str,
    layer: gpd.GeoDataFrame,
    *,
    join_on: str | None,
    column_map: Mapping[str, str] | None,
    parents: Mapping[str, gpd.GeoDataFrame] | None,
) -> tuple[gpd.GeoDataFrame | None, dict[str, str], list[Problem]]:
    """``layer`` with the table's population (and households) joined on ``join_on``.

    Returns the new layer (None when nothing matches or a problem blocks), the columns
    used and the problems found.
    """
    problems: list[Problem] = []
    wanted = ["code", "name", "population"]
    if "households" in COLUMNS[level]:
        wanted.append("households")
    mapping, more = match_columns(
        list(frame.columns), level, column_map, wanted=wanted, required=("population",)
    )
    problems.extend(more)
    if join_on is not None and join_on not in mapping:
        _, missing = match_columns(
            list(frame.columns), level, column_map, wanted=wanted, required=(join_on,)
        )
        problems.extend(p for p in missing if p.params.get("field_id") == join_on)
    no_join_column = Problem(
        "io.join_column_missing", "error", params={"columns": [str(c) for c in frame.columns][:12]}
    )
    if join_on is None and "code" not in mapping and "name" not in mapping:
        problems.append(no_join_column)
    if any(p.blocking for p in problems):
        return None, mapping, problems

    table = frame.reset_index(drop=True)
    table, more = clean_control_characters(
        table,
        {column: field_name for field_name, column in mapping.items()},
        level=level,
        labels=[f"#{i + 1}" for i in range(len(table))],
    )
    problems.extend(more)
    # Total rows ("合计") of statistical tables are not units.
    if "name" in mapping:
        key_names = table[mapping["name"]].map(normalise_header)
        totals = key_names.isin(_TOTAL_NAMES)
        if "code" in mapping:
            totals &= table[mapping["code"]].isna() | (
                table[mapping["code"]].astype(str).str.strip() == ""
            )
        if totals.any():
            problems.append(Problem("io.total_rows_dropped", "fixed", count=int(totals.sum())))
            table = table[~totals].reset_index(drop=True)

    layer_codes = layer["code"].astype(str) if "code" in layer else None
    layer_names = layer["name"].map(_name_key) if "name" in layer else None
    keys: dict[str, pd.Series] = {}
    if "code" in mapping and layer_codes is not None:
        codes, _ = clean_codes(
            table[mapping["code"]], CODE_LENGTH[level], level=level, required=False
        )
        keys["code"] = codes
    if "name" in mapping and layer_names is not None:
        keys["name"] = table[mapping["name"]].map(_name_key).astype("str")
    if join_on is None:
        scores = {
            k: int(v.isin(set(layer_codes if k == "code" else layer_names)).sum())
            for k, v in keys.items()
        }
        if not scores:
            return None, mapping, [*problems, no_join_column]
        join_on = max(scores, key=lambda k: (scores[k], k == "code"))
    elif join_on not in keys:
        return None, mapping, [*problems, no_join_column]
    key = keys[join_on]
    layer_key = layer_codes if join_on == "code" else layer_names
    labels = [k or f"#{i + 1}" for i, k in enumerate(key)]

    population, more = parse_numbers(
        table[mapping["population"]],
        field_name="population",
        level=level,
        labels=labels,
        scale=_unit_scale(mapping["population"]),
    )
    problems.extend(more)
    if _unit_scale(mapping["population"]) != 1.0:
        problems.append(
            Problem("validate.number_scaled", "fixed", params={"column": mapping["population"]})
        )
    households = None
    if "households" in mapping:
        households, more = parse_numbers(
            table[mapping["households"]],
            field_name="households",
            level=level,
            labels=labels,
            scale=_unit_scale(mapping["households"]),
            missing_severity=None,
        )
        problems.extend(more)

    present = key != ""
    duplicated = key.duplicated(keep=False) & present
    if duplicated.any():
        dups = sorted(set(key[duplicated]))
        problems.append(
            Problem(
                "io.population_duplicates",
                "error",
                count=len(dups),
                examples=tuple(dups[:5]),
                params={"field": field_term(join_on)},
            )
        )
    ambiguous: set[str] = set()
    if join_on == "name":
        repeated = layer_key[layer_key.duplicated(keep=False) & (layer_key != "")]
        ambiguous = set(repeated)
        used_ambiguous = sorted(ambiguous & set(key))
        if used_ambiguous:
            problems.append(
                Problem(
                    "io.ambiguous_names",
                    "warning",
                    count=len(used_ambiguous),
                    examples=tuple(used_ambiguous[:5]),
                    params={"level": level_term(level)},
                )
            )
    layer_set = set(layer_key) - ambiguous
    matched = key.isin(layer_set) & present
    unmatched_rows = present & ~key.isin(set(layer_key))
    if not matched.any():
        problems.append(
            Problem(
                "io.population_no_match",
                "error",
                count=int(present.sum()),
                examples=tuple(key[present][:3]) + tuple(layer_key[:2]),
                params={"field": field_term(join_on), "level": level_term(level)},
            )
        )
        return None, mapping, problems
    if unmatched_rows.any():
        problems.append(
            Problem(
                "io.population_unmatched_rows",
                "warning",
                count=int(unmatched_rows.sum()),
                examples=tuple(key[unmatched_rows][:5]),
                params={"level": level_term(level), "field": field_term(join_on)},
            )
        )
    got = set(key[matched])
    without = ~layer_key.isin(got)
    if without.any():
        examples = feature_labels(layer.reset_index(drop=True))
        problems.append(
            Problem(
                "io.population_missing_features",
                "warning",
                count=int(without.sum()),
                examples=tuple(lab for lab, m in zip(examples, without, strict=False) if m)[:5],
                params={"level": level_term(level)},
            )
        )

    first = ~key.duplicated(keep="first") & matched
    by_key = pd.DataFrame({"key": key[first], "population": population[first]})
    if households is not None:
        by_key["households"] = households[first]
    by_key = by_key.set_index("key")
    out = layer.copy()
    lookup_key = layer_key.where(~layer_key.isin(ambiguous), "")
    hit = lookup_key.isin(by_key.index)
    out["population"] = _int_column(out, "population").mask(
        hit, lookup_key.map(by_key["population"]).astype("Int64")
    )
    if households is not None:
        new_households = lookup_key.map(by_key["households"]).astype("Int64")
        out["households"] = _int_column(out, "households").mask(
            hit & new_households.notna(), new_households
        )
    if level in ("townships", "communities"):
        named = feature_labels(out.reset_index(drop=True))
        problems.extend(check_population_parents(out, level, parents, named))
        problems.extend(check_population_sums(out, level, parents))
    return out, dict(mapping), problems
