"""What is wrong with a scenario, as planner findings, and how a rejected value is quoted.

Every problem a scenario check finds (:meth:`planner.scenario.Scenario.validate`, the
strict reading of :meth:`~planner.scenario.Scenario.from_dict`, the region checks of
:mod:`planner.scenario.checks`, a sweep definition) is a :class:`ScenarioProblem`: a
:class:`planner.findings.Finding` whose parameters name the field by its dotted path
and quote the value as the planner gave it (:func:`shown`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from planner.findings import Finding
from planner.i18n import DEFAULT_LANGUAGE, PlannerError, t

__all__ = ["ScenarioProblem", "shown"]

#: Longest rendering of a rejected value in a message.
_SHOWN_CHARS = 60


@dataclass(frozen=True)
class ScenarioProblem(Finding):
    """One invalid parameter: a message key, its values and a severity.

    ``severity`` is ``error`` (the scenario cannot run) or ``warning`` (it can, but the
    run may find no plan, or a value looks like a slip); see
    :mod:`planner.scenario.checks`.

    Unlike a plain :class:`~planner.findings.Finding`, a number in ``params`` is written
    as it was given (``-0.001`` stays ``-0.001``, not rounded to two decimals): the
    message repeats the value the planner typed. Values that are messages
    (:class:`~planner.i18n.Text`) are translated as usual.
    """

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The message in ``lang``."""
        return t(self.key, lang, **self.params)


def _as_error(problems: Sequence[ScenarioProblem]) -> PlannerError:
    """``scenario.invalid`` listing ``problems``."""
    return PlannerError("scenario.invalid", details=problems)


def shown(value: Any) -> str:
    """A value as a planner would write it, short enough for a one-line message.

    Numbers as typed (``150``, ``0.5``, ``1,000,000``, ``nan``), text in quotes (so
    ``"false"`` is visibly not ``false``), lists and mappings abridged.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        # str() of an int over 4,300 digits raises; the order of magnitude says enough
        return f"{value:,}" if abs(value) < 10**30 else f"~10^{int(math.log10(abs(value)))}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:,.6g}"
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, default=repr)
        except (TypeError, ValueError, RecursionError):
            text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"
