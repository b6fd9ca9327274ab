"""Phasing in the app (issue 17, item 3): the results page's roll-out by year (status,
per-year table, chart, the map's year) for a phased plan, and nothing new for a plan
without phasing."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from page_apps import page_app

from planner.plan import Plan
from planner.plan.phasing import phasing_lines, plan_as_of, plan_years
from planner.scenario import Scenario
from planner.views.text import label

pytestmark = pytest.mark.usefixtures("planner_home")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "jinjiang_phasing.yaml"


@pytest.fixture(scope="module")
def phased_plan() -> Plan:
    from planner.run import run_plan

    return run_plan("jinjiang", Scenario.load(EXAMPLE))


def _run(at):
    at.run()
    assert not at.exception, at.exception
    return at


def plan_map_page(plan: Plan) -> str:
    """The whole plan's map, drawn directly."""
    from planner.views import plan_map, to_html

    return to_html(plan_map(plan, None, "zh"))


def _map_page(at) -> str:
    """The map's own HTML, out of the page's isolating frame."""
    (frame,) = at.get("iframe")
    outer = frame.proto.srcdoc
    return html.unescape(re.search(r'srcdoc="(.*?)"></iframe>', outer, re.DOTALL).group(1))


def _drawn_stations(at) -> int:
    """Stations in the map's data: the rows of the layers drawn as station markers."""
    page = _map_page(at)
    layers = re.findall(r"var rows = (\[.*?\]);\s*var opts = (\{.*?\});", page, re.DOTALL)
    drawn = [json.loads(rows) for rows, opts in layers if '"planner-station"' in opts]
    assert drawn
    return sum(len(rows) for rows in drawn)


def test_plan_as_of_keeps_the_sites_built_by_a_year(phased_plan) -> None:
    years = plan_years(phased_plan)
    assert years == [2025, 2026, 2027]
    sites = phased_plan.sites
    for entry in phased_plan.kpis["years"]:
        network = plan_as_of(phased_plan, entry["year"])
        kept = network.sites
        assert (kept["year"].dropna() <= entry["year"]).all()
        opened = kept[(kept["tier"] == "station") & (kept["status"] != "existing_close")]
        assert len(opened) == entry["stations"]
        # no line to a station not yet built
        stations = set(kept.loc[kept["tier"] == "station", "site_id"].astype(str))
        assert set(network.links["station_id"].astype(str)) <= stations
    assert len(plan_as_of(phased_plan, years[-1]).sites) == len(sites)


def test_plan_as_of_colours_townships_by_that_years_coverage(phased_plan) -> None:
    """The map's township colours and tooltips come from the year's network: each
    year's township figures add up to that year's own city figures."""
    demand = phased_plan.demand
    assert "covered_year" in demand.columns
    pop = demand["population"].to_numpy(dtype=float)
    for entry in phased_plan.kpis["years"]:
        network = plan_as_of(phased_plan, entry["year"])
        covered = network.demand["covered"].to_numpy(dtype=bool)
        assert covered.sum() == entry["communities_covered"] + entry["villages_covered"]
        assert pop[covered].sum() / pop.sum() == pytest.approx(entry["coverage_share"], abs=1e-6)
        towns = network.township_kpis
        assert int(towns["stations"].sum()) == entry["stations"]
        covered_pop = (towns["coverage_share"] * towns["population"]).sum()
        assert covered_pop / towns["population"].sum() == pytest.approx(
            entry["coverage_share"], abs=1e-6
        )
        assert int(network.county_kpis["stations"].sum()) == entry["stations"]
    first, last = phased_plan.kpis["years"][0], phased_plan.kpis["years"][-1]
    assert first["coverage_share"] < last["coverage_share"]
    # the last year is the whole plan, figures and all
    whole = plan_as_of(phased_plan, last["year"])
    assert whole.township_kpis is phased_plan.township_kpis


def test_phasing_lines_say_status_and_price(phased_plan) -> None:
    level, lines = phasing_lines(phased_plan.kpis, "zh")
    assert level in ("best", "near")
    assert lines[0].startswith("建设顺序：")
    price = phased_plan.kpis["phasing"]["price_of_phasing_pct"]
    if price is not None and price > 0.05:
        assert f"差 {price:,.1f}%" in lines[1]
    elif price is not None:
        assert "分年度没有代价" in lines[1]
    assert phasing_lines({}, "zh") == ("none", [])


