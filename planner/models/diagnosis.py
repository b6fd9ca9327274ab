"""Solver findings in plain words: :class:`Diagnosis`, the rule checks and the elastic
explanation of an infeasible model.

Solver-agnostic on purpose (no PuLP): the UI and the report code render diagnoses
without a MIP stack.

Infeasibility policy
--------------------
Models do **not** raise for rules that cannot be met: they return status
``"infeasible"`` with one :class:`Diagnosis` per broken rule, so the UI can show all
problems at once. Arithmetic checks (:func:`check_site_rules`) run before the solver
so the common mistakes never reach it; when the solver still proves infeasibility,
models run an *elastic* version of the rules (each rule may be violated at a price)
and report the smallest violations that make the plan possible
(:func:`explain_violations`). :class:`~planner.i18n.PlannerError` is raised only for
malformed input (wrong array shapes, bad indices, bad options).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from planner.findings import Finding
from planner.i18n import DEFAULT_LANGUAGE, Text, t
from planner.models.rules import CoverRule, PolicyRules, SiteGroup

__all__ = ["Diagnosis", "Term", "check_site_rules", "explain_violations"]


class Diagnosis(Finding):
    """One finding about a solve: a :class:`~planner.findings.Finding` of a model.

    Parameters
    ----------
    key
        Catalogue key (``solve.*``).
    params
        Template values. :class:`Term` values are translated when rendering; floats are
        written by :func:`planner.format.value`.
    severity
        ``"error"`` (a rule that cannot be met), ``"warning"`` (the plan is valid but
        something was left out, e.g. uncoverable demand) or ``"info"``.
    """


#: The words a :class:`Term` translates -> their messages.
_TERM_KEY = {
    "station": "model.term.station",
    "centre": "model.term.centre",
    "township": "model.term.township",
    "community": "model.term.community",
    "village": "model.term.village",
    "county": "model.term.county",
    "group": "model.term.group",
    "households": "model.term.households",
    "tonnes": "model.term.tonnes",
}


class Term(Text):
    """A word inside a message parameter that is itself translated: the message
    ``model.term.<word>`` (station, centre, township, households, ...).

    Equal to its plain English word (``Term("township") == "township"``), so structured
    consumers and tests can compare it; a word the catalogue does not know (a group
    kind of the planner's own) is shown as it is.
    """

    __slots__ = ("word",)

    def __init__(self, word: str) -> None:
        super().__init__(_TERM_KEY.get(str(word), ""))
        self.word = str(word)

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The word in ``lang`` (the word itself when the catalogue lacks it)."""
        return t(self.key, lang) if self.key else self.word

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Term):
            return self.word == other.word
        if isinstance(other, str):
            return self.word == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.word)

    def __str__(self) -> str:
        return self.word

    def __repr__(self) -> str:
        return f"Term({self.word!r})"


def _disjoint_family(groups: Sequence[SiteGroup], key) -> list[SiteGroup]:
    """Greedy pairwise-disjoint subfamily (smallest groups first).

    Any disjoint family gives a *sound* bound (its groups' needs add up), so greedy is
    enough: a diagnosis found this way is always a real infeasibility; a missed one is
    still caught by the solver and the elastic diagnosis.
    """
    taken: set[int] = set()
    picked = []
    for g in sorted(groups, key=key):
        members = set(g.sites.tolist())
        if members & taken:
            continue
        taken |= members
        picked.append(g)
    return picked


def _common_kind(groups: Sequence[SiteGroup]) -> Term:
    kinds = {g.kind for g in groups}
    return Term(kinds.pop() if len(kinds) == 1 else "group")


