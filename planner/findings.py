"""One message type for everything the planner finds: import checks, scenario checks
and solver diagnoses alike.

A :class:`Finding` is a catalogue key, the values that fill it and a severity. It is
plain data (stored with plans, sent between processes) and is rendered in a language
only when shown. Parameter values that are themselves messages (:class:`~planner.i18n.Text`)
are rendered in the same language; numbers are written by :mod:`planner.format`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from planner import format as fmt
from planner.i18n import DEFAULT_LANGUAGE, Text, t

__all__ = ["SEVERITIES", "Finding", "Severity"]

#: ``error``: cannot go on; ``needs_input``: the planner must choose (e.g. a coordinate
#: system); ``warning``: goes on, but look; ``fixed``: repaired and said so; ``info``.
Severity = Literal["error", "needs_input", "warning", "fixed", "info"]
SEVERITIES: tuple[str, ...] = ("error", "needs_input", "warning", "fixed", "info")


@dataclass(frozen=True)
class Finding:
    """One finding, as a message key plus the values that fill it.

    Parameters
    ----------
    key
        Catalogue key.
    params
        Template values. :class:`~planner.i18n.Text` values are translated; floats are
        written by :func:`planner.format.value`.
    severity
        One of :data:`SEVERITIES`.
    """

    key: str
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)
    severity: Severity = "error"

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The finding in plain words, in ``lang``."""
        return t(self.key, lang, **render_params(self.params, lang))


def render_params(params: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """Message values as shown in ``lang``: nested messages translated, floats written
    with separators and at most two decimals."""
    out: dict[str, Any] = {}
    for name, v in params.items():
        if isinstance(v, Text):
            v = v.message(lang)
        elif isinstance(v, float):
            v = fmt.value(v)
        out[name] = v
    return out