def test_results_page_shows_the_roll_out_by_year(store, phased_plan) -> None:
    stored = store.save_plan(store.save_scenario(phased_plan.scenario).id, phased_plan, 5.0)
    at = page_app("results_page")
    assert at.selectbox(key="results_plan").value == stored.id
    table = next(d.value for d in at.dataframe if "建设年份" in d.value.columns)
    years = phased_plan.kpis["years"]
    assert list(table["建设年份"]) == [y["year"] for y in years]
    assert list(table["当年新增回收站点"]) == [y["new_stations"] for y in years]
    assert list(table["覆盖行政村数"]) == [y["villages_covered"] for y in years]
    assert list(table["累计一次性费用（元）"]) == [
        pytest.approx(y["cumulative_cost_yuan"]) for y in years
    ]
    shares = [c for c in table.columns if c not in ("建设年份",) and "覆盖率" in c]
    assert len(shares) == 1
    assert list(table[shares[0]]) == [pytest.approx(y["coverage_share"]) for y in years]
    text = "\n".join(str(s.value) for s in (*at.success, *at.warning))
    assert "建设顺序：" in text
    assert "各年的覆盖率与累计支出" in "\n".join(m.value for m in at.markdown)

    # the map: the whole plan first, then the network as of the first year
    year = next(s for s in at.selectbox if s.key and s.key.startswith("results_map_year"))
    assert year.value == 2027
    assert _drawn_stations(at) == years[-1]["stations"]
    year.set_value(2025)
    _run(at)
    assert _drawn_stations(at) == years[0]["stations"] < years[-1]["stations"]
    # the last year's uncovered communities are not drawn over an earlier network
    name = label("map.uncovered", "zh")  # the layer's name, as the map writes it
    uncovered = json.dumps(name)[1:-1] if name not in plan_map_page(phased_plan) else name
    assert not phased_plan.demand["covered"].astype(bool).all()
    assert uncovered not in _map_page(at)
    at.selectbox(key="results_map_year").set_value(2027)
    _run(at)
    assert uncovered in _map_page(at)
    assert _drawn_stations(at) == years[-1]["stations"]

    at.sidebar.radio(key="lang").set_value("en")
    _run(at)
    table = next(d.value for d in at.dataframe if "Year" in d.value.columns)
    assert len(table) == 3
    text = "\n".join(
        str(e.value) for e in (*at.success, *at.warning, *at.markdown, *at.caption, *at.subheader)
    )
    assert "Order of building" in text and "Phasing by year" in text
    assert not re.search(r"\b(phasing|ui)\.[a-z_]+\.[a-z_]+", text)  # no raw keys


def test_results_page_prints_years_without_a_thousands_separator(store, phased_plan) -> None:
    # the browser showed the years as "2,025": a year is a label, not a quantity
    store.save_plan(store.save_scenario(phased_plan.scenario).id, phased_plan, 5.0)
    at = page_app("results_page")
    (element,) = [d for d in at.dataframe if "建设年份" in d.value.columns]
    config = json.loads(element.proto.columns)
    assert config["建设年份"]["type_config"]["format"] == "%d"
    assert config["回收站点数"]["type_config"]["format"] == "localized"


def test_results_page_without_phasing_has_no_year_views(store) -> None:
    from planner.run import run_plan
    from planner.scenario import default_scenario

    plain = run_plan("jinjiang", default_scenario("jinjiang"))
    store.save_plan(store.save_scenario(plain.scenario).id, plain, 1.0)
    at = page_app("results_page")
    assert not [d for d in at.dataframe if "建设年份" in d.value.columns]
    assert not [s for s in at.selectbox if s.key and s.key.startswith("results_map_year")]


# --- the scenario page's phasing section -------------------------------------------------


def _years_editor(at):
    (found,) = [e for e in at.data_editor if e.key and e.key.endswith(".phasing.years")]
    return found


def _set_years(at, rows: list[dict]) -> None:
    at.session_state[_years_editor(at).key] = {
        "edited_rows": {},
        "added_rows": rows,
        "deleted_rows": [],
    }
    _run(at)


def _messages(at) -> str:
    return "\n".join(str(e.value) for e in (*at.error, *at.warning, *at.markdown))


