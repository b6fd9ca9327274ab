"""Review decisions on markets and standalone kinds (issue 16 item 5): unique keys per
kind, the store's trail, a re-run that keeps locked and drops rejected sites of a kind
and of the market tier, and the diff that lists them."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from planner.data.kinds import load_kinds
from planner.data.regions import load_region
from planner.i18n import PlannerError
from planner.plan.review import (
    MoveTarget,
    apply_review,
    check_decision,
    plan_diff,
    replay,
    run_reviewed,
    site_table,
)
from planner.plan.review_kinds import MARKET_PREFIX, review_tiers
from planner.run.kinds import plan_kind
from planner.scenario import default_scenario
from planner.scenario.kind_list import PlannedKind

BULKY = "bulky_furniture_transfer"
APPLIANCE = "appliance_furniture_point"


def _scenario():
    sc = default_scenario("jinjiang")
    # small radii keep the coverage models quick; two kinds that may share a point
    kinds = (
        PlannedKind(BULKY, count=3, radius_urban_m=500.0, radius_rural_m=1500.0),
        PlannedKind(APPLIANCE, count=3, radius_urban_m=500.0, radius_rural_m=1500.0),
    )
    markets = dataclasses.replace(sc.markets, count=2, capacity_t_per_day=5000.0)
    return dataclasses.replace(sc, markets=markets, kinds=kinds)


@pytest.fixture(scope="module")
def plan():
    from planner.run import run_plan

    return run_plan("jinjiang", _scenario())


def _sites(plan, tier):
    return list(plan.sites.loc[review_tiers(plan.sites) == tier, "site_id"].astype(str))


def test_the_market_prefix_is_the_run_stages() -> None:
    from planner.run.markets import MARKET_PREFIX as RUN_PREFIX

    assert MARKET_PREFIX == RUN_PREFIX


def test_every_site_has_a_unique_review_key(plan) -> None:
    table = site_table(plan, {})
    keys = list(zip(table["tier"], table["site_id"], strict=True))
    assert len(keys) == len(set(keys)) == len(plan.sites)
    assert set(table["tier"]) == {"station", "sorting_centre", "market", BULKY, APPLIANCE}
    assert len(_sites(plan, "market")) == 2
    assert len(_sites(plan, BULKY)) == len(_sites(plan, APPLIANCE)) == 3


def test_decisions_on_kinds_and_markets_are_checked() -> None:
    check_decision("reject", "王工", [(BULKY, "350582002001")], "太远")
    check_decision("lock", "王工", [("market", "mt350582001")])
    with pytest.raises(PlannerError) as err:
        check_decision("approve", "王工", [("standalone", "350582002001")])
    assert err.value.key == "review.bad_tier"
    with pytest.raises(PlannerError) as err:
        check_decision("move", "王工", [(BULKY, "x")], "近一点", MoveTarget(lon=118.5, lat=24.8))
    assert err.value.key == "review.move_point_kind"
    check_decision("move", "王工", [(BULKY, "x")], "近一点", MoveTarget(site_id="y"))
    check_decision("move", "王工", [("market", "mx")], "近一点", MoveTarget(lon=118.5, lat=24.8))


def test_the_store_keeps_kind_sites_apart(store, plan) -> None:
    both = sorted(set(_sites(plan, BULKY)) & set(_sites(plan, APPLIANCE)))
    shared = both[0] if both else _sites(plan, BULKY)[0]
    sid = store.save_scenario(plan.scenario).id
    store.record_review(sid, None, "王工", "reject", [(BULKY, shared)], {}, "选址不当")
    store.record_review(sid, None, "李工", "lock", [(APPLIANCE, shared)], {})
    market = _sites(plan, "market")[0]
    store.record_review(sid, None, "王工", "comment", [("market", market)], {}, "看过")
    states = store.review_states(sid)
    assert states[(BULKY, shared)].status == "rejected"
    assert states[(APPLIANCE, shared)].status == "approved"
    assert states[(APPLIANCE, shared)].locked
    assert states[("market", market)].comments == 1
    history = store.review_history(sid, tier=BULKY)
    assert [(d.tier, d.site_id, d.action, d.version) for d in history] == [
        (BULKY, shared, "reject", 1)
    ]


def _decide(*events):
    from planner.plan.review import Decision

    return replay(
        Decision(1, None, tier, site, action, "王工", "因为", version=v, move_to=to)
        for v, (tier, site, action, to) in enumerate(events, start=1)
    )


def test_apply_review_fills_the_market_and_kind_lists(plan) -> None:
    bulky, markets = _sites(plan, BULKY), _sites(plan, "market")
    states = _decide(
        (BULKY, bulky[0], "reject", None),
        (BULKY, bulky[1], "lock", None),
        ("market", markets[0], "reject", None),
    )
    run = apply_review(plan.scenario, states, plan, "reoptimise")
    entry = {e.kind: e for e in run.scenario.kinds}
    assert entry[BULKY].excluded_sites == (bulky[0],)
    assert entry[BULKY].required_sites == (bulky[1],)
    assert entry[APPLIANCE].required_sites == () and entry[APPLIANCE].excluded_sites == ()
    cand = markets[0].removeprefix("m")
    assert run.scenario.markets.excluded_sites == (cand,)
    # keep mode: every other site of the kind and the market tier stays
    kept = apply_review(plan.scenario, states, plan, "keep").scenario
    entry = {e.kind: e for e in kept.kinds}
    assert set(entry[BULKY].required_sites) == set(bulky[1:])
    assert set(entry[APPLIANCE].required_sites) == set(_sites(plan, APPLIANCE))
    assert kept.markets.required_sites == tuple(m.removeprefix("m") for m in markets[1:])
    # a market moved to a point: a new centre candidate there, the market required on it
    moved = _decide(("market", markets[1], "move", MoveTarget(lon=118.58, lat=24.80)))
    run = apply_review(plan.scenario, moved, plan, "reoptimise")
    new_id = run.moves[("market", markets[1])]
    assert new_id.startswith("m") and new_id.removeprefix("m") in set(run.extra_centres["site_id"])
    assert new_id.removeprefix("m") in run.scenario.markets.required_sites


def test_a_rerun_keeps_locked_and_drops_rejected_kind_and_market_sites(plan) -> None:
    bulky, appliance, markets = (_sites(plan, t) for t in (BULKY, APPLIANCE, "market"))
    # lock a candidate the plan did not choose, by moving a site onto it, and reject one
    region = load_region("jinjiang")
    others = plan.sites.loc[plan.sites["tier"] == "station", "site_id"].astype(str)
    target = next(s for s in others if s not in set(bulky))
    states = _decide(
        (BULKY, bulky[0], "reject", None),
        (BULKY, bulky[1], "move", MoveTarget(site_id=target)),
        (APPLIANCE, appliance[0], "lock", None),
        ("market", markets[0], "reject", None),
    )
    new, reviewed = run_reviewed(region, plan.scenario, states, plan, "reoptimise")
    new_bulky, new_markets = set(_sites(new, BULKY)), set(_sites(new, "market"))
    assert bulky[0] not in new_bulky and bulky[1] not in new_bulky
    assert target in new_bulky and len(new_bulky) == 3
    assert appliance[0] in set(_sites(new, APPLIANCE))
    assert markets[0] not in new_markets and len(new_markets) == 2
    statuses = {r.tier: r.status for r in new.results}
    assert statuses[BULKY] == statuses[APPLIANCE] == statuses["market"] == "optimal"
    diff = plan_diff(plan, new, reviewed.moves)
    rows = {(r.tier, r.change, r.site_id) for r in diff.itertuples()}
    assert (BULKY, "removed", bulky[0]) in rows
    assert (BULKY, "moved", bulky[1]) in rows
    assert ("market", "removed", markets[0]) in rows
    moved = diff[(diff["tier"] == BULKY) & (diff["change"] == "moved")].iloc[0]
    assert moved["new_site_id"] == target and moved["moved_m"] > 0


def test_plan_kind_honours_forced_and_forbidden_candidates() -> None:
    region = load_region("jinjiang")
    kind = load_kinds()[BULKY]
    scenario = default_scenario("jinjiang")
    kind = dataclasses.replace(
        kind, coverage=dataclasses.replace(kind.coverage, radius_urban_m=500, radius_rural_m=1500)
    )
    free = plan_kind(region, kind, scenario, count=2)
    best = list(free.sites["site_id"])
    cands = free.siting.kept["site_id"].astype(str)
    far = next(s for s in cands if s not in set(best))
    forced = plan_kind(region, kind, scenario, count=2, required=(far,), excluded=(best[0],))
    chosen = list(forced.sites["site_id"])
    assert far in chosen and best[0] not in chosen and len(chosen) == 2
    assert forced.solution.result.status == "optimal"
    # with one site forced, the other is the best single addition (brute force)
    demand = forced.demand
    d_xy, w = demand[["x", "y"]].to_numpy(), demand["weight"].to_numpy()
    r = demand["radius_m"].to_numpy()
    kept = forced.siting.kept.reset_index(drop=True)
    xy = kept[["x", "y"]].to_numpy()
    j_far = int(np.flatnonzero(kept["site_id"].astype(str) == far)[0])

    def covered(j):
        near = (
            np.minimum(np.hypot(*(d_xy - xy[j_far]).T), np.hypot(*(d_xy - xy[j]).T))
            * scenario.circuity
        )
        return float(w[near <= r + 1e-6].sum())

    allowed = [j for j in range(len(kept)) if kept["site_id"].iloc[j] != best[0] and j != j_far]
    assert forced.solution.objective == pytest.approx(max(covered(j) for j in allowed), rel=1e-9)
    with pytest.raises(PlannerError) as err:
        plan_kind(region, kind, scenario, count=2, required=("nowhere",))
    assert err.value.key == "kinds.required_unavailable"
