"""Population-weighted k-means candidates for dense areas (issue 19, item 5)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from planner.data.regions import load_region
from planner.instance.candidates import _dense_units, station_candidates
from planner.instance.dense_kmeans import dense_kmeans_points
from planner.scenario import default_scenario


def _two_squares(populations: tuple[int, int]) -> gpd.GeoDataFrame:
    """Two 1 km² communities side by side in one township (metres)."""
    return gpd.GeoDataFrame(
        {
            "code": ["350582001001", "350582001002"],
            "township_code": ["350582001", "350582001"],
            "county_code": ["350582", "350582"],
            "population": list(populations),
        },
        geometry=[shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000)],
        crs="EPSG:32651",
    )


def test_centres_crowd_where_people_crowd():
    # 2 km² at 400 m spacing: the grid's 12.5 → 13 candidates, here as cluster centres
    even = dense_kmeans_points(_two_squares((10_000, 10_000)), 400.0)
    crowded = dense_kmeans_points(_two_squares((90_000, 10_000)), 400.0)
    for frame in (even, crowded):
        assert len(frame) == 13
        assert frame["site_id"].is_unique
        inside = {
            code: shapely.box(x0, 0, x0 + 1000, 1000)
            for code, x0 in (("350582001001", 0), ("350582001002", 1000))
        }
        for row in frame.itertuples():  # each centre lies in the community it names
            assert inside[row.community_code].covers(shapely.Point(row.x, row.y))
    share = {
        name: float((frame["community_code"] == "350582001001").mean())
        for name, frame in (("even", even), ("crowded", crowded))
    }
    assert 0.3 <= share["even"] <= 0.7
    assert share["crowded"] >= 0.75  # 90 % of the people, most of the candidates
    again = dense_kmeans_points(_two_squares((90_000, 10_000)), 400.0)
    assert again.equals(crowded)  # seeded by the township code
    empty = _two_squares((1, 1)).iloc[:0]
    assert dense_kmeans_points(empty, 400.0) is None


@pytest.mark.slow
def test_wenzhou_kmeans_candidates_match_the_grid_count_per_township():
    wenzhou = load_region("wenzhou")
    base = default_scenario("wenzhou").with_changes(dense_grid_m=500)
    grid = station_candidates(wenzhou, base)
    kmeans = station_candidates(wenzhou, base.with_changes(dense_candidates="kmeans"))
    dense = _dense_units(wenzhou)
    expected = (
        dense.assign(area=dense.geometry.area)
        .groupby("township_code")["area"]
        .sum()
        .map(lambda a: max(int(np.ceil(a / 500.0**2)), 1))
    )
    extra = kmeans[kmeans["source"] == "grid"]
    got = extra.groupby("township_code").size()
    # snapping two centres onto one drawn point can merge them: never more, rarely fewer
    assert (got <= expected.reindex(got.index)).all()
    assert got.sum() >= 0.98 * expected.sum()
    assert set(got.index) == set(expected.index)
    assert extra["site_id"].str.startswith("k").all()
    assert (grid["source"] == "grid").sum() > 0
    # same community and seat candidates either way: only the extra points differ
    assert set(grid.loc[grid["source"] != "grid", "site_id"]) == set(
        kmeans.loc[kmeans["source"] != "grid", "site_id"]
    )
