"""Reference implementations for tests and benchmarks: OR-Library readers and
exhaustive solvers of small instances.

Nothing here is used to plan. These are the plain, obviously correct versions the fast
models are checked against:

- OR-Library (J. E. Beasley, JORS 41(11):1069-1072, 1990) readers for the ``pmed``
  p-median and ``cap`` capacitated facility location instances and their published
  optima (:func:`orlib_pmed`, :func:`orlib_cap`, :func:`orlib_optima`), read from the
  team's ``../shared/reference-data/orlib`` folder next to the repository (never
  copied into it);
- exhaustive solvers: :func:`brute_pmedian` (every site set),
  :func:`classic_pmedian` (the dense textbook ``x_ij`` formulation on HiGHS) and
  :func:`brute_centres` (every site set and every single-source assignment), for
  instances of a dozen sites or so;
- :func:`euclidean`, the dense distance matrix they work on, and
  :func:`beasley_graph`, a generated graph instance of the ``pmed`` kind (any size).
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import shortest_path

__all__ = [
    "ORLIB",
    "ORLIB_CAP",
    "ORLIB_PMED",
    "beasley_graph",
    "brute_centres",
    "brute_pmedian",
    "classic_pmedian",
    "euclidean",
    "orlib_available",
    "orlib_cap",
    "orlib_optima",
    "orlib_pmed",
    "single_source_cost",
]

#: The OR-Library folder of the team's reference data, next to the repository.
ORLIB = Path(__file__).resolve().parents[3] / "shared" / "reference-data" / "orlib"
#: The p-median instances with a published optimum.
ORLIB_PMED: tuple[str, ...] = tuple(f"pmed{k}" for k in range(1, 21))
#: The capacitated facility location instances with a published optimum.
ORLIB_CAP: tuple[str, ...] = (
    "cap41", "cap42", "cap43", "cap44", "cap51", "cap61", "cap62", "cap63", "cap64",
    "cap71", "cap72", "cap73", "cap74",
)  # fmt: skip

Combo = tuple[int, ...]


# --------------------------------------------------------------------------- OR-Library


def orlib_available(folder: Path = ORLIB) -> bool:
    """Whether the OR-Library folder (with its optima table) is present."""
    return (Path(folder) / "optimal_values.csv").exists()


def orlib_optima(folder: Path = ORLIB) -> dict[str, float]:
    """Published optimum per instance name."""
    with (Path(folder) / "optimal_values.csv").open(newline="") as fh:
        return {row["instance"]: float(row["optimal"]) for row in csv.DictReader(fh)}


def orlib_pmed(name: str, folder: Path = ORLIB) -> tuple[np.ndarray, int]:
    """All-pairs shortest-path matrix and ``p`` of a ``pmed`` instance.

    The file lists ``n m p`` and ``m`` undirected edges ``i j cost`` (1-based); a
    repeated edge: the LATER line wins.
    """
    tokens = (Path(folder) / "pmed" / f"{name}.txt").read_text().split()
    n, m, p = (int(v) for v in tokens[:3])
    values = np.asarray(tokens[3 : 3 + 3 * m], dtype=float).reshape(m, 3)
    edges: dict[tuple[int, int], float] = {}
    for i, j, cost in values:
        a, b = int(i) - 1, int(j) - 1
        edges[(min(a, b), max(a, b))] = cost  # later occurrence overwrites
    if len(values) != m or not all(c > 0 for c in edges.values()):
        raise ValueError(f"{name}: expected {m} edges of positive cost")
    dist = _shortest_paths(edges, n)
    if not np.all(np.isfinite(dist)):
        raise ValueError(f"{name}: graph is not connected")
    return dist, p


def beasley_graph(n: int, seed: int) -> np.ndarray:
    """All-pairs shortest paths of a random graph made as Beasley made pmed1-40.

    ``n`` vertices joined by a random path (so the graph is connected) plus random
    edges up to ``2 n^2 / 100`` in all (pmed: 200 edges at 100 vertices, 16,200 at
    900), integer edge costs ``U{1..100}``; reproducible from ``seed``.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    edges: dict[tuple[int, int], int] = {}
    for a, b in zip(order[:-1].tolist(), order[1:].tolist(), strict=True):
        edges[(min(a, b), max(a, b))] = int(rng.integers(1, 101))
    while len(edges) < 2 * n * n // 100:
        a, b = rng.integers(0, n, 2).tolist()
        if a != b:
            edges[(min(a, b), max(a, b))] = int(rng.integers(1, 101))
    return _shortest_paths(edges, n)


def _shortest_paths(edges: dict[tuple[int, int], float], n: int) -> np.ndarray:
    """All-pairs shortest paths (Dijkstra) of an undirected graph given edge -> cost."""
    rows, cols = zip(*edges, strict=True)
    graph = sparse.coo_array((list(edges.values()), (rows, cols)), shape=(n, n)).tocsr()
    return shortest_path(graph, method="D", directed=False)


