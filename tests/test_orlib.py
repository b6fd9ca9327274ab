"""OR-Library benchmarks: pmed1-pmed20 (p-median) and cap41-cap74 (capacitated FLP).

Data: J. E. Beasley, OR-Library (JORS 41(11):1069-1072, 1990), read from the team's
``../shared/reference-data/orlib`` folder by :mod:`planner.models.reference`; the tests
skip when it is absent.

pmed instances start from truncated lists (each vertex's ~2n/p nearest) so the exact
presolve (swap search, Lagrangian bound, site fixing) and check-and-grow loop of
:class:`PMedian` are what reach the published optimum. pmed6, pmed16 and pmed17 take
longest (small p leaves an LP gap, pmed16's bound is 0.9 % below the optimum, so they
end in a branch-and-bound on the sites that site fixing leaves free); they are marked
``slow`` but still run by default.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import reference_data

from planner.instance.distance import CostMatrix
from planner.models import PMedian, SolverOptions, SortingCentreModel
from planner.models.reference import ORLIB_CAP, orlib_cap, orlib_optima, orlib_pmed

# The longest pmed instances (see module docstring).
SLOW_PMED = {6, 16, 17}


def _optima() -> dict[str, float]:
    return orlib_optima(reference_data("orlib"))


def load_pmed(name: str) -> tuple[np.ndarray, int]:
    return orlib_pmed(name, reference_data("orlib"))


def load_cap(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return orlib_cap(name, reference_data("orlib"))


def _pmed_param(k: int):
    marks = [pytest.mark.slow] if k in SLOW_PMED else []
    return pytest.param(f"pmed{k}", marks=marks, id=f"pmed{k}")


@pytest.mark.parametrize("name", [_pmed_param(k) for k in range(1, 21)])
def test_pmed_reaches_published_optimum(name):
    optimum = _optima()[name]
    dist, p = load_pmed(name)
    n = dist.shape[0]
    k = max(4, math.ceil(2 * n / p))
    sol = PMedian.from_cost_matrix(CostMatrix.from_dense(dist, k=k), p).solve()
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(optimum, abs=1e-6)
    assert len(sol.sites) == p
    assert float(dist[:, sol.sites].min(axis=1).sum()) == pytest.approx(optimum, abs=1e-6)
    assert sol.gap == 0.0


def test_pmed_with_short_lists_still_exact_and_grows():
    optimum = _optima()["pmed2"]
    dist, p = load_pmed("pmed2")
    # Without the presolve, so the grow loop alone has to reach the optimum.
    sol = PMedian.from_cost_matrix(CostMatrix.from_dense(dist, k=2), p, presolve=False).solve()
    assert sol.objective == pytest.approx(optimum) and sol.status == "optimal"
    assert sol.result.rounds > 1


def test_pmed_with_cbc():
    optimum = _optima()["pmed4"]
    dist, p = load_pmed("pmed4")
    sol = PMedian.from_cost_matrix(CostMatrix.from_dense(dist, k=10), p).solve(
        SolverOptions(solver="cbc")
    )
    assert sol.objective == pytest.approx(optimum) and sol.status == "optimal"


@pytest.mark.parametrize("name", ORLIB_CAP)
def test_cap_multi_sourcing_reaches_published_optimum(name):
    optimum = _optima()[name]
    capacity, fixed, demand, cost = load_cap(name)
    model = SortingCentreModel.from_cost_matrix(
        cost, demand, capacity, None, fixed_cost=fixed, multi_source=True, total_cost=True
    )
    sol = model.solve()
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(optimum, rel=1e-7)
    assert np.all(sol.load <= capacity + 1e-6)
