"""Checks on imported layers, and the report a planner reads after an import.

Every check here is pure: it takes frames and returns new frames plus a list of
:class:`Problem` objects; inputs are never modified. A problem carries a message key
(prefix ``validate.`` or ``io.``), a severity, how many features it concerns, a few
examples (codes or names, as the planner knows them) and the values that fill the
message. :class:`ValidationReport` collects problems and renders them in Chinese or
English.

Severities
----------
``error``
    The layer cannot be used as it is; the import is refused.
``needs_input``
    The planner has to choose something (a layer, a coordinate system) and import again.
``warning``
    The layer is usable but something looks wrong or is missing.
``fixed``
    Something was repaired or filled in automatically; said so for transparency.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.data.crs import local_metric_crs
from planner.i18n import DEFAULT_LANGUAGE, t

__all__ = [
    "CODE_LENGTH",
    "COLUMNS",
    "FIELD_ALIASES",
    "KIND_VALUES",
    "LEVELS",
    "NUL_MARK",
    "PARENT_LEVEL",
    "POPULATION_BOUND",
    "POPULATION_TOLERANCE",
    "QUALITY_VALUES",
    "REGION_TOLERANCE_M",
    "REQUIRED",
    "SEVERITIES",
    "STATUS_VALUES",
    "TIER_VALUES",
    "Problem",
    "Term",
    "ValidationReport",
    "check_duplicates",
    "check_geometries",
    "check_hierarchy",
    "check_outside_region",
    "check_population_parents",
    "check_population_sums",
    "clean_codes",
    "clean_control_characters",
    "feature_labels",
    "field_term",
    "fix_axis_order",
    "level_term",
    "match_columns",
    "normalise_header",
    "normalise_values",
    "parse_numbers",
    "population_bound",
]

SEVERITIES: tuple[str, ...] = ("error", "needs_input", "warning", "fixed")
LEVELS: tuple[str, ...] = ("counties", "townships", "communities", "sites")
CODE_LENGTH: dict[str, int] = {"counties": 6, "townships": 9, "communities": 12}
PARENT_LEVEL: dict[str, str] = {"townships": "counties", "communities": "townships"}
#: Output columns of each level, in order (geometry comes last).
COLUMNS: dict[str, tuple[str, ...]] = {
    "counties": ("code", "name", "population", "urban_share", "households"),
    "townships": ("code", "name", "county_code", "kind", "population", "geometry_quality"),
    "communities": (
        "code",
        "name",
        "township_code",
        "county_code",
        "kind",
        "population",
        "households",
        "geometry_quality",
    ),
    "sites": ("site_id", "tier", "status", "capacity", "name", "county_code", "township_code"),
}
#: Columns without which a layer is refused.
REQUIRED: dict[str, tuple[str, ...]] = {
    "counties": ("code", "name"),
    "townships": ("code", "name"),
    "communities": ("code", "name"),
    "sites": (),
}
KIND_VALUES: dict[str, tuple[str, ...]] = {
    "townships": ("street", "town", "township", "zone"),
    "communities": ("community", "village"),
}
TIER_VALUES: tuple[str, ...] = ("station", "sorting_centre")
STATUS_VALUES: tuple[str, ...] = ("existing_keep", "existing_close", "candidate")
QUALITY_VALUES: tuple[str, ...] = ("official", "approximate")

#: Children whose population sums differ from the parent's by more than this share warn.
POPULATION_TOLERANCE = 0.05
#: Features farther than this (metres) from the region boundary count as outside.
REGION_TOLERANCE_M = 1000.0
MAX_EXAMPLES = 5

# --------------------------------------------------------------------------- aliases


def _words(text: str) -> tuple[str, ...]:
    """A tuple of the whitespace-separated words of ``text`` (compact alias tables)."""
    return tuple(text.split())


#: Recognised column names per field, most specific first. Level-specific entries
#: (e.g. "乡镇代码" is the code of a township but the parent code of a community) are
#: listed under ``(level, field)`` and take precedence over the generic ones.
FIELD_ALIASES: dict[str | tuple[str, str], tuple[str, ...]] = {
    "code": _words(
        "code adcode ad_code 区划代码 行政区划代码 统计用区划代码 行政区代码 "
        "区划编码 行政区划编码 代码 编码 编号 gb gbcode xzqdm xzqhdm qhdm dm"
    ),
    "name": _words(
        "name 名称 区划名称 行政区划名称 行政区名称 名字 xzqmc qhmc mc name_zh 中文名 中文名称"
    ),
    "population": _words(
        "population pop 常住人口 常住人口数 人口 人口数 总人口 人口总数 "
        "人口数量 七普人口 户籍人口 rk rks"
    ),
    "households": _words("households hh 户数 总户数 家庭户数 住户数 户"),
    "urban_share": _words(
        "urban_share urbanshare urbanisation urbanization 城镇化率 城镇人口比重 城镇化水平 "
        "城镇人口占比"
    ),
    "county_code": _words(
        "county_code countycode county_cod 所属区县代码 所属县区代码 区县代码 "
        "县区代码 县代码 县级代码 所属县代码 区县编码 所属区县编码 xdm"
    ),
    "township_code": _words(
        "township_code townshipcode township_c town_code 所属乡镇代码 "
        "所属乡镇街道代码 所属街道代码 乡镇代码 乡镇街道代码 街道代码 乡镇编码 所属乡镇编码 xzdm"
    ),
    "kind": _words("kind type 类型 类别 单位类型"),
    "geometry_quality": _words("geometry_quality geometry_q quality 边界质量 几何质量"),
    "site_id": _words("site_id siteid id 站点编号 站点代码 站点id 网点编号 编号 代码 编码 code"),
    "tier": _words("tier level 站点级别 级别 层级 站点类型 类型 type"),
    "status": _words("status 状态 现状 站点状态 规划状态"),
    "capacity": _words("capacity 规模 处理能力 日处理能力 设计规模 设计能力 能力 容量 处理规模"),
    ("townships", "code"): _words("乡镇代码 街道代码 乡镇街道代码 乡镇编码"),
    ("townships", "name"): _words("乡镇名称 街道名称 乡镇街道名称 乡镇 街道"),
    ("communities", "code"): _words("村代码 社区代码 村社区代码 村居代码 村级代码"),
    ("communities", "name"): _words("村名称 社区名称 村社区名称 村居名称 村名 社区"),
    ("counties", "code"): _words("区县代码 县区代码 县代码"),
    ("counties", "name"): _words("区县名称 县区名称 县名称 区县"),
    ("sites", "name"): _words("站点名称 网点名称 回收站名称 名称 name"),
    ("sites", "county_code"): _words("所属区县代码 区县代码 county_code"),
}


def normalise_header(header: object) -> str:
    """A column header reduced for matching: NFKC, lower case, no spaces or punctuation.

    Units in brackets are removed, so "常住人口（人）" and "population (persons)" match
    "常住人口" and "population".
    """
    text = unicodedata.normalize("NFKC", str(header)).casefold().strip()
    text = re.sub(r"[\(\[【].*?[\)\]】]", "", text)
    return re.sub(r"[\s_\-./:：、]+", "", text)


def _aliases(level: str, name: str) -> tuple[str, ...]:
    specific = FIELD_ALIASES.get((level, name), ())
    generic = FIELD_ALIASES.get(name, ())
    return tuple(dict.fromkeys(normalise_header(a) for a in (*specific, *generic)))


# --------------------------------------------------------------------------- messages


@dataclass(frozen=True)
class Term:
    """A word or phrase translated when the message is rendered (a label, a unit).

    Parameters
    ----------
    key
        Message key of the term.
    params
        Values for the term's template, if it has fields.
    """

    key: str
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def render(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The term in ``lang``."""
        return t(self.key, lang, **{k: _render_value(v, lang) for k, v in self.params.items()})


