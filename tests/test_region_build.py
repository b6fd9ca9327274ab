"""The region build is deterministic and its primitives do what they claim."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from planner.data.synth import apportion, partition, place_points, rng_for, split_population

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_build_reproduces_committed_packs():
    if importlib.util.find_spec("pypinyin") is None:
        pytest.skip("pypinyin (requirements-dev.txt) is needed to rebuild the packs")
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_regions.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("same") == 8


def test_apportion_is_exact_and_proportional():
    parts = apportion(1000, [1, 1, 2])
    assert parts.tolist() == [250, 250, 500]
    parts = apportion(10, [1, 1, 1])
    assert parts.sum() == 10 and sorted(parts.tolist()) == [3, 3, 4]
    with pytest.raises(ValueError):
        apportion(10, [0, 0])


def test_split_population_hands_empty_pool_to_the_other():
    out = split_population(1000, 1.0, {}, {"a": 1.0, "b": 3.0})
    assert out == {"a": 250, "b": 750}
    out = split_population(1000, 0.6, {"u": 1.0}, {"r1": 1.0, "r2": 1.0})
    assert out == {"u": 600, "r1": 200, "r2": 200}


def test_place_points_inside_concave_polygon_and_distinct():
    # an L-shaped polygon: centroids of its arms fall outside, snapping must keep points in
    poly = shapely.Polygon(
        [(0, 0), (10_000, 0), (10_000, 1_000), (1_000, 1_000), (1_000, 10_000), (0, 10_000)]
    )
    pts = place_points(poly, 25, rng_for(1))
    assert len(pts) == 25
    assert shapely.contains_xy(poly, pts[:, 0], pts[:, 1]).all()
    assert len({tuple(p) for p in pts}) == 25
    again = place_points(poly, 25, rng_for(1))
    assert np.array_equal(pts, again)


def test_place_points_concentrates_near_centre():
    poly = shapely.box(0, 0, 20_000, 20_000)
    centre = np.array([2_000.0, 2_000.0])
    # Converged weighted k-means puts centres at a density ~ sqrt(weight) in 2-D, so the
    # gradient must be steep for a clear packing (60 gives 0.65 of the even spread).
    packed = place_points(poly, 30, rng_for(2), density_centre=centre, concentration=200)
    even = place_points(poly, 30, rng_for(2))
    d_packed = np.median(np.hypot(*(packed - centre).T))
    d_even = np.median(np.hypot(*(even - centre).T))
    assert d_packed < 0.6 * d_even


def test_partition_covers_polygon_and_keeps_seeds():
    poly = shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10)]).buffer(0)
    seeds = np.array([[1.0, 1.0], [8.0, 2.0], [5.0, 8.0], [2.0, 7.0]])
    cells = partition(poly, seeds)
    assert sum(c.area for c in cells) == pytest.approx(poly.area)
    for cell, seed in zip(cells, seeds, strict=True):
        assert cell.contains(shapely.Point(seed))
    union = shapely.union_all(cells)
    assert union.symmetric_difference(poly).area < 1e-9


def test_partition_reattaches_piece_cut_off_by_a_bay():
    # a U shape: the seed in the left arm has a convex Voronoi cell reaching the right arm
    poly = shapely.Polygon(
        [(0, 0), (30, 0), (30, 30), (20, 30), (20, 10), (10, 10), (10, 30), (0, 30)]
    )
    seeds = np.array([[5.0, 25.0], [25.0, 5.0]])
    cells = partition(poly, seeds)
    assert all(c.geom_type == "Polygon" for c in cells)
    assert sum(c.area for c in cells) == pytest.approx(poly.area)


def test_density_cap_moves_the_excess_and_keeps_the_county_total():
    import geopandas as gpd

    from planner.data.synth import MAX_TOWNSHIP_DENSITY, _cap_township_density

    # Two townships of 1 km² and 10 km² (UTM 51N); the small one holds 100,000 people.
    small = shapely.box(500_000, 3_000_000, 501_000, 3_001_000)
    big = shapely.box(501_000, 3_000_000, 511_000, 3_001_000)
    towns = gpd.GeoDataFrame(
        {"code": ["t1", "t2"], "county_code": ["c", "c"]}, geometry=[small, big], crs=32651
    ).to_crs(4326)
    comms = pd.DataFrame(
        {
            "township_code": ["t1", "t1", "t2"],
            "county_code": ["c", "c", "c"],
            "population": [60_000, 40_000, 5_000],
        }
    )
    counties = pd.DataFrame({"code": ["c"], "household_size": [2.5]})
    _cap_township_density(counties, towns, comms, "EPSG:32651")
    per_town = comms.groupby("township_code")["population"].sum()
    assert per_town.sum() == 105_000
    area_small = float(towns.to_crs(32651).geometry.area.iloc[0]) / 1e6
    assert per_town["t1"] == int(np.floor(MAX_TOWNSHIP_DENSITY * area_small))
    assert per_town["t2"] == 105_000 - per_town["t1"]
    # the small township's communities keep their 3 : 2 shares
    assert abs(comms["population"].iloc[0] / comms["population"].iloc[1] - 1.5) < 1e-3
    assert (comms["households"] == np.rint(comms["population"] / 2.5)).all()
