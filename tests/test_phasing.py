"""Phasing to 2027 (issue 17): the scenario section, the checks before solving and the
phased plan from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from planner.cli import main
from planner.i18n import PlannerError
from planner.instance.build import build_instance
from planner.run.phasing import check_phasing
from planner.scenario import Scenario, default_scenario

ROOT = Path(__file__).resolve().parents[1]
JJ = ROOT / "examples" / "jinjiang_phasing.yaml"
WZ = ROOT / "examples" / "wenzhou_phasing.yaml"

pytestmark = pytest.mark.usefixtures("planner_home")


def _with_years(years, **extra):
    data = default_scenario("jinjiang").to_dict()
    data["phasing"] = {"years": years, **extra}
    return data


def _keys(err: PlannerError) -> list[str]:
    return [d.key for d in err.details]


def test_default_scenarios_have_no_phasing_and_read_as_before():
    s = default_scenario("jinjiang")
    assert not s.phasing.active
    assert "phasing" not in s.to_dict()
    assert Scenario.from_dict(s.to_dict()) == s


def test_phasing_round_trips_through_yaml_and_json(tmp_path):
    s = Scenario.load(JJ)
    assert [y.year for y in s.phasing.years] == [2025, 2026, 2027]
    for name in ("s.yaml", "s.json"):
        assert Scenario.load(s.save(tmp_path / name)) == s
    toml = tmp_path / "s.toml"
    toml.write_text(
        'region = "jinjiang"\n[stations]\ncount = 80\n[centres]\ncount = 2\n'
        "[[phasing.years]]\nyear = 2025\nstations = 40\n"
        "[[phasing.years]]\nyear = 2027\nstations = 80\nbudget_yuan = 2e6\n",
        encoding="utf-8",
    )
    loaded = Scenario.load(toml)
    assert [(y.year, y.stations, y.budget_yuan) for y in loaded.phasing.years] == [
        (2025, 40, None),
        (2027, 80, 2_000_000.0),
    ]


@pytest.mark.parametrize(
    ("years", "key", "words"),
    [
        ([{"year": 2026}, {"year": 2025}], "phasing.year_order", "2025 comes after 2026"),
        ([{"year": 2025}, {"year": 2025}], "phasing.year_repeated", "2025"),
        (
            [{"year": 2025, "stations": 50}, {"year": 2026, "stations": 40}],
            "phasing.target_decreases",
            "stations for 2026, 40, is below 50 for 2025",
        ),
        (
            [{"year": 2025, "stations": 90}],
            "phasing.target_above_final",
            "final count 80 (over by 10)",
        ),
        (
            [{"year": 2025, "sorting_centres": 1, "county_min_centres": {"a": 1, "b": 1}}],
            "phasing.county_sum",
            "add up to 2, above that year's cumulative target 1",
        ),
    ],
)
def test_bad_years_are_named_before_solving(years, key, words):
    with pytest.raises(PlannerError) as info:
        Scenario.from_dict(_with_years(years))
    assert key in _keys(info.value)
    message = next(d for d in info.value.details if d.key == key)
    assert words in message.message("en")
    assert message.message("zh") != message.message("en")


def _instance(years):
    scenario = Scenario.from_dict(_with_years(years))
    return build_instance("jinjiang", scenario)


def test_a_year_whose_budget_cannot_pay_its_batch_says_year_and_amount():
    # 2026 must build 20 new stations at 50,000 yuan: 1,000,000, but has 900,000
    inst = _instance(
        [
            {"year": 2025, "stations": 30, "sorting_centres": 1},
            {"year": 2026, "stations": 50, "sorting_centres": 1, "budget_yuan": 900_000},
            {"year": 2027, "stations": 80, "sorting_centres": 2},
        ]
    )
    with pytest.raises(PlannerError) as info:
        check_phasing(inst)
    assert info.value.key == "phasing.year_budget_short"
    en = info.value.message("en")
    assert "2026" in en and "1,000,000" in en and "100,000 yuan short" in en


def test_a_county_minimum_the_budgets_cannot_pay_names_year_county_and_amount():
    inst = _instance(
        [
            {"year": 2025, "budget_yuan": 100_000, "county_min_stations": {"350582": 3}},
            {"year": 2027, "stations": 80, "sorting_centres": 2},
        ]
    )
    with pytest.raises(PlannerError) as info:
        check_phasing(inst)
    assert info.value.key == "phasing.county_budget_short"
    en = info.value.message("en")
    county = inst.region.counties.set_index("code").loc["350582", "name"]
    # 3 stations at 50,000 = 150,000 against 100,000
    assert "2025" in en and county in en and "150,000" in en and "50,000 yuan short" in en


def test_the_last_year_must_reach_the_final_count():
    inst = _instance([{"year": 2025, "stations": 30}, {"year": 2027, "stations": 70}])
    with pytest.raises(PlannerError) as info:
        check_phasing(inst)
    assert info.value.key == "phasing.last_year_target"


@pytest.fixture(scope="module")
def jj_phased(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("jj-phasing") / "plan"
    assert main(["plan", "--region", "jinjiang", "--scenario", str(JJ), "--out", str(out)]) == 0
    return out


def test_cli_writes_the_jinjiang_phased_plan(jj_phased):
    out = jj_phased
    sites = gpd.read_file(out / "plan.gpkg", layer="sites")
    scenario = Scenario.load(JJ)
    meta = json.loads((out / "kpis.json").read_text(encoding="utf-8"))
    years = meta["kpis"]["years"]
    assert [y["year"] for y in years] == [2025, 2026, 2027]
    for tier, attr in (("station", "stations"), ("sorting_centre", "sorting_centres")):
        rows = sites[sites["tier"] == tier]
        assert rows["year"].notna().all()
        got = [int((rows["year"] <= y.year).sum()) for y in scenario.phasing.years]
        assert got == [getattr(y, attr) for y in scenario.phasing.years]
        assert [y[attr] for y in years] == got
    # yearly spending recomputed from the sites, within each year's budget
    cum = 0.0
    for entry, figures in zip(scenario.phasing.years, years, strict=True):
        spent = float(sites.loc[sites["year"] == entry.year, "cost_yuan"].sum())
        cum += spent
        assert figures["cost_yuan"] == pytest.approx(spent)
        assert figures["cumulative_cost_yuan"] == pytest.approx(cum)
        assert spent <= entry.budget_yuan + 1e-6
    # coverage only grows, and the last year is the plan's own coverage
    shares = [y["coverage_share"] for y in years]
    assert shares == sorted(shares)
    assert shares[-1] == pytest.approx(meta["kpis"]["coverage_share"], abs=1e-6)
    phasing = meta["kpis"]["phasing"]
    assert phasing["status"] == "optimal" and phasing["price_of_phasing_pct"] == 0.0
    assert any(r["tier"] == "phasing" for r in meta["results"])


@pytest.mark.slow
def test_joint_phasing_is_never_better_than_the_single_period_final_year():
    data = Scenario.load(JJ).to_dict()
    data["phasing"]["mode"] = "joint"
    from planner.run import run_plan

    plan = run_plan("jinjiang", Scenario.from_dict(data))
    phasing = plan.kpis["phasing"]
    assert phasing["status"] in ("optimal", "time_limit_feasible")
    # the final year serves no better than the single-period optimum, within its gap
    assert phasing["price_of_phasing_pct"] >= -100 * data["solver"]["gap"] - 1e-6
    years = plan.sites.loc[plan.sites["tier"] == "station", "year"].to_numpy()
    assert sorted(np.unique(years).tolist()) == [2025, 2026, 2027]
    assert plan.scenario.phasing.mode == "joint"


@pytest.mark.slow
def test_cli_wenzhou_phased_plan_reaches_each_years_targets(tmp_path):
    out = tmp_path / "wz"
    assert main(["plan", "--region", "wenzhou", "--scenario", str(WZ), "--out", str(out)]) == 0
    sites = gpd.read_file(out / "plan.gpkg", layer="sites")
    scenario = Scenario.load(WZ)
    assert sorted(sites["year"].dropna().unique().tolist()) == [2025, 2026, 2027]
    for tier, attr in (("station", "stations"), ("sorting_centre", "sorting_centres")):
        rows = sites[sites["tier"] == tier]
        got = [int((rows["year"] <= y.year).sum()) for y in scenario.phasing.years]
        assert got == [getattr(y, attr) for y in scenario.phasing.years]


def test_a_sweep_varies_one_years_budget():
    from planner.sweep import SweepDefinition

    sweep = SweepDefinition.load(ROOT / "examples" / "sweep_jinjiang_phasing.yaml")
    points = sweep.points()
    assert len(points) == 4
    seen = {(p.scenario.phasing.years[1].budget_yuan, p.scenario.phasing.years[1].stations)
            for p in points}  # fmt: skip
    assert seen == {(1_250_000.0, 55), (1_250_000.0, 60), (2_500_000.0, 55), (2_500_000.0, 60)}
    # the other years are the base scenario's
    assert {p.scenario.phasing.years[0].budget_yuan for p in points} == {6_500_000.0}
    with pytest.raises(PlannerError) as info:
        SweepDefinition.from_dict(
            {"region": "jinjiang", "parameters": {"phasing.years[2].budget": [1]}}
        )
    assert "phasing.years[2].budget" in info.value.message("en")


@pytest.mark.slow
def test_final_plan_from_a_sites_file_is_the_last_years_network(tmp_path):
    from planner.run import run_plan

    # a reviewed plan: the coverage optimum, not the p-median one
    other = default_scenario("jinjiang").with_changes(**{"stations.objective": "mclp"})
    reviewed = run_plan("jinjiang", other)
    reviewed.write(tmp_path / "reviewed")
    data = Scenario.load(JJ).to_dict()
    data["phasing"]["final_plan"] = str(tmp_path / "reviewed" / "sites.csv")
    plan = run_plan("jinjiang", Scenario.from_dict(data))
    for tier in ("station", "sorting_centre"):
        want = set(reviewed.sites.loc[reviewed.sites["tier"] == tier, "site_id"].astype(str))
        got = plan.sites[plan.sites["tier"] == tier]
        assert set(got["site_id"].astype(str)) == want
        assert got["year"].notna().all()
    phasing = plan.kpis["phasing"]
    assert phasing["mode"] == "final_plan"
    # the p-median optimum serves better than the coverage plan: a positive price
    assert phasing["price_of_phasing_pct"] > 0
    assert plan.scenario.phasing.final_plan.endswith("sites.csv")
    bad = dict(data, phasing=dict(data["phasing"], final_plan=str(tmp_path / "none.csv")))
    with pytest.raises(PlannerError) as info:
        run_plan("jinjiang", Scenario.from_dict(bad))
    assert info.value.key == "phasing.final_plan_unreadable"


@pytest.mark.slow
def test_final_plan_as_a_stored_plan_id(store):
    """What the scenario page saves: a stored plan's id as the last year's network."""
    from planner.run import run_plan

    other = default_scenario("jinjiang").with_changes(**{"stations.objective": "mclp"})
    reviewed = run_plan("jinjiang", other)
    stored = store.save_plan(store.save_scenario(reviewed.scenario).id, reviewed, 1.0)
    data = Scenario.load(JJ).to_dict()
    data["phasing"]["final_plan"] = str(stored.id)
    plan = run_plan("jinjiang", Scenario.from_dict(data))
    for tier in ("station", "sorting_centre"):
        want = set(reviewed.sites.loc[reviewed.sites["tier"] == tier, "site_id"].astype(str))
        got = plan.sites[plan.sites["tier"] == tier]
        assert set(got["site_id"].astype(str)) == want
    assert plan.kpis["phasing"]["mode"] == "final_plan"
    assert plan.kpis["phasing"]["final_plan"] == str(stored.id)
    data["phasing"]["final_plan"] = str(stored.id + 99)
    with pytest.raises(PlannerError) as info:
        run_plan("jinjiang", Scenario.from_dict(data))
    assert info.value.key == "store.no_plan"


def test_exports_carry_the_year(jj_phased, tmp_path):
    import openpyxl

    from planner.views.export import export_plan, read_plan

    plan = read_plan(jj_phased)
    written = export_plan(plan, tmp_path, "xlsx,gpkg", lang="en")
    wb = openpyxl.load_workbook(written["xlsx"][0])
    stations = wb[wb.sheetnames[0]]
    header = [c.value for c in stations[1]]
    assert header[:2] == ["Site code", "Year"]
    years = {row[1].value for row in stations.iter_rows(min_row=2)}
    assert years == {2025, 2026, 2027}
    sheet = wb["Phasing by year"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [r[0] for r in rows] == [2025, 2026, 2027]
    assert [r[1] for r in rows] == [30, 55, 80]
    assert rows[-1][10] == pytest.approx(plan.kpis["years"][-1]["cumulative_cost_yuan"])
    gis = gpd.read_file(written["gpkg"][0], layer="sites")
    assert sorted(gis["year"].dropna().unique().tolist()) == [2025, 2026, 2027]