def _render_value(value: Any, lang: str) -> Any:
    if isinstance(value, Term):
        return value.render(lang)
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):,.6g}"
    if isinstance(value, (list, tuple)):
        sep = "、" if lang == "zh" else ", "
        return sep.join(str(_render_value(v, lang)) for v in value)
    return value


@dataclass(frozen=True)
class Problem:
    """One finding of an import.

    Parameters
    ----------
    key
        Message key (``validate.*`` or ``io.*``, or a key of another module such as
        ``crs.*``).
    severity
        One of ``"error"``, ``"needs_input"``, ``"warning"``, ``"fixed"``.
    count
        How many features, rows or columns the problem concerns.
    examples
        A few of them, as the planner knows them (codes, names, column names).
    params
        Values for the message; ``details`` holds the original library error text.
    """

    key: str
    severity: str
    count: int = 1
    examples: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")
        object.__setattr__(self, "examples", tuple(str(e) for e in self.examples))
        object.__setattr__(self, "params", dict(self.params))
        object.__setattr__(self, "count", int(self.count))

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The message in ``lang`` (without the technical details)."""
        values = {k: _render_value(v, lang) for k, v in self.params.items() if k != "details"}
        values.setdefault("count", _render_value(self.count, lang))
        values.update(_ENGLISH_NUMBER[self.count == 1])
        values["examples"] = _examples_text(self.examples, lang)
        sep = "、" if lang == "zh" else ", "
        values["examples_plain"] = sep.join(self.examples[:MAX_EXAMPLES])
        return t(self.key, lang, **values)

    @property
    def details(self) -> str | None:
        """The original error text of a library, if any."""
        details = self.params.get("details")
        return None if details in (None, "") else str(details)

    @property
    def blocking(self) -> bool:
        """Whether this problem stops the import."""
        return self.severity in ("error", "needs_input")


# Words that agree with the count in English templates ("1 code is", "2 codes are").
_ENGLISH_NUMBER = {
    True: {
        "s": "",
        "s_verb": "s",
        "ies": "y",
        "are": "is",
        "have": "has",
        "do": "does",
        "were": "was",
    },
    False: {
        "s": "s",
        "s_verb": "",
        "ies": "ies",
        "are": "are",
        "have": "have",
        "do": "do",
        "were": "were",
    },
}


def _examples_text(examples: Sequence[str], lang: str) -> str:
    if not examples:
        return ""
    shown = list(examples[:MAX_EXAMPLES])
    if lang == "zh":
        return "（例如 " + "、".join(shown) + "）"
    return " (e.g. " + ", ".join(shown) + ")"


@dataclass(frozen=True)
class ValidationReport:
    """All problems found by one import, most serious first.

    Parameters
    ----------
    problems
        The problems, in any order.
    lang
        Language used when :meth:`messages` or :meth:`to_frame` get none.
    """

    problems: tuple[Problem, ...] = ()
    lang: str = DEFAULT_LANGUAGE

    def __post_init__(self) -> None:
        order = {s: i for i, s in enumerate(SEVERITIES)}
        ranked = sorted(self.problems, key=lambda p: order[p.severity])
        object.__setattr__(self, "problems", tuple(ranked))

    @property
    def ok(self) -> bool:
        """True when nothing blocks the import (no errors, nothing to choose)."""
        return not any(p.blocking for p in self.problems)

    @property
    def errors(self) -> tuple[Problem, ...]:
        """Problems that refuse the import."""
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def needs_input(self) -> tuple[Problem, ...]:
        """Questions the planner has to answer before importing again."""
        return tuple(p for p in self.problems if p.severity == "needs_input")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """Problems that let the import through."""
        return tuple(p for p in self.problems if p.severity == "warning")

    @property
    def fixed(self) -> tuple[Problem, ...]:
        """Things repaired or filled in automatically."""
        return tuple(p for p in self.problems if p.severity == "fixed")

    @property
    def keys(self) -> tuple[str, ...]:
        """Message keys of all problems (handy for tests and logs)."""
        return tuple(p.key for p in self.problems)

    def find(self, key: str) -> Problem | None:
        """The first problem with ``key``, or None."""
        return next((p for p in self.problems if p.key == key), None)

    def messages(self, lang: str | None = None) -> list[str]:
        """One line per problem, each starting with its severity label."""
        lang = lang or self.lang
        colon = "：" if lang == "zh" else ": "
        return [
            f"{t('validate.severity.' + p.severity, lang)}{colon}{p.message(lang)}"
            for p in self.problems
        ]

    def to_frame(self, lang: str | None = None) -> pd.DataFrame:
        """A table for display: severity, message, count, examples, details."""
        lang = lang or self.lang
        sep = "、" if lang == "zh" else ", "
        columns = [
            t(f"validate.col.{c}", lang)
            for c in ("severity", "message", "count", "examples", "details")
        ]
        rows = [
            (
                t("validate.severity." + p.severity, lang),
                p.message(lang),
                p.count,
                sep.join(p.examples[:MAX_EXAMPLES]),
                p.details or "",
            )
            for p in self.problems
        ]
        return pd.DataFrame(rows, columns=columns)

    def __add__(self, other: ValidationReport | Iterable[Problem]) -> ValidationReport:
        extra = other.problems if isinstance(other, ValidationReport) else tuple(other)
        return ValidationReport((*self.problems, *extra), lang=self.lang)


def level_term(level: str) -> Term:
    """The planner's word for a layer (区县, 乡镇（街道）, ...)."""
    return Term(f"validate.level.{level}")


