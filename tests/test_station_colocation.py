"""The station tier prefers a site beside a refuse transfer station (issue 16 item 2)."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pytest
import shapely
from test_colocation import _small_region

from planner.data.kinds import load_kinds
from planner.instance.build import build_instance
from planner.run import run_plan
from planner.run.station_colocation import STATION_KIND
from planner.scenario import default_scenario

P = 2


def _scenario():
    return default_scenario("jinjiang").with_changes(
        **{"stations.count": P, "stations.one_per_township": False}
    )


def _costs(inst) -> np.ndarray:
    """Walked distance from every community to every candidate (1.3 x straight line
    from its point, with its walk inside added in quadrature)."""
    d, c = inst.demand, inst.stations
    dx = d["x"].to_numpy()[:, None] - c["x"].to_numpy()[None, :]
    dy = d["y"].to_numpy()[:, None] - c["y"].to_numpy()[None, :]
    return np.hypot(inst.scenario.circuity * np.hypot(dx, dy), d["walk_m"].to_numpy()[:, None])


def _best(cost, w, bonus) -> tuple[float, tuple[int, ...]]:
    return min(
        (float(w @ cost[:, list(s)].min(axis=1)) - bonus * sum(s_ in COLOCATED for s_ in s), s)
        for s in itertools.combinations(range(cost.shape[1]), P)
    )


COLOCATED: set[int] = set()


def test_a_station_beside_a_transfer_station_wins_a_near_tie() -> None:
    region, scenario = _small_region(), _scenario()  # one township
    preference = load_kinds()[STATION_KIND].colocation.preference_m
    assert preference == 100
    inst = build_instance(region, scenario)
    cost, w = _costs(inst), inst.demand["population"].to_numpy(dtype=float)
    bonus = preference * w.sum() / P
    COLOCATED.clear()
    plain_value, plain = _best(cost, w, bonus)
    free = run_plan(region, scenario)
    ids = inst.stations["site_id"].to_numpy()
    assert sorted(free.stations["site_id"]) == sorted(ids[list(plain)])
    assert "colocated_stations" not in free.kpis  # no transfer stations in the region

    # a candidate outside the plain optimum whose best pair is within the bonus of it
    outside = [j for j in range(len(ids)) if j not in plain]
    near = {
        j: min(float(w @ cost[:, [j, k]].min(axis=1)) for k in range(len(ids)) if k != j)
        for j in outside
    }
    target = min(near, key=near.get)
    assert near[target] - plain_value < bonus  # close enough for the preference to flip
    spot = inst.stations.iloc[target]
    pois = gpd.GeoDataFrame(
        {"poi_id": ["T1"], "category": ["transfer_station"], "name": ["示例转运站"],
         "weight": [1.0]},
        geometry=[shapely.Point(spot["x"] + 100.0, spot["y"])],  # 100 m east
        crs=region.metric_crs,
    ).to_crs("EPSG:4326")  # fmt: skip
    beside = region.with_layer("pois", pois)
    preferred = run_plan(beside, scenario)

    # candidates within 200 m of the point: every one of them is preferred
    cxy = inst.stations[["x", "y"]].to_numpy()
    COLOCATED.update(np.flatnonzero(np.hypot(*(cxy - (spot["x"] + 100.0, spot["y"])).T) <= 200))
    assert target in COLOCATED
    value, expected = _best(cost, w, bonus)
    chosen = sorted(preferred.stations["site_id"])
    assert chosen == sorted(ids[list(expected)]) != sorted(ids[list(plain)])
    assert preferred.kpis["colocated_stations"] == sum(j in COLOCATED for j in expected) >= 1
    assert preferred.results[0].objective == pytest.approx(value, rel=1e-6)
    # the distances the plan reports are the true ones, without the preference
    d = preferred.demand
    assert np.allclose(d["distance_m"], cost[:, list(expected)].min(axis=1), rtol=1e-6)


@pytest.mark.parametrize("seed", [2, 7])
def test_p_median_with_site_costs_is_the_brute_force_optimum(seed) -> None:
    from planner.instance.distance import PointSource, source_knn
    from planner.models import PMedian

    rng = np.random.default_rng(seed)
    d, s = rng.uniform(0, 3_000, (20, 2)), rng.uniform(0, 3_000, (8, 2))
    w = rng.integers(1, 50, 20).astype(float)
    f = np.zeros(8)
    f[[1, 5]] = -20_000.0  # two preferred sites
    dense = np.hypot(d[:, None, 0] - s[None, :, 0], d[:, None, 1] - s[None, :, 1])
    value, best = min(
        (w @ dense[:, list(c)].min(axis=1) + f[list(c)].sum(), c)
        for c in itertools.combinations(range(8), 3)
    )
    sol = PMedian.from_cost_matrix(source_knn(PointSource(d, s), 4), 3, w, site_cost=f).solve()
    assert sorted(sol.sites) == list(best)
    assert sol.objective == pytest.approx(value, rel=1e-9)
    assert sol.status == "optimal"
