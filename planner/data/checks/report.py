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
    "MAX_EXAMPLES",
    "SEVERITIES",
    "Problem",
    "Term",
    "ValidationReport",
    "feature_labels",
    "field_term",
    "level_term",
]

#: The severities of an import's problems, most serious first.
SEVERITIES: tuple[str, ...] = ("error", "needs_input", "warning", "fixed")
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