def field_term(name: str) -> Term:
    """The planner's word for a column."""
    return Term(f"validate.field.{name}")


# --------------------------------------------------------------------------- helpers


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def feature_labels(frame: pd.DataFrame) -> list[str]:
    """How each feature is named in examples: code and name, else its record number."""
    codes = frame["code"] if "code" in frame else frame.get("site_id")
    names = frame.get("name", None)
    labels = []
    for i in range(len(frame)):
        parts = []
        for series in (codes, names):
            if series is not None:
                value = series.iloc[i]
                if not _is_missing(value):
                    parts.append(str(value).strip())
        labels.append(" ".join(dict.fromkeys(parts)) if parts else f"#{i + 1}")
    return labels


def _examples(labels: Sequence[str], mask: Iterable[bool]) -> tuple[str, ...]:
    chosen = [lab for lab, m in zip(labels, mask, strict=False) if m]
    return tuple(chosen[:MAX_EXAMPLES])


# --------------------------------------------------------------------------- columns


def match_columns(
    columns: Sequence[object],
    level: str,
    column_map: Mapping[str, str] | None = None,
    *,
    wanted: Sequence[str] | None = None,
    required: Sequence[str] | None = None,
) -> tuple[dict[str, str], list[Problem]]:
    """Find which source column holds each field of ``level``.

    Parameters
    ----------
    columns
        Column names of the source table.
    level
        Layer level (selects level-specific names such as "乡镇代码").
    column_map
        Explicit choices, ``{field: column}`` (``{column: field}`` is accepted too).
        They win over recognised names.
    wanted
        Fields to look for (default: the level's columns).
    required
        Fields that must be found (default: :data:`REQUIRED` of the level).

    Returns
    -------
    mapping, problems
        ``{field: source column}``, and problems for explicit choices naming unknown
        columns and for missing required fields (with a "did you mean" suggestion).
    """
    names = [str(c) for c in columns]
    wanted = tuple(wanted if wanted is not None else COLUMNS[level])
    required = tuple(required if required is not None else REQUIRED[level])
    problems: list[Problem] = []
    mapping: dict[str, str] = {}
    used: set[str] = set()

    for key, value in (column_map or {}).items():
        fld, col = key, value
        if key not in wanted and value in wanted:
            fld, col = value, key
        if fld not in wanted:
            continue
        if col not in names:
            close = difflib.get_close_matches(str(col), names, n=1, cutoff=0.5)
            problems.append(
                Problem(
                    "validate.column_not_found",
                    "error",
                    params={
                        "column": col,
                        "field": field_term(fld),
                        "columns": names[:12],
                        "suggestion": close[0] if close else "",
                    },
                )
            )
            continue
        mapping[fld] = col
        used.add(col)

    normalised = {c: normalise_header(c) for c in names}
    for fld in wanted:
        if fld in mapping or any(p.params.get("field") == field_term(fld) for p in problems):
            continue
        for alias in _aliases(level, fld):
            hit = next((c for c in names if c not in used and normalised[c] == alias), None)
            if hit is not None:
                mapping[fld] = hit
                used.add(hit)
                break

    for fld in required:
        if fld in mapping or any(p.params.get("field") == field_term(fld) for p in problems):
            continue
        suggestion = _suggest(names, used, _aliases(level, fld))
        params: dict[str, Any] = {"field": field_term(fld), "field_id": fld, "columns": names[:12]}
        if suggestion:
            params["column"] = suggestion
            problems.append(Problem("validate.missing_column_suggest", "error", params=params))
        else:
            problems.append(Problem("validate.missing_column", "error", params=params))
    return mapping, problems


