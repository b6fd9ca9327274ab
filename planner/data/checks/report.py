"""The import's findings and the report a planner reads after an import.

A :class:`Problem` is a :class:`planner.findings.Finding` (a message key, its values
and a severity) that also says how many features it concerns and names a few of them,
as the planner knows them (codes, names). :class:`ValidationReport` collects the
problems of one import, most serious first, and renders them in Chinese or English.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from planner import format as fmt
from planner.findings import Finding
from planner.i18n import DEFAULT_LANGUAGE, t

__all__ = [
    "FIELD_KEYS",
    "LEVEL_KEYS",
    "MAX_EXAMPLES",
    "SEVERITIES",
    "SEVERITY_KEYS",
    "SITE_VALUE_KEYS",
    "Problem",
    "Term",
    "ValidationReport",
    "feature_labels",
    "field_term",
    "level_term",
]

#: The severities of an import's problems, most serious first.
SEVERITIES: tuple[str, ...] = ("error", "needs_input", "warning", "fixed")
#: Severity -> its label, the first word of a report line.
SEVERITY_KEYS: dict[str, str] = {
    "error": "validate.severity.error",
    "needs_input": "validate.severity.needs_input",
    "warning": "validate.severity.warning",
    "fixed": "validate.severity.fixed",
}
#: Layer (:data:`~planner.data.checks.schema.LEVELS`) -> the planner's word for it.
LEVEL_KEYS: dict[str, str] = {
    "counties": "validate.level.counties",
    "townships": "validate.level.townships",
    "communities": "validate.level.communities",
    "sites": "validate.level.sites",
    "zones": "validate.level.zones",
    "pois": "validate.level.pois",
}
#: Column (:data:`~planner.data.checks.schema.COLUMNS`, and the coordinates of a table
#: of points) -> the planner's word for it.
FIELD_KEYS: dict[str, str] = {
    "code": "validate.field.code",
    "name": "validate.field.name",
    "population": "validate.field.population",
    "households": "validate.field.households",
    "urban_share": "validate.field.urban_share",
    "county_code": "validate.field.county_code",
    "township_code": "validate.field.township_code",
    "kind": "validate.field.kind",
    "geometry_quality": "validate.field.geometry_quality",
    "site_id": "validate.field.site_id",
    "tier": "validate.field.tier",
    "status": "validate.field.status",
    "capacity": "validate.field.capacity",
    "address": "validate.field.address",
    "operator": "validate.field.operator",
    "floor_area_m2": "validate.field.floor_area_m2",
    "licence": "validate.field.licence",
    "fire_safety": "validate.field.fire_safety",
    "in_use": "validate.field.in_use",
    "standardised": "validate.field.standardised",
    "lon": "validate.field.lon",
    "lat": "validate.field.lat",
}
#: Each value of the sites layer's kind and answers
#: (:data:`~planner.data.checks.schema.SITE_KIND_VALUES`,
#: :data:`~planner.data.checks.schema.SITE_VALUES`) -> the planner's word for it.
SITE_VALUE_KEYS: dict[str, dict[str, str]] = {
    "kind": {"recycling_station": "map.station", "sorting_centre": "map.centre"},
    "licence": {
        "yes": "validate.value.licence.yes",
        "no": "validate.value.licence.no",
        "unknown": "validate.value.unknown",
    },
    "fire_safety": {
        "pass": "validate.value.fire_safety.pass",
        "fail": "validate.value.fire_safety.fail",
        "unknown": "validate.value.unknown",
    },
    "in_use": {
        "yes": "validate.value.in_use.yes",
        "no": "validate.value.in_use.no",
        "unknown": "validate.value.unknown",
    },
    "standardised": {
        "yes": "validate.value.standardised.yes",
        "no": "validate.value.standardised.no",
        "unknown": "validate.value.unknown",
    },
}
#: Examples shown with a problem at most.
MAX_EXAMPLES = 5


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
    """A message value as shown in ``lang``: terms translated, whole numbers with
    thousands separators, other numbers with up to six significant digits, lists joined."""
    if isinstance(value, Term):
        return value.render(lang)
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, np.integer)):
        return fmt.count(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):,.6g}"
    if isinstance(value, (list, tuple)):
        sep = "、" if lang == "zh" else ", "
        return sep.join(str(_render_value(v, lang)) for v in value)
    return value


@dataclass(frozen=True, init=False)
class Problem(Finding):
    """One finding of an import: a :class:`~planner.findings.Finding` with how many
    features it concerns and a few of them.

    Parameters
    ----------
    key
        Message key (``validate.*`` or ``io.*``, or a key of another module such as
        ``crs.*``).
    severity
        One of :data:`SEVERITIES`: ``"error"``, ``"needs_input"``, ``"warning"``,
        ``"fixed"``.
    count
        How many features, rows or columns the problem concerns.
    examples
        A few of them, as the planner knows them (codes, names, column names).
    params
        Values for the message; ``details`` holds the original library error text.
    """

    count: int = 1
    examples: tuple[str, ...] = ()

    def __init__(
        self,
        key: str,
        severity: str,
        count: int = 1,
        examples: Iterable[Any] = (),
        params: Mapping[str, Any] | None = None,
    ) -> None:
        if severity not in SEVERITIES:
            raise ValueError(f"unknown severity {severity!r}")
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "severity", severity)
        object.__setattr__(self, "count", int(count))
        object.__setattr__(self, "examples", tuple(str(e) for e in examples))
        object.__setattr__(self, "params", dict(params or {}))

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The message in ``lang`` (without the technical details)."""
        values = {k: _render_value(v, lang) for k, v in self.params.items() if k != "details"}
        values.setdefault("count", _render_value(self.count, lang))
        values["examples"] = _examples_text(self.examples, lang)
        sep = "、" if lang == "zh" else ", "
        values["examples_plain"] = sep.join(self.examples[:MAX_EXAMPLES])
        key = _ONE.get(self.key, self.key) if self.count == 1 else self.key
        return t(key, lang, **values)

    @property
    def details(self) -> str | None:
        """The original error text of a library, if any."""
        details = self.params.get("details")
        return None if details in (None, "") else str(details)

    @property
    def blocking(self) -> bool:
        """Whether this problem stops the import."""
        return self.severity in ("error", "needs_input")


