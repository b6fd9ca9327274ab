"""Warm starts: a plan of a neighbouring scenario turned into a feasible start.

A sweep solves the same city for many station counts. The plan for 940 stations is a
good start for 1,170: keep its sites, open 230 more where they gain most. The start
only has to be *feasible* (exact count, required sites open, excluded sites closed,
group minima and maxima met); the solver is free to leave it, so a poor start costs
time, never optimality.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse

from planner.instance.distance import CostMatrix
from planner.models.rules import PolicyRules

__all__ = ["adapt_sites", "rules_hold"]

# Sites dropped or added per round, as a share of what is left to do. Smaller rounds
# re-measure the plan more often (each round is one nearest-two query).
_ROUND_SHARE = 0.25
# Sites priced per cover-rule swap on each side (the closed ones covering most units
# still short, the open ones those rules need least): a block of this many squared
# per rule at risk.
_SWAP_CANDIDATES = 200


def rules_hold(
    sites: np.ndarray, rules: PolicyRules, n_sites: int, p: int | None, p_mode: str = "exact"
) -> bool:
    """Whether opening exactly ``sites`` satisfies the count and every rule.

    Parameters
    ----------
    sites
        Open site indices (unique).
    rules
        Required and excluded sites, group minima and maxima, cover-rule minima.
    n_sites
        Number of candidate sites.
    p, p_mode
        Station count and whether it is exact (``"exact"``) or a cap (``"at_most"``);
        ``p=None``: no count.
    """
    sites = np.asarray(sites, dtype=np.int64)
    if sites.size and (sites.min() < 0 or sites.max() >= n_sites):
        return False
    if np.unique(sites).size != sites.size:
        return False
    if p is not None and (sites.size != p if p_mode == "exact" else sites.size > p):
        return False
    is_open = np.zeros(n_sites, dtype=bool)
    is_open[sites] = True
    if not is_open[rules.required].all() or is_open[rules.excluded].any():
        return False
    for g in rules.groups:
        count = int(is_open[g.sites].sum())
        if count < g.min_open or (g.max_open is not None and count > g.max_open):
            return False
    return all(rule.covered(is_open) >= rule.min_covered for rule in rules.cover_rules)


def adapt_sites(
    cm: CostMatrix,
    weights: np.ndarray,
    sites: np.ndarray,
    p: int,
    rules: PolicyRules,
    p_mode: str = "exact",
) -> np.ndarray | None:
    """Turn ``sites`` (a plan for another count) into a feasible start for ``p`` sites.

    Excluded sites are closed and required ones opened; then, in rounds, the open sites
    whose loss is smallest are closed (loss = extra weighted cost of their demand going
    to its second-nearest open site) or the closed sites with the largest gain are
    opened (gain = weighted saving over the listed pairs), never taking a group below
    its minimum or above its maximum. Groups still below their minimum get their best
    site first. Cover rules still short at the end are met, where greedy swaps can,
    by swapping sites that cover their missing units in.

    Parameters
    ----------
    cm
        The model's cost matrix (listed pairs; a distance source when it has one).
    weights
        Demand weights.
    sites
        Site indices of the neighbouring plan (any count; out-of-range ones ignored).
    p
        Target count.
    rules
        The model's policy rules.
    p_mode
        ``"exact"``: exactly ``p``; ``"at_most"``: only drop down to ``p``.

    Returns
    -------
    numpy.ndarray or None
        Sorted site indices satisfying :func:`rules_hold`, or ``None`` when the greedy
        repair cannot reach a feasible start (the solver then starts cold).
    """
    from planner.models.pairs import nearest_two

    m = cm.n_sites
    w = np.asarray(weights, dtype=np.float64)
    sites = np.asarray(sites, dtype=np.int64)
    is_open = np.zeros(m, dtype=bool)
    is_open[sites[(sites >= 0) & (sites < m)]] = True
    allowed = np.ones(m, dtype=bool)
    allowed[rules.excluded] = False
    is_open &= allowed
    is_open[rules.required] = True
    required = np.zeros(m, dtype=bool)
    required[rules.required] = True
    membership = _membership(rules, m)

    def counts() -> np.ndarray:
        return np.array([int(is_open[g.sites].sum()) for g in rules.groups], dtype=np.int64)

    # Groups below their minimum: their best closed sites, by gain.
    short = [g for g, c in zip(rules.groups, counts(), strict=True) if c < g.min_open]
    if short:
        _, d1, _, _ = nearest_two(cm, np.flatnonzero(is_open))
        gain = _gain(cm, w, d1)
        for g in short:
            closed = g.sites[allowed[g.sites] & ~is_open[g.sites]]
            need = g.min_open - int(is_open[g.sites].sum())
            if closed.size < need:
                return None
            is_open[closed[np.argsort(-gain[closed], kind="stable")[:need]]] = True

    target_high = p
    target_low = p if p_mode == "exact" else 0
    while int(is_open.sum()) > target_high:
        excess = int(is_open.sum()) - target_high
        open_sites = np.flatnonzero(is_open)
        s1, d1, _, d2 = nearest_two(cm, open_sites)
        hit = s1 >= 0
        extra = np.where(np.isfinite(d2[hit]), d2[hit] - d1[hit], _big(d1))
        loss = np.bincount(s1[hit], weights=w[hit] * extra, minlength=m)
        group_count = counts()
        batch = max(1, math.ceil(_ROUND_SHARE * excess))
        dropped = 0
        for j in open_sites[np.argsort(loss[open_sites], kind="stable")].tolist():
            if dropped == batch:
                break
            if required[j] or any(
                group_count[gi] <= rules.groups[gi].min_open for gi in membership.get(j, ())
            ):
                continue
            is_open[j] = False
            for gi in membership.get(j, ()):
                group_count[gi] -= 1
            dropped += 1
        if dropped == 0:
            return None
    while int(is_open.sum()) < target_low:
        deficit = target_low - int(is_open.sum())
        _, d1, _, _ = nearest_two(cm, np.flatnonzero(is_open))
        gain = _gain(cm, w, d1)
        group_count = counts()
        candidates = np.flatnonzero(allowed & ~is_open)
        batch = max(1, math.ceil(_ROUND_SHARE * deficit))
        added = 0
        for j in candidates[np.argsort(-gain[candidates], kind="stable")].tolist():
            if added == batch:
                break
            if any(
                rules.groups[gi].max_open is not None
                and group_count[gi] >= rules.groups[gi].max_open
                for gi in membership.get(j, ())
            ):
                continue
            is_open[j] = True
            for gi in membership.get(j, ()):
                group_count[gi] += 1
            added += 1
        if added == 0:
            return None
    if rules.cover_rules:
        _cover_swaps(cm, w, is_open, allowed, required, rules, membership)
    out = np.flatnonzero(is_open)
    return out if rules_hold(out, rules, m, p, p_mode) else None


def _cover_swaps(
    cm: CostMatrix,
    w: np.ndarray,
    is_open: np.ndarray,
    allowed: np.ndarray,
    required: np.ndarray,
    rules: PolicyRules,
    membership: dict[int, list[int]],
) -> None:
    """Swap sites until every cover rule holds, keeping the count (in place).

    Each round prices every pair (closed site ``j`` in, open site ``i`` out) of the
    :data:`_SWAP_CANDIDATES` closed sites covering most of the units still short and
    as many open sites the rules need least. Per rule, units covered after the swap =
    covered now + units ``j`` newly covers - units only ``i`` covers + units only
    ``i`` covers that ``j`` covers too (a sparse product, no loop over pairs). The
    pair leaving the fewest units short wins, then the one losing least distance; it
    is made only when the units short go down, so the loop ends. Stops where no swap
    helps (the caller's :func:`rules_hold` then refuses the plan and the solver
    starts cold).
    """
    from planner.models.pairs import nearest_two

    m = is_open.size
    cover_rules = rules.cover_rules
    groups = rules.groups
    for _ in range(sum(r.min_covered for r in cover_rules) + 1):
        hits = [r.cover @ is_open.astype(np.float64) for r in cover_rules]
        have = np.array([np.count_nonzero(h) for h in hits])
        need = np.array([r.min_covered for r in cover_rules])
        short = np.maximum(0, need - have)
        if not short.any():
            return
        group_count = np.array([int(is_open[g.sites].sum()) for g in groups], dtype=np.int64)
        open_sites = np.flatnonzero(is_open)
        closable = np.array(
            [
                i
                for i in open_sites.tolist()
                if not required[i]
                and all(group_count[gi] > groups[gi].min_open for gi in membership.get(i, ()))
            ],
            dtype=np.int64,
        )
        newly, lost, overlap = [], [], []
        for r, h in zip(cover_rules, hits, strict=True):
            newly.append(np.asarray(r.cover[h == 0].sum(axis=0)).ravel())
            sole = r.cover[h == 1]
            # Each singly covered unit's one open site, as a one-hot matrix.
            only = (sole @ sparse.diags_array(is_open.astype(np.float64))).tocsr()
            only.eliminate_zeros()
            owner = only.indices
            one_hot = sparse.csr_array(
                (np.ones(owner.size), (np.arange(owner.size), owner)), shape=(owner.size, m)
            )
            lost.append(np.bincount(owner, minlength=m))
            overlap.append((sole.T @ one_hot).tocsr())
        gain = sum(np.minimum(n, s) for n, s in zip(newly, short, strict=True))
        openable = np.flatnonzero(allowed & ~is_open & (gain > 0))
        openable = np.array(
            [
                j
                for j in openable[np.argsort(-gain[openable], kind="stable")].tolist()
                if all(
                    groups[gi].max_open is None or group_count[gi] < groups[gi].max_open
                    for gi in membership.get(j, ())
                )
            ][:_SWAP_CANDIDATES],
            dtype=np.int64,
        )
        if closable.size == 0 or openable.size == 0:
            return
        s1, d1, _, d2 = nearest_two(cm, open_sites)
        hit = s1 >= 0
        extra = np.where(np.isfinite(d2[hit]), d2[hit] - d1[hit], _big(d1))
        loss = np.bincount(s1[hit], weights=w[hit] * extra, minlength=m)
        # Rules some swap could take below their minimum; the others need no pricing.
        priced = [k for k in range(len(cover_rules)) if have[k] - need[k] < lost[k][closable].max()]
        # The open sites least needed by those rules (then least missed) may close.
        risk = sum((lost[k] for k in priced), np.zeros(m))
        closable = closable[np.lexsort((loss[closable], risk[closable]))][:_SWAP_CANDIDATES]
        after = np.zeros((openable.size, closable.size))
        for k in priced:
            covered = (
                have[k]
                + newly[k][openable][:, None]
                - lost[k][closable][None, :]
                + overlap[k][openable][:, closable].toarray()
            )
            after += np.maximum(0, need[k] - covered)
        best = np.lexsort((np.broadcast_to(loss[closable], after.shape).ravel(), after.ravel()))
        jj, ii = np.unravel_index(best[0], after.shape)
        if after[jj, ii] >= short.sum():
            return
        is_open[openable[jj]], is_open[closable[ii]] = True, False


def _membership(rules: PolicyRules, m: int) -> dict[int, list[int]]:
    """Groups of each site that is in any group."""
    out: dict[int, list[int]] = {}
    for gi, g in enumerate(rules.groups):
        for j in g.sites.tolist():
            if 0 <= j < m:
                out.setdefault(j, []).append(gi)
    return out


def _gain(cm: CostMatrix, w: np.ndarray, d1: np.ndarray) -> np.ndarray:
    """Weighted saving of opening each site alone, over the listed pairs."""
    rows, sites, cost = cm.rows, cm.indices, cm.data
    current = np.where(np.isfinite(d1[rows]), d1[rows], _big(d1))
    saving = np.clip(current - cost, 0.0, None) * w[rows]
    return np.bincount(sites, weights=saving, minlength=cm.n_sites)


def _big(d: np.ndarray) -> float:
    """A cost larger than any finite one in ``d`` (for rows no open site reaches)."""
    finite = d[np.isfinite(d)]
    return float(finite.max() * 10 + 1) if finite.size else 1e12