def _suggest(names: Sequence[str], used: set[str], aliases: Sequence[str]) -> str | None:
    best, best_score = None, 0.0
    for name in names:
        if name in used:
            continue
        norm = normalise_header(name)
        if not norm:
            continue
        for alias in aliases:
            score = difflib.SequenceMatcher(None, norm, alias).ratio()
            if alias in norm or norm in alias:
                score = max(score, 0.7)
            if score > best_score:
                best, best_score = name, score
    return best if best_score >= 0.6 else None


# --------------------------------------------------------------------------- codes

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


# --------------------------------------------------------------------------- text

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


# --------------------------------------------------------------------------- numbers

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
    return {"count": _COUNT_UNITS, "amount": _AMOUNT_UNITS, "share": _SHARE_UNITS}[kind]


def _parse_number(value: Any, kind: str = "count", scale: float = 1.0) -> _Cell:
    """A number from a cell, read the way a planner's table means it.

    Parameters
    ----------
    value
        The cell (text from a CSV/XLSX, or a number from a GeoJSON/GeoPackage).
    kind
        ``"count"`` (population, households: whole, non-negative), ``"amount"``
        (capacity, tonnes per day) or ``"share"`` (urban share, ``%`` allowed).
    scale
        The column's unit factor (10,000 for a "万人" column); a decimal point is then
        always a decimal point.

    Returns
    -------
    _Cell
        NaN for an empty cell. Refused cells carry the problem key: not a number,
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
    dropping digits. Amounts accept decimals with a dot; ``urban_share`` accepts ``%``.

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
    kind = "count" if integer else ("share" if field_name == "urban_share" else "amount")
    cells = [_parse_number(v, kind, scale) for v in values]
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
                    examples=listed(too_large, lambda i: f"{labels[i]}: {numbers[i]:,.0f}"),
                    params={**params, "maximum": int(maximum)},
                )
            )
            numbers = np.where(too_large, math.nan, numbers)  # refused (and beyond Int64)
    missing = np.array([c.issue is None and math.isnan(c.value) for c in cells], dtype=bool)
    if missing.any() and missing_severity:
        problems.append(
            Problem(
                "validate.number_missing",
                missing_severity,
                count=int(missing.sum()),
                examples=_examples(labels, missing),
                params=params,
            )
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
                examples=listed(fractional, lambda i: f"{labels[i]}: {raw[i]} → {numbers[i]:,.0f}"),
                params=params,
            )
        )
    return pd.Series(numbers, index=values.index).astype("Int64"), problems


# --------------------------------------------------------------------------- categories


def normalise_values(
    values: pd.Series,
    allowed: Sequence[str],
    aliases: Mapping[str, str],
) -> tuple[pd.Series, list[bool]]:
    """Map raw category values onto ``allowed`` using ``aliases``.

    Returns the mapped values (empty string where missing) and a mask of unknown values.
    """
    out, unknown = [], []
    lookup = {normalise_header(k): v for k, v in aliases.items()}
    lookup.update({normalise_header(a): a for a in allowed})
    for value in values:
        if _is_missing(value):
            out.append("")
            unknown.append(False)
            continue
        mapped = lookup.get(normalise_header(value))
        out.append(mapped or str(value).strip())
        unknown.append(mapped is None)
    return pd.Series(out, index=values.index, dtype="str"), unknown


# --------------------------------------------------------------------------- geometry

_POLYGONAL = ("Polygon", "MultiPolygon")
_EXPECTED_TYPES: dict[str, tuple[str, ...]] = {
    "counties": _POLYGONAL,
    "townships": _POLYGONAL,
    "communities": (*_POLYGONAL, "Point"),
    "sites": ("Point",),
}


def _polygonal_part(geom: shapely.Geometry) -> shapely.Geometry | None:
    """The polygons of a geometry (dropping lines and points), or None if there are none."""
    if geom is None or geom.is_empty:
        return None
    kind = geom.geom_type
    if kind in _POLYGONAL:
        return geom
    if kind == "GeometryCollection":
        polys = [g for g in shapely.get_parts(geom) if g.geom_type in _POLYGONAL]
        polys = [p for part in polys for p in shapely.get_parts(part)]
        if not polys:
            return None
        return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)
    return None


def check_geometries(
    gdf: gpd.GeoDataFrame, level: str, labels: Sequence[str]
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Empty, invalid and wrongly typed geometries.

    Z values are dropped; single-part MultiPoints become Points; invalid polygons are
    repaired with :func:`shapely.make_valid` when the repair is polygonal and keeps
    nearly all of the area (reported as fixed), otherwise they are errors.
    """
    problems: list[Problem] = []
    geoms = shapely.force_2d(np.asarray(gdf.geometry.array, dtype=object))
    params = {"level": level_term(level)}

    empty = np.array([g is None or g.is_empty for g in geoms], dtype=bool)
    # Points with NaN coordinates (e.g. blank lon/lat cells) count as empty.
    for i, g in enumerate(geoms):
        if (
            not empty[i]
            and g.geom_type == "Point"
            and not np.isfinite(shapely.get_coordinates(g)).all()
        ):
            empty[i] = True
    if empty.any():
        problems.append(
            Problem(
                "validate.geometry_empty",
                "error",
                count=int(empty.sum()),
                examples=_examples(labels, empty),
                params=params,
            )
        )

    expected = _EXPECTED_TYPES[level]
    collapsed = 0
    for i, g in enumerate(geoms):
        if empty[i]:
            continue
        if (
            g.geom_type == "MultiPoint"
            and "Point" in expected
            and shapely.get_num_geometries(g) == 1
        ):
            geoms[i] = shapely.get_geometry(g, 0)
            collapsed += 1
        elif g.geom_type == "GeometryCollection" and expected[0] == "Polygon":
            part = _polygonal_part(g)
            if part is not None:
                geoms[i] = part
                collapsed += 1
    if collapsed:
        problems.append(
            Problem("validate.geometry_simplified", "fixed", count=collapsed, params=params)
        )

    kinds = np.array([None if empty[i] else g.geom_type for i, g in enumerate(geoms)])
    wrong = np.array([k is not None and k not in expected for k in kinds], dtype=bool)
    if wrong.any():
        found = sorted({str(k) for k in kinds[wrong]})
        problems.append(
            Problem(
                "validate.geometry_wrong_type",
                "error",
                count=int(wrong.sum()),
                examples=_examples(labels, wrong),
                params={
                    **params,
                    "expected": [
                        Term(f"validate.geomtype.{k}") for k in expected if k != "MultiPolygon"
                    ],
                    "found": [Term(f"validate.geomtype.{k}") for k in found],
                },
            )
        )

    fixed_mask = np.zeros(len(geoms), dtype=bool)
    broken_mask = np.zeros(len(geoms), dtype=bool)
    reasons: list[str] = []
    for i, g in enumerate(geoms):
        if empty[i] or wrong[i] or g.is_valid:
            continue
        reason = shapely.is_valid_reason(g)
        repaired = _polygonal_part(shapely.make_valid(g)) if g.geom_type in _POLYGONAL else None
        if repaired is not None and repaired.is_valid and _area_kept(g, repaired):
            geoms[i] = repaired
            fixed_mask[i] = True
        else:
            broken_mask[i] = True
            reasons.append(reason)
    if fixed_mask.any():
        problems.append(
            Problem(
                "validate.geometry_invalid_fixed",
                "fixed",
                count=int(fixed_mask.sum()),
                examples=_examples(labels, fixed_mask),
                params=params,
            )
        )
    if broken_mask.any():
        problems.append(
            Problem(
                "validate.geometry_invalid",
                "error",
                count=int(broken_mask.sum()),
                examples=_examples(labels, broken_mask),
                params={**params, "details": "; ".join(dict.fromkeys(reasons))[:500]},
            )
        )
    out = gdf.copy()
    out[gdf.geometry.name] = gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs)
    return out, problems