#: A message whose English agrees with the count ("1 code is", "2 codes are") -> its
#: text for one; the key itself holds the text for any other number (the Chinese of
#: both is the same).
_ONE = {
    "io.zip_no_shp": "io.zip_no_shp.one",
    "io.coords_not_numeric": "io.coords_not_numeric.one",
    "io.wkt_invalid": "io.wkt_invalid.one",
    "io.total_rows_dropped": "io.total_rows_dropped.one",
    "io.population_duplicates": "io.population_duplicates.one",
    "io.ambiguous_names": "io.ambiguous_names.one",
    "io.population_no_match": "io.population_no_match.one",
    "io.population_unmatched_rows": "io.population_unmatched_rows.one",
    "io.population_missing_features": "io.population_missing_features.one",
    "validate.site_county_unknown": "validate.site_county_unknown.one",
    "validate.site_county_unknown_crs": "validate.site_county_unknown_crs.one",
    "validate.default_value_some": "validate.default_value_some.one",
    "validate.default_value": "validate.default_value.one",
    "validate.code_missing": "validate.code_missing.one",
    "validate.code_not_digits": "validate.code_not_digits.one",
    "validate.code_wrong_length": "validate.code_wrong_length.one",
    "validate.code_scientific": "validate.code_scientific.one",
    "validate.code_truncated": "validate.code_truncated.one",
    "validate.duplicate_codes": "validate.duplicate_codes.one",
    "validate.duplicate_merged": "validate.duplicate_merged.one",
    "validate.name_missing": "validate.name_missing.one",
    "validate.ids_generated": "validate.ids_generated.one",
    "validate.number_not_numeric": "validate.number_not_numeric.one",
    "validate.number_negative": "validate.number_negative.one",
    "validate.number_missing": "validate.number_missing.one",
    "validate.number_ambiguous": "validate.number_ambiguous.one",
    "validate.number_scientific": "validate.number_scientific.one",
    "validate.number_implausible": "validate.number_implausible.one",
    "validate.number_rounded": "validate.number_rounded.one",
    "validate.population_above_parent": "validate.population_above_parent.one",
    "validate.population_above_estimate": "validate.population_above_estimate.one",
    "validate.control_chars": "validate.control_chars.one",
    "validate.urban_share_out_of_range": "validate.urban_share_out_of_range.one",
    "validate.population_sum_mismatch": "validate.population_sum_mismatch.one",
    "validate.unknown_status": "validate.unknown_status.one",
    "validate.unknown_tier": "validate.unknown_tier.one",
    "validate.unknown_site_value": "validate.unknown_site_value.one",
    "validate.kind_tier_mismatch": "validate.kind_tier_mismatch.one",
    "validate.tier_from_kind": "validate.tier_from_kind.one",
    "validate.duplicate_sites": "validate.duplicate_sites.one",
    "validate.kind_inferred": "validate.kind_inferred.one",
    "validate.unknown_quality": "validate.unknown_quality.one",
    "validate.geometry_empty": "validate.geometry_empty.one",
    "validate.geometry_invalid_fixed": "validate.geometry_invalid_fixed.one",
    "validate.geometry_invalid": "validate.geometry_invalid.one",
    "validate.geometry_wrong_type": "validate.geometry_wrong_type.one",
    "validate.geometry_simplified": "validate.geometry_simplified.one",
    "validate.points_only": "validate.points_only.one",
    "validate.lonlat_swapped": "validate.lonlat_swapped.one",
    "validate.xy_swapped": "validate.xy_swapped.one",
    "validate.coords_out_of_range": "validate.coords_out_of_range.one",
    "validate.outside_region": "validate.outside_region.one",
    "validate.all_outside_region": "validate.all_outside_region.one",
    "validate.at_sea": "validate.at_sea.one",
    "validate.code_parent_mismatch": "validate.code_parent_mismatch.one",
    "validate.parent_not_found": "validate.parent_not_found.one",
    "validate.parent_derived": "validate.parent_derived.one",
    "validate.parent_from_layer": "validate.parent_from_layer.one",
    "validate.parent_by_location": "validate.parent_by_location.one",
    "validate.parent_location_missing": "validate.parent_location_missing.one",
    "ui.import.quality_set": "ui.import.quality_set.one",
    "ui.import.status_default": "ui.import.status_default.one",
    "ui.import.population_kept": "ui.import.population_kept.one",
    "ui.import.children_orphaned": "ui.import.children_orphaned.one",
    "ui.import.planning_needs_population": "ui.import.planning_needs_population.one",
    "ui.import.population_official": "ui.import.population_official.one",
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
            f"{t(SEVERITY_KEYS[p.severity], lang)}{colon}{p.message(lang)}" for p in self.problems
        ]

    def to_frame(self, lang: str | None = None) -> pd.DataFrame:
        """A table for display: severity, message, count, examples, details."""
        lang = lang or self.lang
        sep = "、" if lang == "zh" else ", "
        columns = [
            t(key, lang)
            for key in (
                "validate.col.severity",
                "validate.col.message",
                "validate.col.count",
                "validate.col.examples",
                "validate.col.details",
            )
        ]
        rows = [
            (
                t(SEVERITY_KEYS[p.severity], lang),
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
    """The planner's word for a layer (区县, 乡镇（街道）, ...); an unknown layer as it is."""
    return Term(LEVEL_KEYS.get(level, level))


def field_term(name: str) -> Term:
    """The planner's word for a column; an unknown column as it is."""
    return Term(FIELD_KEYS.get(name, name))


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


def _flagged(
    key: str,
    severity: str,
    labels: Sequence[str],
    mask: np.ndarray,
    params: Mapping[str, Any] | None = None,
) -> Problem:
    """A problem about the features where ``mask`` is true, a few of them as examples."""
    return Problem(
        key, severity, count=int(mask.sum()), examples=_examples(labels, mask), params=params
    )
