"""The walk inside a community: every station distance adds it, coverage keeps its meaning."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from planner.instance.distance import PointSource, source_knn, source_within
from planner.instance.walk import WalkSource, community_walk_m, cover_radius, with_walk
from planner.models import PMedian
from planner.models.pairs import nearest_two


def _instance(seed: int = 3, n: int = 40, m: int = 12):
    rng = np.random.default_rng(seed)
    dxy = rng.uniform(0, 5_000, (n, 2))
    sxy = rng.uniform(0, 5_000, (m, 2))
    walk = rng.uniform(50, 900, n)
    walk[0] = 0.0  # a community given as a point walks nothing
    return dxy, sxy, walk


def _dense(dxy, sxy, walk, circuity=1.3):
    d = circuity * np.hypot(dxy[:, None, 0] - sxy[None, :, 0], dxy[:, None, 1] - sxy[None, :, 1])
    return np.hypot(d, walk[:, None])


def test_walk_is_the_mean_distance_over_the_area_to_its_point():
    # 1 km² square in a metric CRS and a point
    layer = gpd.GeoDataFrame(geometry=[box(0, 0, 1_000, 1_000), Point(5, 5)], crs="EPSG:32650")
    walk = community_walk_m(layer, "EPSG:32650")
    assert walk[0] == pytest.approx(2 / 3 * np.sqrt(1e6 / np.pi))  # 376.1 m
    assert walk[0] == pytest.approx(376.126, abs=1e-3)
    assert walk[1] == 0.0
    # the mean distance from a disc of that area to its centre, by sampling
    rng = np.random.default_rng(0)
    r = np.sqrt(1e6 / np.pi) * np.sqrt(rng.uniform(0, 1, 200_000))
    assert r.mean() == pytest.approx(walk[0], rel=0.01)


def test_walk_source_lists_exactly_the_pairs_within_the_radius():
    dxy, sxy, walk = _instance()
    src = WalkSource(PointSource(dxy, sxy, 1.3), walk)
    dense = _dense(dxy, sxy, walk)
    radius = np.full(len(dxy), 2_000.0)
    radius[1] = walk[1] * 0.5  # a radius shorter than the walk reaches nothing
    rows, cols, cost = src.within(np.arange(len(dxy)), radius)
    got = set(zip(rows.tolist(), cols.tolist(), strict=True))
    want = {(i, j) for i, j in zip(*np.nonzero(dense <= radius[:, None]), strict=True)}
    assert got == want and not any(r == 1 for r, _ in got)
    assert np.allclose(cost, dense[rows, cols], rtol=0, atol=1e-9)
    cm = source_within(src, radius)
    assert cm.nnz == len(want)


def test_walk_source_nearest_kth_and_columns_agree_with_brute_force():
    dxy, sxy, walk = _instance(seed=5)
    src = WalkSource(PointSource(dxy, sxy, 1.3), walk)
    dense = _dense(dxy, sxy, walk)
    rows = np.arange(len(dxy))
    for k in (1, 3, 7):
        assert np.allclose(src.kth_distance(rows, np.full(rows.size, k)),
                           np.sort(dense, axis=1)[:, k - 1])  # fmt: skip
    open_sites = np.array([2, 5, 9])
    site, dist = src.nearest(open_sites)
    assert np.array_equal(site, open_sites[dense[:, open_sites].argmin(axis=1)])
    assert np.allclose(dist, dense[:, open_sites].min(axis=1))
    assert np.allclose(src.columns(open_sites), dense[:, open_sites])
    # restricted to some sites, the walk is still added
    allowed = np.zeros(len(sxy), dtype=bool)
    allowed[[1, 4]] = True
    _, d = src.restrict_sites(allowed).nearest(np.array([1, 4]))
    assert np.allclose(d, dense[:, [1, 4]].min(axis=1))
    # the models' nearest-two shortcut gives the same as the generic search
    cm = source_knn(src, 4)
    s1, d1, s2, d2 = nearest_two(cm, open_sites)
    order = np.sort(dense[:, open_sites], axis=1)
    assert np.allclose(d1, order[:, 0]) and np.allclose(d2, order[:, 1])
    assert np.allclose(dense[rows, s1], d1) and np.allclose(dense[rows, s2], d2)


def test_p_median_on_walked_costs_is_the_brute_force_optimum():
    dxy, sxy, walk = _instance(seed=11, n=25, m=9)
    weights = np.random.default_rng(1).integers(100, 3_000, len(dxy)).astype(float)
    dense = _dense(dxy, sxy, walk)
    p = 3
    best = min(
        (weights @ dense[:, list(c)].min(axis=1), c)
        for c in itertools.combinations(range(len(sxy)), p)
    )
    cm = source_knn(WalkSource(PointSource(dxy, sxy, 1.3), walk), 4)
    sol = PMedian.from_cost_matrix(cm, p, weights).solve()
    assert sorted(sol.sites) == list(best[1])
    assert sol.objective == pytest.approx(best[0], rel=1e-9)
    assert np.allclose(sol.distance, dense[np.arange(len(dxy)), sol.assignment])
    assert (np.asarray(sol.distance) > 0).all()  # no community is 0 m from its station


def test_the_walk_can_change_the_best_site():
    # a big village (long walk) and a small dense one 100 m apart, one station
    dxy = np.array([[0.0, 0.0], [100.0, 0.0]])
    sxy = dxy.copy()
    weights = np.array([1.2, 1.0])
    plain = PMedian.from_cost_matrix(source_knn(PointSource(dxy, sxy), 2), 1, weights).solve()
    assert list(plain.sites) == [0]  # 100 < 120
    walked = WalkSource(PointSource(dxy, sxy), np.array([1_000.0, 0.0]))
    sol = PMedian.from_cost_matrix(source_knn(walked, 2), 1, weights).solve()
    # at site 0: 1.2·1000 + 100 = 1300; at site 1: 1.2·hypot(100, 1000) = 1206
    assert list(sol.sites) == [1]
    assert sol.objective == pytest.approx(1.2 * np.hypot(100, 1_000))


def test_cover_radius_keeps_coverage_on_the_point_distance():
    demand = pd.DataFrame({"radius_m": [500.0, 2_000.0], "walk_m": [300.0, 0.0]})
    r = cover_radius(demand)
    assert r.tolist() == [pytest.approx(np.hypot(500, 300)), 2_000.0]
    # a station 499 m from the point is covered, 501 m is not
    assert np.hypot(499, 300) <= r[0] < np.hypot(501, 300)
    # plans stored before walks were counted: the radius as it was
    assert cover_radius(demand[["radius_m"]]).tolist() == [500.0, 2_000.0]
    src = PointSource(np.zeros((2, 2)), np.ones((1, 2)))
    assert with_walk(src, demand[["radius_m"]]) is src
    assert isinstance(with_walk(src, demand), WalkSource)