def _area_kept(original: shapely.Geometry, repaired: shapely.Geometry) -> bool:
    """Whether a repair kept the shape the planner drew.

    The area of an invalid polygon is not meaningful (a bow-tie has area 0), so the
    repair is compared with the area enclosed by the noded outer rings.
    """
    if repaired.area <= 0:
        return False
    rings = [p.exterior for p in shapely.get_parts(original) if p.geom_type == "Polygon"]
    if not rings:
        return True
    noded = shapely.node(shapely.MultiLineString(rings))
    enclosed = shapely.polygonize(shapely.get_parts(noded))
    reference = shapely.union_all(shapely.get_parts(enclosed))
    return reference.is_empty or repaired.area >= 0.5 * reference.area


# --------------------------------------------------------------------------- coordinates

_CHINA_LON = (73.0, 136.0)
_CHINA_LAT = (3.0, 54.0)


def _within(values: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    return (values >= bounds[0]) & (values <= bounds[1])


def fix_axis_order(
    gdf: gpd.GeoDataFrame, labels: Sequence[str], *, geographic: bool | None
) -> tuple[gpd.GeoDataFrame, list[Problem], bool]:
    """Swap x/y where longitude and latitude (or easting and northing) were exchanged.

    Parameters
    ----------
    gdf
        Features in the source coordinates.
    labels
        Feature labels for examples.
    geographic
        True if the file declares degrees, False if it declares a projected system,
        None if it declares nothing.

    Returns
    -------
    gdf, problems, looks_projected
        Corrected features; problems (swaps are "fixed", coordinates out of range are
        errors); and whether the coordinates look projected (metres, not degrees).
    """
    if geographic is False or len(gdf) == 0:
        return gdf, [], geographic is False
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    present = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    if not present.any():
        return gdf, [], False
    bounds = shapely.bounds(geoms)  # minx, miny, maxx, maxy; NaN for empty
    with np.errstate(invalid="ignore"):
        finite = present & np.isfinite(bounds).all(axis=1)
        xs = np.abs(bounds[:, [0, 2]])
        ys = np.abs(bounds[:, [1, 3]])
        degrees = finite & (xs <= 180).all(axis=1) & (ys <= 90).all(axis=1)
        x_lat = _within(bounds[:, 0], _CHINA_LAT) & _within(bounds[:, 2], _CHINA_LAT)
        y_lon = _within(bounds[:, 1], _CHINA_LON) & _within(bounds[:, 3], _CHINA_LON)
        swapped_deg = finite & x_lat & y_lon
        big = finite & ~degrees & ~swapped_deg
    problems: list[Problem] = []
    swap = np.zeros(len(geoms), dtype=bool)
    n_finite = int(finite.sum())
    looks_projected = False

    if (degrees | swapped_deg)[finite].sum() >= 0.5 * n_finite:
        # Degrees: rows whose lon/lat are exchanged, and rows out of any valid range.
        swap = swapped_deg
        if swap.any():
            problems.append(
                Problem(
                    "validate.lonlat_swapped",
                    "fixed",
                    count=int(swap.sum()),
                    examples=() if swap[finite].all() else _examples(labels, swap),
                    params={"total": n_finite},
                )
            )
        if big.any():
            problems.append(
                Problem(
                    "validate.coords_out_of_range",
                    "error",
                    count=int(big.sum()),
                    examples=_examples(labels, big),
                )
            )
    else:
        looks_projected = True
        # Chinese survey tables call the northing X and the easting Y.
        with np.errstate(invalid="ignore"):
            x_north = (bounds[:, 0] >= 2.0e5) & (bounds[:, 2] <= 6.2e6)
            y_east = ((bounds[:, 1] >= 1.0e5) & (bounds[:, 3] <= 9.0e5)) | (
                (bounds[:, 1] >= 1.3e7) & (bounds[:, 3] <= 4.6e7)
            )
            x_east_ok = (bounds[:, 2] <= 9.0e5) | (bounds[:, 0] >= 1.3e7)
        candidate = finite & x_north & y_east & ~(x_east_ok & (bounds[:, 1] >= 2.0e6))
        if candidate[finite].all():
            swap = candidate
            problems.append(Problem("validate.xy_swapped", "fixed", count=int(swap.sum())))
    if swap.any():
        geoms = geoms.copy()
        geoms[swap] = shapely.transform(geoms[swap], lambda c: c[:, ::-1])
        out = gdf.copy()
        out[gdf.geometry.name] = gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs)
        return out, problems, looks_projected
    return gdf, problems, looks_projected