def orlib_cap(
    name: str, folder: Path = ORLIB
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Capacities, fixed costs, demands and the customer x warehouse cost matrix of a
    ``cap`` instance (costs are the full cost of serving a customer's whole demand)."""
    tokens = (Path(folder) / "cap" / f"{name}.txt").read_text().split()
    m, n = int(tokens[0]), int(tokens[1])
    pos = 2
    head = np.asarray(tokens[pos : pos + 2 * m], dtype=float).reshape(m, 2)
    pos += 2 * m
    demand = np.empty(n)
    cost = np.empty((n, m))
    for i in range(n):  # numbers wrap across lines: read as one token stream
        demand[i] = float(tokens[pos])
        cost[i] = np.asarray(tokens[pos + 1 : pos + 1 + m], dtype=float)
        pos += 1 + m
    if pos != len(tokens):
        raise ValueError(f"{name}: {len(tokens) - pos} trailing tokens")
    return head[:, 0], head[:, 1], demand, cost


# --------------------------------------------------------------------------- solvers


def euclidean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dense straight-line distances between the rows of ``a`` and of ``b`` (x, y)."""
    diff = np.asarray(a, dtype=float)[:, None, :] - np.asarray(b, dtype=float)[None, :, :]
    return np.hypot(diff[..., 0], diff[..., 1])


def brute_pmedian(
    dist: np.ndarray,
    weights: np.ndarray,
    p: int,
    ok: Callable[[Combo], bool] = lambda combo: True,
) -> tuple[float, Combo | None]:
    """Best p-median plan by trying every set of ``p`` sites that ``ok`` accepts.

    Returns the cost ``sum_i w_i min_{j in S} d_ij`` and the site set (``inf`` and
    ``None`` when ``ok`` accepts none); of plans within 1e-9 the first one found.
    """
    best, arg = math.inf, None
    for combo in itertools.combinations(range(dist.shape[1]), p):
        if not ok(combo):
            continue
        value = float(weights @ dist[:, combo].min(axis=1))
        if value < best - 1e-9:
            best, arg = value, combo
    return best, arg


def classic_pmedian(dist: np.ndarray, weights: np.ndarray, p: int) -> float:
    """Optimum of the dense textbook p-median (``x_ij <= y_j``, ``sum_j x_ij = 1``,
    ``sum_j y_j = p``) solved by HiGHS to a zero gap."""
    import pulp

    n, m = dist.shape
    prob = pulp.LpProblem("ref", pulp.LpMinimize)
    y = [prob.add_variable(f"y{j}", 0, 1, pulp.LpBinary) for j in range(m)]
    x = [[prob.add_variable(f"x{i}_{j}", 0, 1) for j in range(m)] for i in range(n)]
    prob += pulp.lpSum(weights[i] * dist[i, j] * x[i][j] for i in range(n) for j in range(m))
    prob += pulp.lpSum(y) == p
    for i in range(n):
        prob += pulp.lpSum(x[i]) == 1
        for j in range(m):
            prob += x[i][j] <= y[j]
    prob.solve(pulp.HiGHS(msg=False, gapRel=0))
    if prob.status != pulp.LpStatusOptimal:
        raise RuntimeError(f"reference p-median not solved: {pulp.LpStatus[prob.status]}")
    return float(pulp.value(prob.objective))


def single_source_cost(
    dist: np.ndarray,
    tonnage: np.ndarray,
    capacity: np.ndarray,
    combo: Combo,
    fixed: np.ndarray | None = None,
) -> float:
    """Cheapest single-source assignment of every station to the centres ``combo``
    within capacity (every assignment tried), plus their fixed costs; ``inf`` if none
    fits. The cost of sending station ``i`` to ``j`` is ``t_i d_ij``."""
    best = math.inf
    cap = np.asarray(capacity)[list(combo)]
    for assign in itertools.product(range(len(combo)), repeat=len(tonnage)):
        load = np.bincount(assign, weights=tonnage, minlength=len(combo))
        if np.all(load <= cap + 1e-9):
            cost = sum(tonnage[i] * dist[i, combo[a]] for i, a in enumerate(assign))
            best = min(best, cost)
    if fixed is not None:
        best += float(np.sum(np.asarray(fixed)[list(combo)]))
    return best


def brute_centres(
    dist: np.ndarray,
    tonnage: np.ndarray,
    capacity: float | np.ndarray,
    sizes: Sequence[int],
    ok: Callable[[Combo], bool] = lambda combo: True,
    fixed: np.ndarray | None = None,
) -> tuple[float, Combo]:
    """Best single-source sorting-centre plan over every site set of the given
    ``sizes`` that ``ok`` accepts (:func:`single_source_cost` for each)."""
    m = dist.shape[1]
    cap = np.broadcast_to(capacity, (m,))
    return min(
        (
            (single_source_cost(dist, tonnage, cap, c, fixed), c)
            for k in sizes
            for c in itertools.combinations(range(m), k)
            if ok(c)
        ),
        key=lambda pair: pair[0],
    )
