"""OR-Library readers for the benchmarks (pmed p-median, cap capacitated FLP).

Data: J. E. Beasley, OR-Library (JORS 41(11):1069-1072, 1990), read from
``../shared/reference-data/orlib`` next to the repository (never copied into it).
Same parsing rules as ``tests/test_orlib.py``; this module has no pytest dependency, so
the test can import it too. Callers check :func:`available` and skip with a message.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import shortest_path

ROOT = Path(__file__).resolve().parents[1]
ORLIB = ROOT.parent / "shared" / "reference-data" / "orlib"

PMED = [f"pmed{k}" for k in range(1, 21)]
CAP = ["cap41", "cap42", "cap43", "cap44", "cap51", "cap61", "cap62", "cap63", "cap64",
       "cap71", "cap72", "cap73", "cap74"]  # fmt: skip


def available(folder: Path = ORLIB) -> bool:
    """Whether the OR-Library folder (with its optima table) is present."""
    return (folder / "optimal_values.csv").exists()


def optima(folder: Path = ORLIB) -> dict[str, float]:
    """Published optimum per instance name."""
    with (folder / "optimal_values.csv").open(newline="") as fh:
        return {row["instance"]: float(row["optimal"]) for row in csv.DictReader(fh)}


def load_pmed(name: str, folder: Path = ORLIB) -> tuple[np.ndarray, int]:
    """All-pairs shortest-path matrix and p. A repeated edge: the LATER line wins."""
    tokens = (folder / "pmed" / f"{name}.txt").read_text().split()
    n, m, p = (int(v) for v in tokens[:3])
    values = np.asarray(tokens[3 : 3 + 3 * m], dtype=float).reshape(m, 3)
    edges: dict[tuple[int, int], float] = {}
    for i, j, cost in values:
        a, b = int(i) - 1, int(j) - 1
        edges[(min(a, b), max(a, b))] = cost  # later occurrence overwrites
    rows, cols = zip(*edges, strict=True)
    graph = sparse.coo_array((list(edges.values()), (rows, cols)), shape=(n, n)).tocsr()
    dist = shortest_path(graph, method="D", directed=False)
    if not np.all(np.isfinite(dist)):
        raise ValueError(f"{name}: graph is not connected")
    return dist, p


def load_cap(name: str, folder: Path = ORLIB) -> tuple[np.ndarray, ...]:
    """Capacities, fixed costs, demands and the customer x warehouse cost matrix."""
    tokens = (folder / "cap" / f"{name}.txt").read_text().split()
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
