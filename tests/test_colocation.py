"""The colocation preference of a facility kind (issue 16 item 2): a candidate beside a
point of interest of the kind's colocation category (a 垃圾转运站) is preferred among
plans covering as much, when it is at most ``preference_m`` farther for the points it
serves. Checked against brute force on the model and on a small kind instance, and off
when the preference is 0."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from planner.data.kinds import Coverage, load_kind_file, load_kinds
from planner.data.regions import load_region
from planner.models import MCLP, SetCover, SolverOptions
from planner.run.kinds import colocation_discount, plan_kind
from planner.scenario import default_scenario

BULKY = "bulky_furniture_transfer"


def _stage2(d, w, r, open_sites, discount):
    """Brute force of stage 2: sum_i w_i min(d'_i, r_i), d' the nearest discounted
    distance among open sites within the radius."""
    total = 0.0
    for i in range(len(w)):
        best = r[i]
        for j in open_sites:
            if d[i, j] <= r[i]:
                best = min(best, max(d[i, j] - discount[j], 0.0))
        total += w[i] * best
    return total


def _coverage(d, w, r, open_sites):
    return float(sum(w[i] for i in range(len(w)) if any(d[i, j] <= r[i] for j in open_sites)))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_mclp_with_a_discount_is_the_brute_force_optimum(seed) -> None:
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 3000, (12, 2))
    sites = rng.uniform(0, 3000, (7, 2))
    w = rng.integers(1, 10, 12).astype(float)
    r = np.full(12, 1500.0)
    discount = np.where(rng.random(7) < 0.4, 400.0, 0.0)
    d = np.hypot(*(demand[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    sol = MCLP.from_points(demand, sites, 2, r, w, site_discount=discount).solve(
        SolverOptions(time_limit_s=30)
    )
    assert sol.result.status == "optimal"
    plans = list(itertools.combinations(range(7), 2))
    best_cover = max(_coverage(d, w, r, p) for p in plans)
    best = min(_stage2(d, w, r, p, discount) for p in plans if _coverage(d, w, r, p) == best_cover)
    chosen = tuple(sorted(int(j) for j in sol.sites))
    assert _coverage(d, w, r, chosen) == pytest.approx(best_cover)
    assert sol.objective == pytest.approx(best_cover)
    assert _stage2(d, w, r, chosen, discount) == pytest.approx(best, abs=1e-6)


def test_the_discount_breaks_a_near_tie_and_nothing_else() -> None:
    # two demand points, both within reach of both sites; site 1 is 100 m farther
    demand = np.array([[0.0, 0.0], [200.0, 0.0]])
    sites = np.array([[100.0, 0.0], [100.0, 100.0]])
    r = np.full(2, 1000.0)
    plain = MCLP.from_points(demand, sites, 1, r).solve()
    assert list(plain.sites) == [0]
    preferred = MCLP.from_points(demand, sites, 1, r, site_discount=[0.0, 150.0]).solve()
    assert list(preferred.sites) == [1]
    # too small a preference for the distance: the nearer site stays
    small = MCLP.from_points(demand, sites, 1, r, site_discount=[0.0, 30.0]).solve()
    assert list(small.sites) == [0]
    # coverage is never traded: site 1 out of reach of point 0 keeps site 0
    short = MCLP.from_points(demand, sites, 1, np.array([120.0, 1000.0]), site_discount=[0, 500])
    assert list(short.solve().sites) == [0]
    # set cover: the same count, the preferred site
    cover = SetCover.from_points(demand, sites, r, site_discount=[0.0, 150.0]).solve()
    assert cover.objective == 1 and list(cover.sites) == [1]
    with pytest.raises(ValueError):
        MCLP.from_points(demand, sites, 1, r, site_discount=[0.0, -1.0])


def _small_region():
    """Jinjiang cut to one township: a kind instance small enough to brute-force."""
    region = load_region("jinjiang")
    counts = region.communities["township_code"].value_counts()
    town = counts[counts.between(12, 25)].index[0]
    comms = region.communities[region.communities["township_code"] == town]
    return region.with_layer("communities", comms)


def test_a_kind_prefers_the_site_beside_a_transfer_station() -> None:
    region = _small_region()
    scenario = default_scenario("jinjiang")
    # a radius reaching the whole township: every single site covers everything, so
    # the plan is decided by the service distance, where the preference weighs
    bulky = dataclasses.replace(
        load_kinds()[BULKY],
        coverage=Coverage(radius_urban_m=50_000, radius_rural_m=50_000, source="test"),
    )
    assert bulky.colocation.preference_m == 300
    free = plan_kind(region, bulky, scenario, count=1)
    kept = free.siting.kept.reset_index(drop=True)
    xy = kept[["x", "y"]].to_numpy()
    d_xy, w = free.demand[["x", "y"]].to_numpy(), free.demand["weight"].to_numpy()
    # distances from where people live (walk.py): the walk in quadrature, and the
    # radius on walked costs sqrt(r² + w²)
    walk = free.demand["walk_m"].to_numpy()
    r = np.hypot(free.demand["radius_m"].to_numpy(), walk)
    d = np.hypot(*(d_xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) * scenario.circuity
    d = np.hypot(d, walk[:, None])
    none = np.zeros(len(kept))
    plain = [_stage2(d, w, r, (j,), none) for j in range(len(kept))]
    j0 = int(np.argmin(plain))
    assert free.sites["site_id"].iloc[0] == kept["site_id"].iloc[j0]
    # a transfer station 520 m from the best site (so the preference does not reach
    # it), in the direction where the service distance grows least: the station
    # becomes a candidate itself, and at most 300 m farther for the households it is
    # preferred
    ring = [xy[j0] + 520 * np.array([np.cos(a), np.sin(a)]) for a in np.linspace(0, 2 * np.pi, 16)]
    extra = [
        float((w * np.hypot(np.hypot(*(d_xy - p).T) * scenario.circuity, walk)).sum()) for p in ring
    ]
    at = ring[int(np.argmin(extra))]
    assert min(extra) - plain[j0] < 300 * w.sum()  # near: within the preference
    station = shapely.Point(at)
    pois = gpd.GeoDataFrame(
        {
            "poi_id": ["T1"],
            "category": ["transfer_station"],
            "name": ["示例转运站"],
            "weight": [1.0],
        },
        geometry=[station],
        crs=region.metric_crs,
    ).to_crs("EPSG:4326")
    with_station = region.with_layer("pois", pois)
    planned = plan_kind(with_station, bulky, scenario, count=1)
    cand = planned.siting.kept.reset_index(drop=True)
    assert list(cand["site_id"]) == [*kept["site_id"], "poi:T1"]
    discount = colocation_discount(cand, with_station, bulky)
    assert set(np.unique(discount)) <= {0.0, 300.0} and discount[-1] == 300.0
    xy2 = cand[["x", "y"]].to_numpy()
    d2 = np.hypot(*(d_xy[:, None, :] - xy2[None, :, :]).transpose(2, 0, 1)) * scenario.circuity
    d2 = np.hypot(d2, walk[:, None])
    values = [_stage2(d2, w, r, (j,), discount) for j in range(len(cand))]
    expected = int(np.argmin(values))
    assert sorted(values)[1] - values[expected] > 1e-3  # a unique optimum
    chosen = planned.sites.iloc[0]
    assert chosen["site_id"] == cand["site_id"].iloc[expected]
    assert chosen["site_id"] == "poi:T1" and chosen["colocated_poi"] == "示例转运站"
    # the preference off: the same points of interest, the nearest plan again
    off = dataclasses.replace(
        bulky, colocation=dataclasses.replace(bulky.colocation, preference_m=0)
    )
    plain_again = plan_kind(with_station, off, scenario, count=1)
    values_off = [_stage2(d2, w, r, (j,), np.zeros(len(cand))) for j in range(len(cand))]
    assert plain_again.sites["site_id"].iloc[0] == cand["site_id"].iloc[int(np.argmin(values_off))]
    assert plain_again.sites["site_id"].iloc[0] != chosen["site_id"]


def test_a_kind_file_may_set_the_preference(tmp_path: Path) -> None:
    text = (Path("data/kinds") / f"{BULKY}.toml").read_text(encoding="utf-8")
    assert "preference_m = 300" in text
    (tmp_path / "bad").mkdir()
    (tmp_path / "off").mkdir()
    bad = tmp_path / "bad" / f"{BULKY}.toml"
    bad.write_text(text.replace("preference_m = 300", "preference_m = -5"), encoding="utf-8")
    from planner.i18n import PlannerError

    with pytest.raises(PlannerError) as err:
        load_kind_file(bad)
    assert err.value.key == "kinds.negative"
    off = tmp_path / "off" / f"{BULKY}.toml"
    off.write_text(text.replace("preference_m = 300\n", ""), encoding="utf-8")
    assert load_kind_file(off).colocation.preference_m == 0.0


def test_a_service_area_kind_weighs_the_preference_too() -> None:
    # the bulky-furniture transfer point sited by service area (p-median, one site):
    # a candidate beside a transfer station gets preference_m x the weight it serves
    region = _small_region()
    scenario = default_scenario("jinjiang")
    bulky = dataclasses.replace(
        load_kinds()[BULKY], coverage=Coverage(service_area="city", source="test")
    )
    free = plan_kind(region, bulky, scenario, count=1)
    assert free.model == "p_median"
    kept = free.siting.kept.reset_index(drop=True)
    xy = kept[["x", "y"]].to_numpy()
    d_xy, w = free.demand[["x", "y"]].to_numpy(), free.demand["weight"].to_numpy()
    walk = free.demand["walk_m"].to_numpy()[:, None]  # from where people live (walk.py)
    d = np.hypot(*(d_xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) * scenario.circuity
    d = np.hypot(d, walk)
    plain = w @ d  # one site: everybody goes to it
    j0 = int(np.argmin(plain))
    assert free.sites["site_id"].iloc[0] == kept["site_id"].iloc[j0]
    # a transfer station beside the candidate whose extra cost is the smallest, when
    # that is less than the bonus: the preference flips the choice to it
    order = np.argsort(plain)
    bonus = bulky.colocation.preference_m * w.sum()
    j1 = int(next(j for j in order[1:] if plain[j] - plain[j0] < bonus))
    spot = shapely.Point(xy[j1] + np.array([50.0, 0.0]))
    pois = gpd.GeoDataFrame(
        {"poi_id": ["T1"], "category": ["transfer_station"], "name": ["示例转运站"],
         "weight": [1.0]},
        geometry=[spot], crs=region.metric_crs,
    ).to_crs("EPSG:4326")  # fmt: skip
    with_station = region.with_layer("pois", pois)
    planned = plan_kind(with_station, bulky, scenario, count=1)
    cand = planned.siting.kept.reset_index(drop=True)
    discount = colocation_discount(cand, with_station, bulky)
    xy2 = cand[["x", "y"]].to_numpy()
    d2 = np.hypot(*(d_xy[:, None, :] - xy2[None, :, :]).transpose(2, 0, 1)) * scenario.circuity
    d2 = np.hypot(d2, walk)
    values = w @ d2 - discount * w.sum()  # the objective with the bonus, per single site
    expected = int(np.argmin(values))
    assert discount[expected] > 0  # a colocated site wins
    assert planned.sites["site_id"].iloc[0] == cand["site_id"].iloc[expected]
    assert planned.solution.result.objective == pytest.approx(values[expected], rel=1e-9)