def check_site_rules(
    n_sites: int,
    rules: PolicyRules,
    *,
    p: int | None = None,
    p_mode: Literal["exact", "at_most"] = "exact",
    unit: str = "station",
    demand: np.ndarray | None = None,
    capacity: np.ndarray | None = None,
    quantity: str = "households",
    single_source: bool | None = None,
) -> list[Diagnosis]:
    """Check the rules arithmetically; return one :class:`Diagnosis` per broken rule.

    The checks are sound (each reported problem really makes the model infeasible)
    but not complete: combinations only the solver can see are left to it.

    Parameters
    ----------
    n_sites
        Number of candidate sites.
    rules
        The policy rules.
    p, p_mode
        Number of sites to open, exactly or at most (``p=None``: free, as in set cover).
    unit
        ``"station"`` or ``"centre"``, for wording.
    demand
        Quantity every demand point must have served (households, tonnes/day); only
        used with ``capacity``. Pass only the demand that must be served.
    capacity
        Capacity per site (overrides ``rules.capacity``; used by the centre model).
    quantity
        ``"households"`` or ``"tonnes"``, for wording.
    single_source
        Whether a demand point may not be split across sites (default
        ``rules.single_source``).
    """
    rules.validate(n_sites)
    unit_t = Term(unit)
    out: list[Diagnosis] = []
    required, excluded = rules.required, rules.excluded
    allowed = np.ones(n_sites, dtype=bool)
    allowed[excluded] = False
    n_allowed = int(allowed.sum())

    both = np.intersect1d(required, excluded)
    if both.size:
        out.append(
            Diagnosis(
                "solve.required_and_excluded", {"count": int(both.size), "example": int(both[0])}
            )
        )
    if p is not None:
        if p < 1 and p_mode == "exact":
            out.append(Diagnosis("solve.p_not_positive", {"p": p, "unit": unit_t}))
        if p_mode == "exact" and p > n_allowed:
            out.append(
                Diagnosis(
                    "solve.p_exceeds_sites",
                    {
                        "p": p,
                        "available": n_allowed,
                        "excluded": int(excluded.size),
                        "unit": unit_t,
                    },
                )
            )
        if required.size > p:
            out.append(
                Diagnosis(
                    "solve.required_exceed_p",
                    {
                        "required": int(required.size),
                        "p": p,
                        "excess": int(required.size - p),
                        "unit": unit_t,
                    },
                )
            )

    is_required = np.zeros(n_sites, dtype=bool)
    is_required[required] = True

    def need_beyond_required(g: SiteGroup) -> int:
        # Required sites in the group already count towards its minimum.
        return max(0, g.min_open - int(is_required[g.sites].sum()))

    for g in rules.groups:
        total = int(g.sites.size)
        avail = int(allowed[g.sites].sum())
        n_req = int(is_required[g.sites].sum())
        base = {"group": g.name, "kind": Term(g.kind), "unit": unit_t}
        if g.max_open is not None and g.min_open > g.max_open:
            out.append(
                Diagnosis("solve.group_min_gt_max", {**base, "min": g.min_open, "max": g.max_open})
            )
        if g.min_open > avail:
            if total == 0:
                out.append(Diagnosis("solve.group_empty", {**base, "need": g.min_open}))
            elif avail == 0:
                out.append(
                    Diagnosis(
                        "solve.group_all_excluded", {**base, "need": g.min_open, "total": total}
                    )
                )
            else:
                out.append(
                    Diagnosis(
                        "solve.group_min_exceeds_candidates",
                        {**base, "need": g.min_open, "available": avail, "excluded": total - avail},
                    )
                )
        if g.max_open is not None and n_req > g.max_open:
            out.append(
                Diagnosis(
                    "solve.group_required_exceed_max",
                    {**base, "required": n_req, "max": g.max_open},
                )
            )

    min_groups = [g for g in rules.groups if g.min_open > 0 and g.sites.size]
    if p is not None and min_groups:
        family = _disjoint_family(min_groups, key=lambda g: (g.sites.size, -g.min_open))
        family = [g for g in family if need_beyond_required(g) > 0]
        need = int(required.size) + sum(need_beyond_required(g) for g in family)
        if family and need > p:
            out.append(
                Diagnosis(
                    "solve.group_mins_exceed_p",
                    {
                        "count": len(family),
                        "kind": _common_kind(family),
                        "need": need,
                        "p": p,
                        "excess": need - p,
                        "unit": unit_t,
                    },
                )
            )

    # Nested rules: e.g. 13 townships inside a county each need a station, county cap 10.
    for cap_group in rules.groups:
        if cap_group.max_open is None:
            continue
        members = set(cap_group.sites.tolist())
        inner = [g for g in min_groups if g is not cap_group and set(g.sites.tolist()) <= members]
        if not inner:
            continue
        family = _disjoint_family(inner, key=lambda g: (g.sites.size, -g.min_open))
        family = [g for g in family if need_beyond_required(g) > 0]
        if not family:
            continue
        need = int(is_required[cap_group.sites].sum()) + sum(
            need_beyond_required(g) for g in family
        )
        if need > cap_group.max_open:
            out.append(
                Diagnosis(
                    "solve.nested_mins_exceed_max",
                    {
                        "count": len(family),
                        "kind": _common_kind(family),
                        "need": need,
                        "max": cap_group.max_open,
                        "group": cap_group.name,
                        "excess": need - cap_group.max_open,
                        "unit": unit_t,
                    },
                )
            )

    # Caps can make "exactly p" impossible: the most that can open is bounded by any
    # disjoint family of capped groups plus the allowed sites outside it.
    cap_groups = [g for g in rules.groups if g.max_open is not None]
    if p is not None and p_mode == "exact" and cap_groups:
        family = _disjoint_family(cap_groups, key=lambda g: (g.max_open, g.sites.size))
        inside = np.zeros(n_sites, dtype=bool)
        most = 0
        for g in family:
            inside[g.sites] = True
            most += min(int(g.max_open), int(allowed[g.sites].sum()))
        most += int((allowed & ~inside).sum())
        if most < p:
            out.append(
                Diagnosis(
                    "solve.group_max_below_p",
                    {"most": most, "p": p, "short": p - most, "unit": unit_t},
                )
            )

    # Village coverage: even every allowed candidate open leaves too few units covered.
    for rule in rules.cover_rules:
        most = rule.covered(allowed)
        if most < rule.min_covered:
            out.append(
                Diagnosis(
                    "solve.cover_min_unreachable",
                    {
                        "group": rule.name,
                        "kind": Term(rule.kind),
                        "need": rule.min_covered,
                        "most": most,
                        "total": rule.n_units,
                        "short": rule.min_covered - most,
                    },
                )
            )

    cap = capacity if capacity is not None else rules.capacity_array(n_sites)
    if cap is not None and demand is not None and demand.size:
        qty = Term(quantity)
        total = float(np.sum(demand))
        caps = np.sort(cap[allowed])[::-1]
        n_open = n_allowed if p is None else min(p, n_allowed)
        supply = float(caps[:n_open].sum())
        if total > supply * (1 + 1e-9) + 1e-9:
            out.append(
                Diagnosis(
                    "solve.capacity_short",
                    {
                        "demand": total,
                        "supply": supply,
                        "short": total - supply,
                        "p": n_open,
                        "unit": unit_t,
                        "qty": qty,
                    },
                )
            )
        if rules.single_source if single_source is None else single_source:
            largest_cap = float(caps[0]) if caps.size else 0.0
            too_big = demand > largest_cap * (1 + 1e-9) + 1e-9
            if np.any(too_big):
                out.append(
                    Diagnosis(
                        "solve.demand_exceeds_capacity",
                        {
                            "count": int(too_big.sum()),
                            "largest": float(demand.max()),
                            "capacity": largest_cap,
                            "unit": unit_t,
                            "qty": qty,
                        },
                    )
                )
    return out


