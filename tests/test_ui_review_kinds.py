"""Review page (AppTest) with markets and standalone kinds: their sites in the review
table under their kind's name, decisions on them stored under the kind, a kind's site
moved to another of its candidates (never to a compass point), and the diff of a
re-run listing the kind's sites (issue 16 item 5)."""

from __future__ import annotations

import dataclasses

import pytest
from page_apps import page_app

from planner.plan.review import apply_review, plan_diff, replay
from planner.plan.review_kinds import review_tiers
from planner.scenario import default_scenario
from planner.scenario.kind_list import PlannedKind

pytestmark = pytest.mark.usefixtures("planner_home")

BULKY = "bulky_furniture_transfer"


def _scenario():
    sc = default_scenario("jinjiang")
    kinds = (PlannedKind(BULKY, count=3, radius_urban_m=500.0, radius_rural_m=1500.0),)
    markets = dataclasses.replace(sc.markets, count=2, capacity_t_per_day=5000.0)
    return dataclasses.replace(sc, markets=markets, kinds=kinds)


@pytest.fixture(scope="module")
def plan():
    from planner.run import run_plan

    return run_plan("jinjiang", _scenario())


def _table(at):
    return next(d.value for d in at.dataframe if "审核状态" in d.value.columns)


def _ids(plan, tier):
    return list(plan.sites.loc[review_tiers(plan.sites) == tier, "site_id"].astype(str))


def test_kind_and_market_sites_are_reviewed_on_the_page(store, plan) -> None:
    sid = store.save_scenario(plan.scenario).id
    store.save_plan(sid, plan, 2.0)
    at = page_app("review_page")
    table = _table(at)
    by_tier = table.groupby("层级")["站点编号"].apply(set)
    assert by_tier["大件家具定点转运点"] == set(_ids(plan, BULKY))
    assert by_tier["集散交易市场"] == set(_ids(plan, "market"))
    assert "大件家具定点转运点" in at.multiselect(key="review_f_tier").options
    # each kind's own tab: a site sharing no neighbour reads "—", never None
    shared = [d.value for d in at.dataframe if "与相邻设施距离（米）" in d.value.columns]
    assert shared
    for kind_tab in shared:
        assert not kind_tab.isna().any().any()
        assert "None" not in kind_tab.astype(str).to_numpy()
    at.text_input(key="review_reviewer").set_value("王工")
    bulky, market = _ids(plan, BULKY), _ids(plan, "market")
    at.multiselect(key="review_pick").set_value([f"{BULKY}|{bulky[0]}", f"market|{market[0]}"])
    at.radio(key="review_action").set_value("reject")
    at.text_input(key="review_reason").set_value("用地不落实")
    at.run()
    at.button(key="review_submit").click()
    at.run()
    assert not at.exception, at.exception
    assert [e.value for e in at.success] == ["已记录：王工 对 2 个站点“否决”。"], [
        e.value for e in at.error
    ]
    states = store.review_states(sid)
    assert states[(BULKY, bulky[0])].status == "rejected"
    assert states[("market", market[0])].status == "rejected"
    assert states[(BULKY, bulky[0])].reviewer == "王工"
    shown = _table(at).set_index(["层级", "站点编号"])["审核状态"]
    assert shown.loc[("大件家具定点转运点", bulky[0])] == "已否决"
    assert shown.loc[("集散交易市场", market[0])] == "已否决"
    # a move of a kind's site: to its candidates only, no compass points, no point input
    at.multiselect(key="review_pick").set_value([f"{BULKY}|{bulky[1]}"])
    at.radio(key="review_action").set_value("move")
    at.text_input(key="review_reason").set_value("靠近主路")
    at.run()
    assert at.radio(key="review_move_kind").options == ["附近的候选点或位置"]
    options = at.selectbox(key="review_move_pick").options
    assert options and not any("向东" in o for o in options)
    at.run()
    at.button(key="review_submit").click()
    at.run()
    assert not at.exception, at.exception
    moved = store.review_states(sid)[(BULKY, bulky[1])]
    assert moved.status == "moved" and moved.move_to.site_id not in set(bulky)
    assert moved.move_to.lon is None


def test_the_diff_lists_a_kinds_sites(store, plan) -> None:
    sid = store.save_scenario(plan.scenario).id
    old = store.save_plan(sid, plan, 2.0)
    bulky = _ids(plan, BULKY)
    # the re-run's plan without the rejected site of the kind (as run_reviewed would
    # give it; the re-run itself is tested in test_review_kinds)
    from planner.plan.review import Decision

    states = replay([Decision(sid, old.id, BULKY, bulky[0], "reject", "王工", "远", 1)])
    reviewed = apply_review(plan.scenario, states, plan, "reoptimise")
    assert reviewed.scenario.kinds[0].excluded_sites == (bulky[0],)
    gone = (review_tiers(plan.sites) == BULKY) & (plan.sites["site_id"] == bulky[0]).to_numpy()
    new_plan = dataclasses.replace(plan, sites=plan.sites[~gone])
    assert list(plan_diff(plan, new_plan)["tier"]) == [BULKY]
    store.save_plan(sid, new_plan, 2.0, parent_id=old.id, review={"mode": "reoptimise"})
    at = page_app("review_page")
    diff = next(d.value for d in at.dataframe if "变化" in d.value.columns)
    assert diff.to_dict("records")[0]["层级"] == "大件家具定点转运点"
    assert diff.to_dict("records")[0]["站点编号"] == bulky[0]
