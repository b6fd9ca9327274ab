"""How good a plan is, in a planner's words rather than a solver's.

A solver reports a status, an objective, a bound and a gap. A planner needs one sentence:
is this the best plan there is, and if not, how far from it can it be? The solver's own
figures stay in the app's "how it was solved" expander and the report's appendix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from planner import format as fmt
from planner.i18n import t, value_label
from planner.plan.tables import TIER_LABEL

__all__ = ["plan_quality"]

#: Below this gap a plan is called the best there is (solver tolerances, not a choice).
PROVEN_BEST_GAP = 1e-6


def _gap_text(gap: float) -> str:
    """A gap as a reader writes it: at least 0.1 %, one decimal, rounded up so the
    sentence never promises more than the proof (0.48 % → "0.5%")."""
    tenths = max(1, -(-round(gap * 1000, 6) // 1))  # ceil to 0.1 %
    return fmt.share(tenths / 1000, 1)


def plan_quality(results: Sequence[Mapping[str, Any]], lang: str) -> tuple[str, str]:
    """The plan's quality as one sentence, and its level.

    Parameters
    ----------
    results
        The plan's tier results (``tier``, ``status``, ``gap``), as stored.
    lang
        Language of the sentence.

    Returns
    -------
    tuple
        ``(level, text)``: level ``best`` (every tier proven best), ``near`` (proven
        within a gap), ``stopped`` (a time limit stopped a tier: the gap is what was
        proven by then), or ``none`` (a tier found no plan).
    """
    if not results:
        return "none", t("quality.none", lang)
    for r in results:
        if r.get("status") not in ("optimal", "time_limit_feasible"):
            tier = value_label(TIER_LABEL, r.get("tier"), lang)
            return "none", t("quality.no_plan", lang, tier=tier)
    gaps = [fmt.figure(r.get("gap")) for r in results]
    worst = max((g for g in gaps if g is not None), default=None)
    stopped = any(r.get("status") == "time_limit_feasible" for r in results)
    if worst is None:
        return "stopped", t("quality.unknown", lang)
    if stopped:
        return "stopped", t("quality.stopped", lang, gap=_gap_text(worst))
    if worst <= PROVEN_BEST_GAP:
        return "best", t("quality.best", lang)
    return "near", t("quality.near", lang, gap=_gap_text(worst))