def explain_violations(
    violations: Sequence[tuple[str, dict[str, Any], float]],
    *,
    unit: str,
    quantity: str,
    p: int | None,
    households: np.ndarray,
) -> list[Diagnosis]:
    """The diagnoses of the rule violations an elastic model needed.

    Parameters
    ----------
    violations
        ``(kind, meta, amount)`` per slack of the elastic model: ``kind`` is
        ``"required"``, ``"excluded"`` (meta ``site``), ``"p_more"``, ``"p_fewer"``,
        ``"group_min"``, ``"group_max"`` (meta ``group``), ``"cover_min"`` (meta
        ``rule``, a :class:`~planner.models.rules.CoverRule`: units short of its
        minimum), ``"capacity"`` (meta ``site``) or ``"unserved"`` (meta ``row``);
        ``amount`` the slack's value.
    unit, quantity
        ``"station"``/``"centre"`` and ``"households"``/``"tonnes"``, for wording.
    p
        The model's site count.
    households
        Quantity per demand point (the unserved amount is summed from it).
    """
    unit_t = Term(unit)
    out: list[Diagnosis] = []
    by_kind: dict[str, list[tuple[dict[str, Any], float]]] = {}
    for kind, meta, v in violations:
        if v > 1e-6:
            by_kind.setdefault(kind, []).append((meta, v))
    for kind, key in (
        ("required", "solve.elastic_required"),
        ("excluded", "solve.elastic_excluded"),
    ):
        items = by_kind.get(kind, [])
        if items:
            out.append(
                Diagnosis(
                    key,
                    {"count": len(items), "example": items[0][0]["site"]},
                )
            )
    for _, v in by_kind.get("p_more", []):
        out.append(Diagnosis("solve.elastic_p_more", {"amount": round(v), "p": p, "unit": unit_t}))
    for _, v in by_kind.get("p_fewer", []):
        assert p is not None
        out.append(
            Diagnosis(
                "solve.elastic_p_fewer",
                {"amount": round(v), "p": p, "opened": p - round(v), "unit": unit_t},
            )
        )
    for meta, v in by_kind.get("group_min", []):
        g: SiteGroup = meta["group"]
        out.append(
            Diagnosis(
                "solve.elastic_group_min",
                {
                    "group": g.name,
                    "min": g.min_open,
                    "amount": round(v),
                    "unit": unit_t,
                    "kind": Term(g.kind),
                },
            )
        )
    for meta, v in by_kind.get("group_max", []):
        g = meta["group"]
        out.append(
            Diagnosis(
                "solve.elastic_group_max",
                {
                    "group": g.name,
                    "max": g.max_open,
                    "amount": round(v),
                    "unit": unit_t,
                    "kind": Term(g.kind),
                },
            )
        )
    for meta, v in by_kind.get("cover_min", []):
        rule: CoverRule = meta["rule"]
        short = round(v)
        if short < 1:
            continue  # a fraction of a village: solver tolerance, not a shortfall
        out.append(
            Diagnosis(
                "solve.elastic_cover_min",
                {
                    "group": rule.name,
                    "kind": Term(rule.kind),
                    "need": rule.min_covered,
                    "total": rule.n_units,
                    "covered": rule.min_covered - short,
                    "amount": short,
                    "unit": unit_t,
                },
            )
        )
    cap_items = by_kind.get("capacity", [])
    if cap_items:
        out.append(
            Diagnosis(
                "solve.elastic_capacity",
                {
                    "amount": float(sum(v for _, v in cap_items)),
                    "count": len(cap_items),
                    "unit": unit_t,
                    "qty": Term(quantity),
                },
            )
        )
    unserved = by_kind.get("unserved", [])
    if unserved:
        rows = [meta["row"] for meta, _ in unserved]
        out.append(
            Diagnosis(
                "solve.elastic_unserved",
                {
                    "count": len(rows),
                    "amount": float(households[rows].sum()),
                    "example": rows[0],
                    "qty": Term(quantity),
                },
            )
        )
    return out