def check_outside_region(
    gdf: gpd.GeoDataFrame,
    region: shapely.Geometry | None,
    *,
    level: str,
    labels: Sequence[str],
    tolerance_m: float = REGION_TOLERANCE_M,
) -> list[Problem]:
    """Features lying entirely outside the region (beyond ``tolerance_m``).

    Some features outside is a warning; all of them outside is an error, since it
    usually means the coordinates are in another system or belong to another city.
    """
    if region is None or region.is_empty or len(gdf) == 0:
        return []
    geoms = gdf.geometry
    present = ~(geoms.isna() | geoms.is_empty)
    if not present.any():
        return []
    local = local_metric_crs(region)
    region_m = gpd.GeoSeries([region], crs="EPSG:4326").to_crs(local).iloc[0]
    feats_m = geoms[present].to_crs(local)
    distance = feats_m.distance(region_m).to_numpy()
    outside = np.zeros(len(gdf), dtype=bool)
    outside[np.flatnonzero(present.to_numpy())] = distance > tolerance_m
    if not outside.any():
        return []
    params = {
        "level": level_term(level),
        "tolerance": round(tolerance_m / 1000, 1),
        "total": int(present.sum()),
    }
    if outside[present.to_numpy()].all():
        return [
            Problem(
                "validate.all_outside_region",
                "error",
                count=int(outside.sum()),
                examples=_examples(labels, outside),
                params=params,
            )
        ]
    return [
        Problem(
            "validate.outside_region",
            "warning",
            count=int(outside.sum()),
            examples=_examples(labels, outside),
            params=params,
        )
    ]


# --------------------------------------------------------------------------- hierarchy


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
        f"{names.get(code, code)} {children:,.0f} ≠ {total:,.0f} ({diff:+.1%})"
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
                "tolerance": f"{tolerance:.0%}",
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
            f"{labels[i]}: {people:,.0f} > {names.get(code, code)} {total:,.0f}"
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


# --------------------------------------------------------------------------- catalogue