def test_scenario_page_saves_a_phasing_section(planner_home) -> None:
    from planner.store import Store

    at = page_app("scenario_page")
    assert len(_years_editor(at).value) == 0  # no phasing by default
    rows = [
        {"year": 2025, "budget_yuan": 6_500_000, "stations": 30, "sorting_centres": 1},
        {"year": 2026, "stations": 55, "sorting_centres": 1},
        {"year": 2027, "stations": 80, "sorting_centres": 2},
    ]
    _set_years(at, rows)
    mode = next(s for s in at.selectbox if s.key and ".phasing.mode" in s.key)
    assert mode.value == "fixed_final"
    mode.set_value("joint")
    _run(at)
    next(b for b in at.button if b.key == "sc_save").click()
    _run(at)
    (saved,) = Store(planner_home / "planner.sqlite").list_scenarios("jinjiang")
    ph = saved.scenario.phasing
    assert ph.mode == "joint"
    assert [(y.year, y.stations, y.sorting_centres) for y in ph.years] == [
        (2025, 30, 1),
        (2026, 55, 1),
        (2027, 80, 2),
    ]
    assert [y.budget_yuan for y in ph.years] == [6_500_000.0, None, None]


def test_scenario_page_years_table_shows_blank_cells_as_unlimited() -> None:
    # a blank budget or target is "no limit": the editor said "None" before
    from planner.i18n import t

    at = page_app("scenario_page")
    _set_years(at, [{"year": 2025, "stations": 30}])
    assert _years_editor(at).proto.placeholder == t("ui.sc.sum.unlimited", "zh")


def test_scenario_page_refuses_decreasing_targets() -> None:
    from planner.i18n import t

    at = page_app("scenario_page")
    _set_years(at, [{"year": 2025, "stations": 50}, {"year": 2026, "stations": 40}])
    want = t(
        "phasing.target_decreases",
        "zh",
        tier=t("model.term.station", "zh"),
        year=2026,
        value=40,
        before=2025,
        previous=50,
    )
    assert want in _messages(at)
    assert next(b for b in at.button if b.key == "sc_save").disabled
    _set_years(at, [{"stations": 10}])
    assert "分年度建设表第 1 行没有填写年份" in _messages(at)
    _set_years(at, [{"year": 2025, "stations": 50}, {"year": 2026, "stations": 40}])
    # the years typed stay when the language changes
    at.sidebar.radio(key="lang").set_value("en")
    _run(at)
    assert list(_years_editor(at).value["stations"]) == [50, 40]
    text = _messages(at) + "\n".join(str(c.value) for c in at.caption)
    assert "The cumulative target of" in text and "a site once opened stays open" in text
    assert not re.search(r"\b(phasing|ui)\.[a-z_]+\.[a-z_]+", text)  # no raw keys


def test_scenario_page_phases_a_stored_plan(store, phased_plan) -> None:
    """The last year's network can be a stored (reviewed) plan of the region: the
    section lists the region's plans and the saved scenario names the chosen one."""
    from planner.i18n import t

    stored = store.save_plan(store.save_scenario(phased_plan.scenario).id, phased_plan, 5.0)
    at = page_app("scenario_page")  # opens the stored phased scenario
    assert list(_years_editor(at).value["year"]) == [2025, 2026, 2027]
    final = next(s for s in at.selectbox if s.key and ".phasing.final_plan" in s.key)
    assert final.value == ""  # none by default: the best plan is computed
    assert final.options == [
        t("phasing.ui.final_plan.none", "zh"),
        t(
            "phasing.ui.final_plan.plan",
            "zh",
            id=stored.id,
            name=stored.scenario_name,
            stations=stored.stations,
            centres=stored.centres,
            date=stored.created_at[:10],
        ),
    ]
    final.set_value(str(stored.id))
    _run(at)
    next(b for b in at.button if b.key == "sc_save").click()
    _run(at)
    (saved,) = store.list_scenarios("jinjiang")
    assert saved.scenario.phasing.final_plan == str(stored.id)
    assert [y.year for y in saved.scenario.phasing.years] == [2025, 2026, 2027]
    # and back to none: the saved section names no plan
    final = next(s for s in at.selectbox if s.key and ".phasing.final_plan" in s.key)
    final.set_value("")
    _run(at)
    next(b for b in at.button if b.key == "sc_save").click()
    _run(at)
    (saved,) = store.list_scenarios("jinjiang")
    assert saved.scenario.phasing.final_plan == ""
