"""Sparse distance matrices: contents, completeness radius, growth and exact queries.

Dense matrices appear here only as the reference the sparse answers are checked against.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from planner.i18n import PlannerError
from planner.instance.distance import (
    CostMatrix,
    MatrixSource,
    PointSource,
    sparse_distances,
    sparse_knn,
)


def _dense(demand: np.ndarray, sites: np.ndarray, circuity: float = 1.0) -> np.ndarray:
    diff = demand[:, None, :] - sites[None, :, :]
    return circuity * np.hypot(diff[..., 0], diff[..., 1])


def _pairs(cm: CostMatrix) -> dict[tuple[int, int], float]:
    return {
        (int(r), int(c)): float(d) for r, c, d in zip(cm.rows, cm.indices, cm.data, strict=True)
    }


@pytest.fixture
def points() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(42)
    demand = rng.uniform(0, 5_000, (80, 2))
    sites = rng.uniform(0, 5_000, (50, 2))
    sites[0] = demand[3]  # a candidate exactly on a community: distance 0
    return demand, sites


def test_sparse_distances_lists_exactly_the_pairs_within_radius(points):
    demand, sites = points
    cm = sparse_distances(demand, sites, radius=900.0, circuity=1.3)
    ref = _dense(demand, sites, 1.3)
    expected = {(i, j): ref[i, j] for i, j in zip(*np.nonzero(ref <= 900.0), strict=True)}
    got = _pairs(cm)
    assert got.keys() == expected.keys()
    assert np.allclose([got[k] for k in expected], list(expected.values()), rtol=0, atol=1e-9)
    assert cm.shape == (80, 50)
    assert np.all(cm.radius == 900.0)


def test_zero_distance_pair_is_kept_also_in_scipy_view(points):
    demand, sites = points
    cm = sparse_distances(demand, sites, radius=500.0)
    cols, dist = cm.row(3)
    assert cols[0] == 0 and dist[0] == 0.0
    csr = cm.to_csr()
    assert csr.nnz == cm.nnz  # the explicit zero is stored
    assert csr[3, 0] == 0.0 and (3, 0) in _pairs(cm)


def test_rows_are_sorted_by_cost_then_site(points):
    demand, sites = points
    cm = sparse_distances(demand, np.vstack([sites, sites[:5]]), radius=1_500.0)
    for i in range(cm.n_demand):
        cols, dist = cm.row(i)
        order = np.lexsort((cols, dist))
        assert np.array_equal(order, np.arange(cols.size))


def test_per_row_radius(points):
    demand, sites = points
    radius = np.where(np.arange(80) % 2 == 0, 400.0, 1_200.0)
    cm = sparse_distances(demand, sites, radius)
    ref = _dense(demand, sites)
    counts = (ref <= radius[:, None]).sum(axis=1)
    assert np.array_equal(cm.row_counts, counts)


def test_levels_are_the_sorted_distinct_distances_per_row():
    # Integer grid distances give many ties, so levels differ from pairs.
    demand = np.array([[x, y] for x in range(4) for y in range(4)], dtype=float)
    sites = demand.copy()
    cm = sparse_distances(demand, sites, radius=2.0)
    lv = cm.levels()
    for i in range(cm.n_demand):
        _, dist = cm.row(i)
        assert np.array_equal(lv.values[lv.ptr[i] : lv.ptr[i + 1]], np.unique(dist))
    assert np.array_equal(lv.values[lv.pair_level], cm.data)
    assert lv.values.size < cm.nnz


def test_grow_relists_only_the_given_rows(points):
    demand, sites = points
    cm = sparse_distances(demand, sites, radius=300.0)
    grown = cm.grow([5, 7], [2_000.0, 2_500.0])
    ref = _dense(demand, sites)
    assert grown.row_counts[5] == (ref[5] <= 2_000.0).sum()
    assert grown.row_counts[7] == (ref[7] <= 2_500.0).sum()
    assert grown.radius[5] == 2_000.0 and grown.radius[7] == 2_500.0
    others = np.setdiff1d(np.arange(80), [5, 7])
    assert np.array_equal(grown.row_counts[others], cm.row_counts[others])
    assert grown.row_counts[5] > cm.row_counts[5]


def test_grow_never_shrinks_and_needs_a_source(points):
    demand, sites = points
    cm = sparse_distances(demand, sites, radius=800.0)
    assert np.array_equal(cm.grow([1], 10.0).row_counts, cm.row_counts)
    no_source = CostMatrix.from_coo(cm.rows, cm.indices, cm.data, 80, 50, radius=800.0)
    with pytest.raises(PlannerError) as err:
        no_source.grow([1], 2_000.0)
    assert err.value.key == "model.no_source"


def test_next_distance_is_the_next_nearest_site(points):
    demand, sites = points
    cm = sparse_distances(demand, sites, radius=600.0)
    ref = np.sort(_dense(demand, sites), axis=1)
    nxt = cm.next_distance()
    counts = cm.row_counts
    assert np.allclose(nxt, ref[np.arange(80), counts])
    complete = sparse_distances(demand, sites, radius=1e9)
    assert np.all(np.isinf(complete.next_distance()))


def test_next_distance_ignores_dropped_sites(points):
    demand, sites = points
    ref = _dense(demand, sites)
    row = 10
    order = np.argsort(ref[row])
    cm = sparse_knn(demand, sites, k=2).drop_sites([order[2]])
    # Third-nearest is excluded, so the next usable one is the fourth.
    assert cm.next_distance([row])[0] == pytest.approx(ref[row, order[3]])


def test_nearest_open_matches_dense_argmin(points):
    demand, sites = points
    cm = sparse_distances(demand, sites, radius=200.0)  # far smaller than most answers
    open_sites = np.array([4, 9, 33])
    site, dist = cm.nearest_open(open_sites)
    ref = _dense(demand, sites)[:, open_sites]
    assert np.array_equal(site, open_sites[np.argmin(ref, axis=1)])
    assert np.allclose(dist, ref.min(axis=1))


def test_sparse_knn_rows_hold_k_nearest_plus_ties():
    demand = np.array([[0.0, 0.0]])
    sites = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [5.0, 0.0]])
    cm = sparse_knn(demand, sites, k=2)
    assert cm.row_counts[0] == 3  # three sites tie at distance 1
    assert cm.radius[0] == pytest.approx(1.0)
    assert cm.next_distance()[0] == pytest.approx(5.0)


def test_within_checks_completeness(points):
    demand, sites = points
    cm = sparse_distances(demand, sites, radius=700.0)
    small = cm.within(300.0)
    assert np.all(small.data <= 300.0)
    assert small.nnz == (_dense(demand, sites) <= 300.0).sum()
    with pytest.raises(PlannerError) as err:
        cm.within(1_000.0)
    assert err.value.key == "model.matrix_too_short"


def test_from_dense_truncated_has_a_matrix_source():
    rng = np.random.default_rng(0)
    mat = rng.integers(0, 50, (12, 9)).astype(float)
    mat[2, 4] = np.inf
    full = CostMatrix.from_dense(mat)
    assert full.nnz == 12 * 9 - 1 and np.all(np.isinf(full.radius))
    cut = CostMatrix.from_dense(mat, k=3)
    assert isinstance(cut.source, MatrixSource)
    assert np.all(cut.row_counts >= 3)
    _site, dist = cut.nearest_open([0, 4])
    assert np.allclose(dist, np.min(mat[:, [0, 4]], axis=1))


def test_from_scipy_keeps_explicit_zeros():
    data = np.array([0.0, 3.0, 2.0])
    mat = sparse.csr_array((data, np.array([1, 0, 2]), np.array([0, 2, 3])), shape=(2, 3))
    cm = CostMatrix.from_scipy(mat)
    assert _pairs(cm) == {(0, 1): 0.0, (0, 0): 3.0, (1, 2): 2.0}
    # Without a source unlisted pairs are unusable.
    site, dist = cm.nearest_open([2])
    assert site.tolist() == [-1, 2] and dist[0] == np.inf


def test_point_and_matrix_sources_agree(points):
    demand, sites = points
    ps = PointSource(demand, sites, circuity=1.2)
    ms = MatrixSource(_dense(demand, sites, 1.2))
    rows = np.arange(0, 80, 7)
    assert np.allclose(ps.kth_distance(rows, 4), ms.kth_distance(rows, 4))
    r1, c1, _ = ps.within(rows, np.full(rows.size, 900.0))
    r2, c2, _ = ms.within(rows, np.full(rows.size, 900.0))
    assert set(zip(r1.tolist(), c1.tolist(), strict=True)) == set(
        zip(r2.tolist(), c2.tolist(), strict=True)
    )


def test_duplicate_pairs_keep_the_smaller_cost():
    cm = CostMatrix.from_coo([0, 0, 1], [2, 2, 0], [9.0, 4.0, 1.0], 2, 3)
    assert _pairs(cm) == {(0, 2): 4.0, (1, 0): 1.0}


def test_bad_coordinates_raise_a_planner_error():
    with pytest.raises(PlannerError) as err:
        sparse_distances(np.zeros((3, 3)), np.zeros((2, 2)), 10.0)
    assert err.value.key == "model.shape_mismatch"


def test_columns_are_exact_beyond_the_lists_and_match_listed_pairs(points):
    demand, sites = points
    cm = sparse_knn(demand, sites, 3, circuity=1.3)
    ref = _dense(demand, sites, 1.3)
    picked = np.array([0, 7, 49])
    block = cm.columns(picked)
    assert block.shape == (80, 3)
    assert np.allclose(block, ref[:, picked], rtol=1e-12)
    for (i, j), d in _pairs(cm).items():
        if j in picked:
            assert block[i, list(picked).index(j)] == d  # bit for bit
    dropped = cm.drop_sites([7])
    assert np.isinf(dropped.columns(picked)[:, 1]).all()
    assert np.array_equal(dropped.columns(picked)[:, [0, 2]], block[:, [0, 2]])


def test_columns_without_a_source_use_listed_pairs_only():
    dense = np.array([[1.0, 5.0, np.inf], [0.0, 2.0, 3.0]])
    cm = CostMatrix.from_scipy(sparse.csr_array(dense[:, :2]))
    block = cm.columns([1, 0])
    assert np.array_equal(block, [[5.0, 1.0], [2.0, np.inf]])  # scipy dropped the 0.0
    full = CostMatrix.from_dense(dense, k=1)
    assert np.array_equal(full.columns([2, 0]), dense[:, [2, 0]])
