r"""p-median swap search: good plans fast for the presolve of :class:`~planner.models.PMedian`.

:func:`median_start` spreads the first plan by weighted D² seeding; :func:`median_search`
improves it by the fast interchange of Whitaker (1983) in the form of Resende &
Werneck (2007): ``gain``/``loss``/``extra`` tables over the sparse pairs within each
row's second-nearest open site, kept up to date row by row after each swap, exact
costs from the distance source. See :func:`median_search`. Nothing here proves
anything: the presolve pairs the plan found here with a Lagrangian *bound*
(:mod:`planner.models.lagrangian`), and only that pair makes a claim about optimality.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from planner.instance.distance import CostMatrix
from planner.models.pairs import PairSource, Triplets, nearest_two

__all__ = ["MedianPlan", "median_search", "median_start"]

# Swap profits are summed in a dense (candidate x open site) array up to this size,
# by sorting the sparse keys beyond it.
_DENSE_SWAPS = 4_000_000


@dataclass(frozen=True)
class MedianPlan:
    """A p-median plan found by :func:`median_search`.

    Attributes
    ----------
    sites
        Open sites, sorted.
    cost
        ``sum_i w_i d_i`` with ``d_i`` the exact cost to the nearest open site (``inf``
        when some weighted row reaches no open site).
    distance
        ``d_i`` per demand row.
    swaps
        Improving swaps applied.
    """

    sites: np.ndarray
    cost: float
    distance: np.ndarray
    swaps: int = 0


def median_start(
    cm: CostMatrix,
    weights: np.ndarray,
    p: int,
    *,
    allowed: np.ndarray,
    required: np.ndarray,
    seed: int = 0,
) -> np.ndarray | None:
    """A spread-out first plan: weighted D² seeding (k-means++ on the candidate sites).

    Required sites open first. Then, ``p - |required|`` times, a demand row is drawn
    with probability proportional to ``w_i d_i^2`` (``d_i`` = cost to its nearest open
    site so far; rows no open site reaches go first) and its nearest closed allowed
    site opens. Seeded, so runs are reproducible.

    Returns
    -------
    numpy.ndarray or None
        ``p`` site indices, or ``None`` when fewer than ``p`` sites are allowed.
    """
    n, m = cm.n_demand, cm.n_sites
    if int(allowed.sum()) < p:
        return None
    rng = np.random.default_rng(seed)
    is_open = np.zeros(m, dtype=bool)
    d = np.full(n, np.inf)
    w = np.asarray(weights, dtype=np.float64)

    def open_site(j: int) -> None:
        is_open[j] = True
        np.minimum(d, cm.columns(np.array([j]))[:, 0], out=d)

    for j in np.asarray(required, dtype=np.int64).tolist():
        if not is_open[j]:
            open_site(j)
    live = np.flatnonzero(w > 0)
    if live.size == 0:
        live = np.arange(n)
        w = np.ones(n)
    while int(is_open.sum()) < p:
        far = live[~np.isfinite(d[live])]
        if far.size:
            pr = w[far] / w[far].sum()
            i = int(rng.choice(far, p=pr))
        else:
            score = w[live] * d[live] ** 2
            total = float(score.sum())
            i = int(rng.choice(live, p=score / total)) if total > 0 else int(rng.choice(live))
        j = _nearest_closed(cm, i, is_open, allowed)
        if j < 0:
            # Nothing closed near this row: any allowed closed site keeps the count.
            j = int(np.flatnonzero(allowed & ~is_open)[0])
        open_site(j)
    return np.flatnonzero(is_open)


def _nearest_closed(cm: CostMatrix, i: int, is_open: np.ndarray, allowed: np.ndarray) -> int:
    sites, _ = cm.row(i)
    ok = sites[allowed[sites] & ~is_open[sites]]
    if ok.size:
        return int(ok[0])
    if cm.source is None:
        return -1
    k = int(min(cm.n_sites, max(2 * sites.size, 16)))
    while True:
        rad = cm.source.kth_distance(np.array([i]), np.array([k]))
        _, j, dist = cm.source.within(np.array([i]), rad)
        j = j[np.argsort(dist, kind="stable")]
        ok = j[allowed[j] & ~is_open[j]]
        if ok.size or k >= cm.n_sites or not np.isfinite(rad[0]):
            return int(ok[0]) if ok.size else -1
        k = min(cm.n_sites, 4 * k)


def median_search(
    cm: CostMatrix,
    weights: np.ndarray,
    start: np.ndarray,
    *,
    required: np.ndarray,
    candidates: np.ndarray | None = None,
    seconds: float | None = None,
    pair_budget: int = 6_000_000,
    seed: int = 0,
) -> MedianPlan:
    r"""Improve a p-median plan by swaps (fast interchange on sparse pairs).

    A *swap* closes open site ``r`` and opens closed site ``j``. With ``d1_i, d2_i`` the
    costs to the nearest and second-nearest open site and ``a_i`` the nearest, the
    change in cost is ``-profit(j, r)`` with (Whitaker 1983; Resende & Werneck 2007)

    .. math::

        \text{profit}(j, r) = \underbrace{\sum_i w_i (d1_i - d_{ij})^+}_{gain(j)}
        - \underbrace{\sum_{i: a_i = r} w_i (d2_i - d1_i)}_{loss(r)}
        + \underbrace{\sum_{i: a_i = r,\ d_{ij} < d2_i} w_i (d2_i - \max(d_{ij}, d1_i))}
          _{extra(j, r)}

    which needs only the pairs with ``d_ij < d2_i``. They are fetched within each
    row's current ``d2_i`` for the ``candidates`` sites; pairs that a later swap would
    need but that lie beyond the fetched radius are simply missing, which can only
    *under*-estimate a profit, so every swap taken improves the plan. With few open
    sites the three tables are kept (``extra`` dense) and updated only for the rows
    whose two nearest open sites changed (:class:`_SwapTable`); rows whose second
    nearest moved beyond their fetched radius are fetched again before the search
    stops. With many open sites the tables are rebuilt each step from the (short)
    pairs, and a step applies a batch of the best swaps that touch disjoint rows, so
    their profits add up (:func:`_independent`). Every step is checked against the
    exact cost, recomputed from the nearest two open sites; if a batch does not lower
    it, only the best swap is applied.

    Parameters
    ----------
    cm
        Cost matrix with a distance source (excluded sites dropped).
    weights
        ``w_i``; rows with weight 0 are ignored.
    start
        Initial open sites (``p`` of them); must include ``required``.
    required
        Sites that never close.
    candidates
        Bool mask of the sites that may open (default: every site with a pair). When
        the pairs within ``d2`` would exceed ``pair_budget``, a seeded random subset of
        the candidates (plus the open sites) is used instead, so memory stays bounded.
    seconds
        Time budget (``None``: until no swap improves).
    pair_budget
        Most pairs fetched at once (see ``candidates``).
    seed
        Seed of the candidate thinning.

    Returns
    -------
    MedianPlan
        The plan, with its exact cost.
    """
    t0 = time.monotonic()
    w = np.asarray(weights, dtype=np.float64)
    rows = np.flatnonzero(w > 0)
    m = cm.n_sites
    sites = np.unique(np.asarray(start, dtype=np.int64))
    is_required = np.zeros(m, dtype=bool)
    is_required[np.asarray(required, dtype=np.int64)] = True
    pairs = PairSource(cm)
    allow = np.ones(m, dtype=bool) if candidates is None else np.asarray(candidates, bool).copy()
    rng = np.random.default_rng(seed)

    def expired() -> bool:
        return seconds is not None and time.monotonic() - t0 > seconds

    def state(
        open_sites: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
        s1, d1, s2, d2 = nearest_two(cm, open_sites)
        big = _big_cost(d1, d2)
        d1c = np.where(np.isfinite(d1), d1, big)
        # Rows without a second open site keep +inf: nothing is "beyond" for them.
        return s1, d1c, s2, d2, float(np.dot(w[rows], d1c[rows]))

    def capped(d2: np.ndarray, d1: np.ndarray) -> np.ndarray:
        return np.where(np.isfinite(d2), d2, _big_cost(d1, d2))

    s1, d1, s2, d2, cost = state(sites)
    swaps = 0
    while not expired():
        cand = allow.copy()
        cand[sites] = True
        reach = np.where(np.isfinite(d2), d2, d1)
        pr, cand = _fetch_pairs(pairs, rows, reach[rows], cand, pair_budget, rng, sites)
        fetched = reach.copy()
        table = None
        if m * sites.size <= _DENSE_SWAPS:
            table = _SwapTable(pr, w, m, sites, s1, d1, capped(d2, d1), rows)
        improved_round = False
        while not expired():
            if table is not None:
                move = table.best(is_required, cost)
            else:
                move = _best_swaps(
                    pr, w, s1, d1, capped(d2, d1), rows, sites, is_required, m, cost, s2
                )
            if not move and table is not None:
                # Rows whose second-nearest site moved away since their pairs were
                # fetched may miss pairs: fetch just those again and go on.
                stale = rows[np.isfinite(d2[rows]) & (d2[rows] > fetched[rows])]
                if stale.size:
                    now = cand.copy()
                    now[sites] = True
                    table.refill(stale, pairs.within(stale, d2[stale], now))
                    fetched[stale] = d2[stale]
                    continue
            if not move:
                break
            trial = sites.copy()
            for j, r in move:
                trial[r] = j
            s1n, d1n, s2n, d2n, new = state(trial)
            tol = 1e-9 * max(1.0, abs(cost))
            if new >= cost - tol and len(move) > 1:
                trial = sites.copy()
                trial[move[0][1]] = move[0][0]
                move = move[:1]
                s1n, d1n, s2n, d2n, new = state(trial)
            if new >= cost - tol:
                break
            if table is not None:
                table.apply(trial, s1n, d1n, capped(d2n, d1n))
            sites, s1, d1, s2, d2, cost = trial, s1n, d1n, s2n, d2n, new
            swaps += len(move)
            improved_round = True
        if not improved_round or table is not None:
            break  # the table refetched what went stale; without it, a new round does
    _, dist = cm.nearest_open(sites)
    exact = float(np.dot(w[rows], dist[rows]))
    return MedianPlan(np.sort(sites), exact, dist, swaps)


class _SwapTable:
    """``gain``, ``loss`` and ``extra`` of the fast interchange, kept up to date.

    After a swap only the rows whose nearest or second-nearest open site changed
    contribute differently: a site that opened lies beyond ``d2`` of every other row
    (or it would be among its two nearest), and a site that closed was neither of
    their two nearest. So those rows' old contributions are taken out and their new
    ones added, touching a few per cent of the pairs (Resende & Werneck 2007). Used
    when ``extra`` fits a dense (candidate x open slot) array.
    """

    def __init__(
        self,
        pr: Triplets,
        w: np.ndarray,
        m: int,
        sites: np.ndarray,
        s1: np.ndarray,
        d1: np.ndarray,
        d2: np.ndarray,
        rows: np.ndarray,
    ) -> None:
        self.w, self.m, self.k = w, m, sites.size
        order = np.argsort(pr.rows, kind="stable")
        self.i, self.j, self.d = pr.rows[order], pr.sites[order], pr.cost[order]
        self.indptr = np.zeros(w.size + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.i, minlength=w.size), out=self.indptr[1:])
        self.rows = rows
        self.live = np.zeros(w.size, dtype=bool)
        self.live[rows] = True
        self.sites = sites.copy()
        self.pos = np.full(m, -1, dtype=np.int64)
        self.pos[sites] = np.arange(self.k)
        self.s1, self.d1, self.d2 = s1.copy(), d1.copy(), d2.copy()
        self.gain = np.zeros(m)
        self.loss = np.zeros(self.k)
        self.extra = np.zeros(m * self.k)
        self._add(rows, 1.0)

    def _add(self, rws: np.ndarray, sign: float) -> None:
        if rws.size == 0:
            return
        w, s1, d1, d2 = self.w, self.s1, self.d1, self.d2
        self.loss += sign * np.bincount(
            self.pos[s1[rws]], w[rws] * (d2[rws] - d1[rws]), minlength=self.k
        )
        start = self.indptr[rws]
        count = self.indptr[rws + 1] - start
        total = int(count.sum())
        if total == 0:
            return
        at = np.repeat(start - np.cumsum(count) + count, count) + np.arange(total)
        i, j, d = self.i[at], self.j[at], self.d[at]
        wi, d1i, d2i = w[i], d1[i], d2[i]
        # Open sites are never nearer than d1 (and only s1 is nearer than d2).
        near = d < d1i
        self.gain += sign * np.bincount(j[near], wi[near] * (d1i[near] - d[near]), minlength=self.m)
        mid = (d < d2i) & (j != s1[i])
        key = j[mid].astype(np.int64) * self.k + self.pos[s1[i[mid]]]
        val = wi[mid] * (d2i[mid] - np.maximum(d[mid], d1i[mid]))
        self.extra += sign * np.bincount(key, val, minlength=self.m * self.k)

    def apply(self, sites: np.ndarray, s1: np.ndarray, d1: np.ndarray, d2: np.ndarray) -> None:
        """Move to the plan ``sites`` (same slots) with its nearest-two arrays."""
        changed = self.live & ((s1 != self.s1) | (d1 != self.d1) | (d2 != self.d2))
        rws = np.flatnonzero(changed)
        self._add(rws, -1.0)
        self.pos[self.sites] = -1
        self.sites = sites.copy()
        self.pos[sites] = np.arange(self.k)
        self.s1, self.d1, self.d2 = s1.copy(), d1.copy(), d2.copy()
        self._add(rws, 1.0)

    def refill(self, rws: np.ndarray, fresh: Triplets) -> None:
        """Replace the pairs of rows ``rws`` (ascending) by ``fresh``."""
        self._add(rws, -1.0)
        drop = np.zeros(self.w.size, dtype=bool)
        drop[rws] = True
        keep = ~drop[self.i]
        i = np.concatenate([self.i[keep], fresh.rows])
        j = np.concatenate([self.j[keep], fresh.sites])
        d = np.concatenate([self.d[keep], fresh.cost])
        order = np.argsort(i, kind="stable")
        self.i, self.j, self.d = i[order], j[order], d[order]
        np.cumsum(np.bincount(self.i, minlength=self.w.size), out=self.indptr[1:])
        self._add(rws, 1.0)

    def best(self, is_required: np.ndarray, cost: float) -> list[tuple[int, int]]:
        """The best improving swap, or a batch with distinct sites (``k // 10`` at most)."""
        loss = np.where(is_required[self.sites], np.inf, self.loss)
        profit = self.gain[:, None] - loss[None, :] + self.extra.reshape(self.m, self.k)
        profit[self.sites] = -np.inf
        flat = profit.ravel()
        tol = 1e-9 * max(1.0, abs(cost))
        top = min(flat.size, max(64, 4 * self.k))
        cand = np.argpartition(-flat, top - 1)[:top]
        cand = cand[np.isfinite(flat[cand]) & (flat[cand] > tol)]
        cand = cand[np.argsort(-flat[cand], kind="stable")]
        return _distinct(cand // self.k, cand % self.k, max(1, self.k // 10))


def _distinct(cj: np.ndarray, cr: np.ndarray, limit: int) -> list[tuple[int, int]]:
    """Greedy batch of swaps, best first, no site in or slot out used twice."""
    chosen: list[tuple[int, int]] = []
    used_j: set[int] = set()
    used_r: set[int] = set()
    for a, b in zip(cj.tolist(), cr.tolist(), strict=True):
        if a in used_j or b in used_r:
            continue
        chosen.append((a, b))
        used_j.add(a)
        used_r.add(b)
        if len(chosen) >= limit:
            break
    return chosen


def _big_cost(d1: np.ndarray, d2: np.ndarray) -> float:
    # A row no open site reaches costs more than any reachable one, so swaps that
    # reach it are preferred (its true cost is infinite).
    finite = np.concatenate([d1[np.isfinite(d1)], d2[np.isfinite(d2)]])
    return 10.0 * (float(finite.max()) if finite.size else 1.0) + 1.0


def _fetch_pairs(
    pairs: PairSource,
    rows: np.ndarray,
    radius: np.ndarray,
    cand: np.ndarray,
    budget: int,
    rng: np.random.Generator,
    sites: np.ndarray,
) -> tuple[Triplets, np.ndarray]:
    """Pairs within ``radius`` to the candidate sites, thinned to about ``budget``.

    Returns the pairs and the candidate mask used.
    """
    sample = rows if rows.size <= 400 else np.sort(rng.choice(rows, 400, replace=False))
    probe = pairs.within(sample, radius[np.searchsorted(rows, sample)], cand)
    expected = probe.size * rows.size / max(sample.size, 1)
    if expected > budget:
        keep = budget / expected
        thin = cand & (rng.random(cand.size) < keep)
        thin[sites] = True
        cand = thin
    return pairs.within(rows, radius, cand), cand


def _best_swaps(
    pr: Triplets,
    w: np.ndarray,
    s1: np.ndarray,
    d1: np.ndarray,
    d2: np.ndarray,
    rows: np.ndarray,
    sites: np.ndarray,
    is_required: np.ndarray,
    m: int,
    cost: float,
    s2: np.ndarray | None = None,
) -> list[tuple[int, int]]:
    """The best improving swap, or a batch of them (large ``p``).

    With ``s2`` (second-nearest open site per row) the batch holds swaps touching
    disjoint rows (:func:`_independent`); without, swaps with distinct sites.
    """
    k = sites.size
    pos = np.full(m, -1, dtype=np.int64)
    pos[sites] = np.arange(k)
    i, j, d = pr.rows, pr.sites, pr.cost
    wr, d1r, d2r = w[i], d1[i], d2[i]
    closed = pos[j] < 0
    m1 = closed & (d < d1r)
    gain = np.bincount(j[m1], wr[m1] * (d1r[m1] - d[m1]), minlength=m)
    loss = np.bincount(pos[s1[rows]], w[rows] * (d2[rows] - d1[rows]), minlength=k)
    loss[is_required[sites]] = np.inf
    m2 = closed & (d < d2r)
    val = wr[m2] * (d2r[m2] - np.maximum(d[m2], d1r[m2]))
    key = j[m2].astype(np.int64) * k + pos[s1[i[m2]]]
    if m * k <= _DENSE_SWAPS:
        ext = np.bincount(key, val, minlength=m * k)
        uk = np.flatnonzero(ext)
        ev = ext[uk]
    else:
        uk, inv = np.unique(key, return_inverse=True)
        ev = np.bincount(inv, val)
    ej, er = uk // k, uk % k
    # Swaps outside the support of extra: the best one pairs the largest gain with the
    # smallest loss; for a batch, the t-th largest gain goes with the t-th smallest
    # loss (distinct slots).
    jj = np.flatnonzero(gain > 0)
    jj = jj[np.argsort(-gain[jj], kind="stable")]
    slots = np.argsort(loss, kind="stable")
    slots = slots[np.isfinite(loss[slots])][: jj.size]
    jj = jj[: slots.size]
    k0 = jj * k + slots
    e0 = np.zeros(jj.size)
    if uk.size and jj.size:
        at = np.minimum(np.searchsorted(uk, k0), uk.size - 1)
        e0 = np.where(uk[at] == k0, ev[at], 0.0)
    cj = np.concatenate([ej, jj])
    cr = np.concatenate([er, slots])
    cp = np.concatenate([gain[ej] - loss[er] + ev, gain[jj] - loss[slots] + e0])
    tol = 1e-9 * max(1.0, abs(cost))
    good = np.flatnonzero(np.isfinite(cp) & (cp > tol))
    if good.size == 0:
        return []
    good = good[np.argsort(-cp[good], kind="stable")]
    if s2 is None:
        return _distinct(cj[good], cr[good], max(1, k // 10))
    return _independent(cj[good], cr[good], sites, s1, s2, rows, i[m2], j[m2], m, max(1, k // 4))


def _groups(keys: np.ndarray, values: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``values`` grouped by ``keys`` (CSR pointer over ``0..size``, grouped values)."""
    order = np.argsort(keys, kind="stable")
    ptr = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=size), out=ptr[1:])
    return ptr, values[order]


def _independent(
    cj: np.ndarray,
    cr: np.ndarray,
    sites: np.ndarray,
    s1: np.ndarray,
    s2: np.ndarray,
    rows: np.ndarray,
    near_i: np.ndarray,
    near_j: np.ndarray,
    m: int,
    limit: int,
) -> list[tuple[int, int]]:
    """Best-first batch of swaps that touch disjoint rows, so their profits add up.

    Swap ``(j, slot r)`` changes the cost only of rows whose nearest or second-nearest
    open site is ``sites[r]`` or that have ``d_ij < d2_i``; when no row is touched by
    two swaps of the batch, each row sees at most one of them and the batch's saving
    is the sum of the swaps' profits.
    """
    live = rows[s1[rows] >= 0]
    p1, g1 = _groups(s1[live], live, m)
    has2 = live[s2[live] >= 0]
    p2, g2 = _groups(s2[has2], has2, m)
    pj, gj = _groups(near_j, near_i, m)
    marked = np.zeros(s1.size, dtype=bool)
    chosen: list[tuple[int, int]] = []
    used_j: set[int] = set()
    used_r: set[int] = set()
    for a, b in zip(cj.tolist(), cr.tolist(), strict=True):
        if a in used_j or b in used_r:
            continue
        site = int(sites[b])
        touched = np.concatenate(
            [g1[p1[site] : p1[site + 1]], g2[p2[site] : p2[site + 1]], gj[pj[a] : pj[a + 1]]]
        )
        if marked[touched].any():
            continue
        marked[touched] = True
        chosen.append((a, b))
        used_j.add(a)
        used_r.add(b)
        if len(chosen) >= limit:
            break
    return chosen
