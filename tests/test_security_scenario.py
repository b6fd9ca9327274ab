"""Hostile and careless scenarios: strict types, checks against the region, bounded files.

Issue 14, families 4 (silent coercions), 5 (scenario and sweep file limits) and 10 (the
"(1 possibilities, e.g. )" message). Every case names the message it must produce; none
may raise anything but a :class:`~planner.i18n.PlannerError`, and none may change a
value without a word (a string split into its characters, ``'false'`` read as true).
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point

from planner.data.regions import load_region
from planner.i18n import PlannerError
from planner.scenario import Scenario, StationTier, default_scenario
from planner.scenario.checks import CandidateSites, check_region, region_problems
from planner.sweep import SweepDefinition

pytestmark = pytest.mark.usefixtures("planner_home")

NAN, INF = float("nan"), float("inf")


def _problems(data) -> list:
    with pytest.raises(PlannerError) as info:
        Scenario.from_dict(data)
    assert info.value.key == "scenario.invalid"
    return list(info.value.details)


def _only(data):
    (problem,) = _problems(data)
    return problem


# --- strict types (family 4) -------------------------------------------------------------------

TYPE_CASES = [
    # lists of site ids are lists, never a string split into its letters
    ("ids-bare-string", {"stations": {"required_sites": "350582001005"}}, "scenario.id_list",
     "“stations.required_sites” must be a list of site ids, e.g. [\"350582001005\"] "
     "(it is \"350582001005\")"),
    ("ids-bare-number", {"stations": {"required_sites": 5}}, "scenario.id_list",
     "“stations.required_sites” must be a list of site ids, e.g. [\"350582001005\"] (it is 5)"),
    ("ids-mapping", {"centres": {"excluded_sites": {"t1": 1}}}, "scenario.id_list",
     "“centres.excluded_sites” must be a list of site ids"),
    ("ids-true", {"centres": {"required_sites": True}}, "scenario.id_list", "(it is true)"),
    ("id-fraction", {"stations": {"excluded_sites": ["a", 1.5]}}, "scenario.id_item",
     "Item 2 of “stations.excluded_sites” must be a site id (text or a whole number), not 1.5"),
    ("id-null", {"stations": {"required_sites": [None]}}, "scenario.id_item", "not null"),
    ("id-empty", {"stations": {"required_sites": ["  "]}}, "scenario.id_item", 'not "  "'),
    ("id-bool", {"centres": {"required_sites": [False]}}, "scenario.id_item", "not false"),
    ("id-nested", {"stations": {"required_sites": [["x"]]}}, "scenario.id_item", 'not ["x"]'),
    ("id-negative", {"stations": {"required_sites": [-3]}}, "scenario.id_item", "not -3"),
    ("id-nul", {"stations": {"required_sites": ["3505\x00820"]}}, "scenario.control_char",
     "“stations.required_sites” contains the control character U+0000: remove it"),
    # switches are true or false, not text or numbers
    ("bool-text-false", {"stations": {"one_per_township": "false"}}, "scenario.boolean",
     "“stations.one_per_township” must be true or false, without quotes (it is \"false\")"),
    ("bool-one", {"stations": {"use_capacity": 1}}, "scenario.boolean", "(it is 1)"),
    ("bool-zero", {"centres": {"one_per_county": 0}}, "scenario.boolean", "(it is 0)"),
    ("bool-yes-text", {"centres": {"one_per_county": "yes"}}, "scenario.boolean",
     "(it is \"yes\")"),
    ("bool-null", {"stations": {"one_per_township": None}}, "scenario.boolean", "(it is null)"),
    # whole numbers are whole and finite
    ("count-nan", {"stations": {"count": NAN}}, "scenario.integer",
     "“stations.count” must be a whole number (it is nan)"),
    ("count-inf", {"centres": {"count": INF}}, "scenario.integer", "(it is inf)"),
    ("count-minus-inf", {"stations": {"count": -INF}}, "scenario.integer", "(it is -inf)"),
    ("count-fraction", {"stations": {"count": 40.5}}, "scenario.integer", "(it is 40.5)"),
    ("count-bool", {"centres": {"count": True}}, "scenario.integer", "(it is true)"),
    ("count-text", {"stations": {"count": "80"}}, "scenario.integer", "(it is \"80\")"),
    ("count-null-centres", {"centres": {"count": None}}, "scenario.integer", "(it is null)"),
    ("count-huge", {"stations": {"count": 10**400}}, "scenario.at_most",
     "“stations.count” may not exceed 1,000,000 (it is ~10^400)"),
    ("count-over-cell", {"centres": {"count": 2_000_000}}, "scenario.at_most",
     "(it is 2,000,000)"),
    # per-county limits are mappings of whole numbers 0 … 1,000,000
    ("county-list", {"stations": {"county_min": [1, 2]}}, "scenario.county_map",
     "“stations.county_min” must map county codes to numbers, e.g. {\"330302\": 5} "
     "(it is [1, 2])"),
    ("county-text", {"centres": {"county_max": "350582: 3"}}, "scenario.county_map",
     "(it is \"350582: 3\")"),
    ("county-nan", {"stations": {"county_min": {"350582": NAN}}}, "scenario.integer",
     "“stations.county_min.350582” must be a whole number (it is nan)"),
    ("county-inf", {"centres": {"county_max": {"350582": INF}}}, "scenario.integer",
     "(it is inf)"),
    ("county-negative", {"stations": {"county_max": {"350582": -1}}}, "scenario.non_negative",
     "“stations.county_max.350582” must not be negative (it is -1)"),
    ("county-huge", {"stations": {"county_max": {"350582": 10**7}}}, "scenario.at_most",
     "“stations.county_max.350582” may not exceed 1,000,000 (it is 10,000,000)"),
    ("county-text-value", {"stations": {"county_min": {"350582": "5"}}}, "scenario.integer",
     "(it is \"5\")"),
    ("county-bool-value", {"centres": {"county_min": {"350582": True}}}, "scenario.integer",
     "(it is true)"),
    # numbers are finite numbers
    ("radius-nan", {"stations": {"radius_urban_m": NAN}}, "scenario.number",
     "“stations.radius_urban_m” must be a number (it is nan)"),
    ("radius-inf", {"stations": {"radius_rural_m": INF}}, "scenario.number", "(it is inf)"),
    ("circuity-huge-int", {"circuity": 10**400}, "scenario.number", "(it is ~10^400)"),
    ("time-limit-bool", {"solver": {"time_limit_s": True}}, "scenario.number", "(it is true)"),
    ("gap-text", {"solver": {"gap": "0.5%"}}, "scenario.number", "(it is \"0.5%\")"),
    # text is text, without control characters
    ("name-number", {"name": 5}, "scenario.text", "“name” must be text (it is 5)"),
    ("name-list", {"name": ["a", "b"]}, "scenario.text", "(it is [\"a\", \"b\"])"),
    ("name-nul", {"name": "晋江\x00<script>"}, "scenario.control_char",
     "“name” contains the control character U+0000: remove it"),
    ("name-newline", {"name": "two\nlines"}, "scenario.control_char", "U+000A"),
    ("description-escape", {"description": "ok\n\x1b[31mred"}, "scenario.control_char",
     "“description” contains the control character U+001B"),
    ("region-number", {"region": 7}, "scenario.text", "“region” must be text (it is 7)"),
    # sections are mappings, choices are their words
    ("section-text", {"stations": "all"}, "scenario.section",
     "“stations” should be a group of parameters (a mapping), not \"all\""),
    ("section-list", {"solver": []}, "scenario.section", "“solver” should be a group"),
    ("choice-bool", {"stations": {"objective": True}}, "scenario.choice",
     "“stations.objective” must be one of p_median/mclp/set_cover (it is true)"),
    ("choice-null", {"distance_mode": None}, "scenario.choice", "(it is null)"),
    ("choice-list", {"solver": {"name": ["highs"]}}, "scenario.choice", "(it is [\"highs\"])"),
    ("key-number", {1: 2}, "scenario.unknown_field",
     "The scenario file has an unknown parameter “1”"),
    # bounds the scenario form enforced first, now for every scenario
    ("grid-1m", {"dense_grid_m": 1}, "scenario.grid_too_fine",
     "“dense_grid_m” of 1 m is too fine and would create far too many candidate sites"),
    ("circuity-half", {"circuity": 0.5}, "scenario.circuity_below_one",
     "“circuity” cannot be less than 1 (a road is never shorter than the straight line; "
     "it is 0.5)"),
    ("time-limit-week", {"solver": {"time_limit_s": 604_800}}, "scenario.time_limit_large",
     "“solver.time_limit_s” may not exceed 86,400 s (24 hours; it is 604,800)"),
    ("capacity-without-standard",
     {"stations": {"count": 80, "use_capacity": True, "capacity_standard": "none"}},
     "scenario.capacity_needs_standard",
     "“stations.use_capacity” is ticked but “stations.capacity_standard” is None"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "key", "english"),
    [case[1:] for case in TYPE_CASES],
    ids=[case[0] for case in TYPE_CASES],
)
def test_a_wrong_type_is_named_never_converted(data, key, english) -> None:
    base = {"stations": {"count": 80}}
    merged = {**base, **data}
    if isinstance(data.get("stations"), dict):
        merged["stations"] = {**base["stations"], **data["stations"]}
    problem = _only(merged)
    assert problem.key == key
    assert english in problem.message("en"), problem.message("en")
    zh = problem.message("zh")
    assert re.search("[\u4e00-\u9fff]", zh) and not re.search(r"\{[a-z]+\}", zh), zh


def test_the_issue_cases_in_both_languages() -> None:
    """The three silent coercions of the issue, each refused in Chinese and English."""
    with pytest.raises(PlannerError) as info:
        Scenario.from_dict(
            {
                "stations": {
                    "count": 80,
                    "required_sites": "350582001005",
                    "one_per_township": "false",
                },
                "centres": {"county_min": [1]},
            }
        )
    zh, en = info.value.message("zh"), info.value.message("en")
    assert zh.count("•") == en.count("•") == 3  # every problem at once
    assert "“stations.required_sites”必须是站点编号的列表" in zh
    assert '“stations.one_per_township”只能是 true 或 false（不加引号；当前为 "false"）' in zh
    assert "“centres.county_min”必须是区县编码到站点数的对应" in zh
    assert "must be true or false, without quotes" in en


def test_accepted_forms_are_kept_as_written() -> None:
    """What YAML writes for an unquoted code (an int) and 40.0 are accepted unchanged."""
    scenario = Scenario.from_dict(
        {
            "stations": {"count": 40.0, "required_sites": [350582001005, " 350582001006 "]},
            "centres": {"county_min": {350582: 1.0}, "excluded_sites": None},
            "description": "two\nlines are fine here",
        }
    )
    assert scenario.stations.count == 40 and isinstance(scenario.stations.count, int)
    assert scenario.stations.required_sites == ("350582001005", "350582001006")
    assert scenario.centres.county_min == {"350582": 1}
    assert scenario.centres.excluded_sites == ()


def test_a_scenario_built_directly_is_type_checked_too() -> None:
    bad = replace(Scenario(), stations=StationTier(count=80, required_sites="350582001005"))
    with pytest.raises(PlannerError) as info:
        bad.check()
    assert [p.key for p in info.value.details] == ["scenario.id_list"]
    broken = replace(Scenario(), stations="many")
    assert [p.key for p in broken.validate()] == ["scenario.section"]


# --- checks against the region (families 4 and 7) ----------------------------------------------


def _jinjiang(**changes):
    return default_scenario("jinjiang").with_changes(**changes)


def test_unknown_site_ids_are_named_for_both_tiers() -> None:
    region = load_region("jinjiang")
    scenario = _jinjiang(
        **{
            "stations.required_sites": ["350582001004", *[f"x{i}" for i in range(7)]],
            "centres.excluded_sites": ["350582001004"],  # a community, not a centre site
        }
    )
    with pytest.raises(PlannerError) as info:
        check_region(region, scenario)
    stations, centres = info.value.details
    assert stations.key == centres.key == "scenario.unknown_sites"
    assert stations.message("en") == (
        "Unknown site ids in “stations.required_sites” (7): x0, x1, x2, x3, x4… "
        "(candidate ids look like 350582001004)"
    )
    assert centres.message("zh") == (
        "“centres.excluded_sites”中有 1 个编号不是候选点：350582001004（候选点编号如 t350582001）"
    )


def test_a_run_refuses_unknown_ids_before_solving(monkeypatch) -> None:
    import planner.run as pipeline

    def never(*args, **kwargs):
        raise AssertionError("solved a scenario with unknown site ids")

    monkeypatch.setattr(pipeline, "solve_stations", never)
    scenario = _jinjiang(**{"centres.required_sites": ["t350582001", "t999"]})
    with pytest.raises(PlannerError) as info:
        pipeline.run_plan("jinjiang", scenario)
    (problem,) = info.value.details
    assert problem.key == "scenario.unknown_sites"
    assert "“centres.required_sites” (1): t999" in problem.message("en")


def test_a_run_refuses_more_sites_than_candidates(monkeypatch) -> None:
    """The form's count check applies to files and the API: 30 centres, 22 seats."""
    import planner.run as pipeline

    monkeypatch.setattr(pipeline, "solve_stations", lambda *a, **k: 1 / 0)
    with pytest.raises(PlannerError) as info:
        pipeline.run_plan("jinjiang", _jinjiang(**{"centres.count": 30}))
    (problem,) = info.value.details
    assert problem.message("en") == (
        "Sorting centres: 30 asked for, but only 22 candidate sites are available "
        "(22 candidates, 0 excluded)"
    )


def test_grid_ids_are_known_only_with_a_grid() -> None:
    region = load_region("jinjiang")
    grid_id = "g350582001004-000"
    without = region_problems(region, _jinjiang(**{"stations.excluded_sites": [grid_id]}))
    assert [p.key for p in without] == ["scenario.unknown_sites"]
    with_grid = _jinjiang(**{"stations.excluded_sites": [grid_id], "dense_grid_m": 200})
    assert [p.key for p in region_problems(region, with_grid)] == []


def test_region_checks_see_existing_sites() -> None:
    region = load_region("jinjiang")
    sites = gpd.GeoDataFrame(
        {"site_id": ["old1"], "tier": ["station"], "status": ["existing_close"]},
        geometry=[Point(118.57, 24.81)],
        crs="EPSG:4326",
    )
    region = replace(region, sites=sites)
    scenario = _jinjiang(**{"stations.required_sites": ["old1"]})
    assert region_problems(region, scenario) == []  # a candidate (required and closed:
    cands = CandidateSites.of_region(region, "stations")  # the run says which wins)
    assert "old1" in cands.ids and "old1" in cands.closed


def test_warnings_are_returned_not_raised() -> None:
    region = load_region("jinjiang")
    warnings = check_region(region, _jinjiang(**{"stations.count": 10}))
    assert [w.key for w in warnings] == ["scenario.township_rule"]
    assert warnings[0].message("en") == (
        "“At least one station in every township” needs 22 stations, but the city total is 10"
    )


# --- files: size, YAML alias expansion, nesting (family 5) -------------------------------------

LAUGHS = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip([None, *"abcdefgh"], "abcdefghi", strict=True)
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _load_error(path: Path) -> PlannerError:
    with pytest.raises(PlannerError) as info:
        Scenario.load(path)
    return info.value


def test_billion_laughs_is_refused_before_it_is_built(tmp_path) -> None:
    path = _write(tmp_path, "laughs.yaml", LAUGHS + "name: *i\n")
    assert path.stat().st_size < 500
    err = _load_error(path)
    assert err.key == "limit.exceeded"
    assert err.message("en") == (
        "Elements in a scenario file once YAML aliases are expanded: 926,177,115 is over the "
        "limit of 100,000 (set PLANNER_MAX_SCENARIO_NODES to change it)"
    )
    assert "PLANNER_MAX_SCENARIO_NODES" in err.message("zh")


def test_aliases_within_the_limit_still_load(tmp_path) -> None:
    path = _write(
        tmp_path, "ok.yaml", "sites: &s [350582001004]\nstations:\n  required_sites: *s\n"
    )
    err = _load_error(path)  # the anchor's own key is unknown, the alias itself is fine
    assert [p.key for p in err.details] == ["scenario.unknown_field"]


def test_a_long_text_repeated_by_aliases_is_refused(tmp_path) -> None:
    big = "x" * 600_000
    path = _write(tmp_path, "long.yaml", f"description: &d {big}\nname: *d\n")
    err = _load_error(path)
    assert err.key == "scenario.expanded_too_large"
    assert err.message("en").startswith("Once YAML aliases are expanded the text is 1,172 KB")


def test_a_recursive_alias_is_refused(tmp_path) -> None:
    err = _load_error(_write(tmp_path, "loop.yaml", "stations: &a {count: *a}\n"))
    assert err.key == "scenario.bad_file"
    assert err.message("en").endswith(": a YAML alias refers to itself")
    assert err.message("zh").endswith("：YAML 别名引用了自身")


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.json", "[" * 100_000 + "]" * 100_000),
        ("deep.yaml", "x: " + "[" * 5_000 + "]" * 5_000),
        ("deep.toml", "x = " + "[" * 5_000 + "]" * 5_000),
    ],
)
def test_deep_nesting_is_refused(tmp_path, name, text) -> None:
    err = _load_error(_write(tmp_path, name, text))
    assert err.key == "scenario.bad_file"
    assert err.message("en").endswith(": it is nested too deeply")


def test_file_size_limit_and_its_variable(tmp_path, monkeypatch) -> None:
    path = _write(tmp_path, "big.json", '{"description": "' + "x" * 3000 + '"}')
    Scenario.load(path)  # 3 KB is fine by default
    monkeypatch.setenv("PLANNER_MAX_SCENARIO_KB", "2")
    err = _load_error(path)
    assert err.key == "limit.exceeded"
    assert err.message("en") == (
        "Scenario file size (KB): 3 is over the limit of 2 (set PLANNER_MAX_SCENARIO_KB to "
        "change it)"
    )


def test_values_limit_applies_to_json_too(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PLANNER_MAX_SCENARIO_NODES", "50")
    ids = ", ".join(f'"{i}"' for i in range(100))
    err = _load_error(
        _write(tmp_path, "many.json", f'{{"stations": {{"excluded_sites": [{ids}]}}}}')
    )
    assert err.key == "limit.exceeded" and "105 is over the limit of 50" in err.message("en")


def test_an_endless_file_is_read_only_up_to_the_limit(tmp_path, monkeypatch) -> None:
    zero = Path("/dev/zero")
    if not zero.exists():
        pytest.skip("no /dev/zero here")
    link = tmp_path / "zero.yaml"
    link.symlink_to(zero)
    monkeypatch.setenv("PLANNER_MAX_SCENARIO_KB", "4")
    err = _load_error(link)
    assert err.key == "limit.exceeded" and "5 is over the limit of 4" in err.message("en")


@pytest.mark.parametrize(
    ("name", "content", "english"),
    [
        ("list.json", b"[1, 2]", "A scenario should be a mapping of parameters"),
        ("empty.yaml", b"", "not null"),
        ("latin1.yaml", "name: 晋江".encode("gbk"), "codec can't decode"),
        ("tag.yaml", b"name: !!python/object/apply:os.system [echo]", "could not determine"),
        ("broken.toml", b"x = [", "Invalid value"),
        ("nan.json", b'{"stations": {"count": NaN}}', "“stations.count” must be a whole number"),
    ],
)
def test_bad_files_are_one_message(tmp_path, name, content, english) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    err = _load_error(path)
    assert err.key in ("scenario.bad_file", "scenario.invalid")
    assert english in err.message("en")
    assert "\n" not in err.message("en").split("•")[0].strip()


def test_a_json_file_with_a_byte_order_mark_loads(tmp_path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + b'{"name": "Notepad", "stations": {"count": 80}}')
    assert Scenario.load(path).name == "Notepad"


# --- sweeps ------------------------------------------------------------------------------------


def _sweep_error(data) -> PlannerError:
    with pytest.raises(PlannerError) as info:
        SweepDefinition.from_dict(data, region="jinjiang")
    return info.value


def test_sweep_file_billion_laughs(tmp_path) -> None:
    path = _write(tmp_path, "sweep.yaml", LAUGHS + "parameters:\n  stations.count: *i\n")
    with pytest.raises(PlannerError) as info:
        SweepDefinition.load(path, region="jinjiang")
    assert info.value.key == "limit.exceeded"


def test_sweep_file_size(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PLANNER_MAX_SCENARIO_KB", "1")
    path = _write(tmp_path, "sweep.json", '{"description": "' + "x" * 2000 + '"}')
    with pytest.raises(PlannerError) as info:
        SweepDefinition.load(path, region="jinjiang")
    assert info.value.key == "limit.exceeded" and "PLANNER_MAX_SCENARIO_KB" in str(info.value)


def test_sweep_recursive_alias_names_the_sweep_file(tmp_path) -> None:
    path = _write(tmp_path, "sweep.yaml", "parameters: &p {stations.count: *p}\n")
    with pytest.raises(PlannerError) as info:
        SweepDefinition.load(path, region="jinjiang")
    assert info.value.key == "sweep.bad_file"
    assert info.value.message("en").endswith("a YAML alias refers to itself")


def test_sweep_points_limit_has_a_variable(monkeypatch) -> None:
    monkeypatch.setenv("PLANNER_MAX_SWEEP_POINTS", "3")
    err = _sweep_error({"parameters": {"stations.count": [40, 60, 80, 100]}})
    (problem,) = err.details
    assert problem.message("en") == (
        "The parameters make 4 points, more than the limit of 3: use fewer values or a "
        "larger step (set PLANNER_MAX_SWEEP_POINTS to change the limit)"
    )


@pytest.mark.parametrize(
    ("parameters", "english"),
    [
        ({"stations.count": {"start": 0, "stop": 1e300, "step": 1e-300}},
         "The parameters make ∞ points"),
        ({"stations.count": {"start": 1, "stop": 10**400, "step": 1}},
         "The range item stop of “stations.count” should be a number, not “~10^400”"),
        ({"stations.count": {"start": 1, "stop": NAN, "step": 1}},
         "should be a number, not “nan”"),
        ({"stations.count": "40, 60"}, "should be a list or a {start, stop, step} range, "
         "not “40, 60”"),
    ],
)  # fmt: skip
def test_sweep_ranges_that_would_crash_are_messages(parameters, english) -> None:
    assert english in _sweep_error({"parameters": parameters}).message("en")


def test_sweep_labels_are_text() -> None:
    err = _sweep_error(
        {"name": ["a"], "description": "x\x00", "parameters": {"stations.count": [40]}}
    )
    assert [p.key for p in err.details] == ["scenario.text", "scenario.control_char"]


def test_sweep_point_with_a_wrong_type_fails_with_the_scenario_message() -> None:
    definition = SweepDefinition.from_dict(
        {"parameters": {"stations.one_per_township": [True, "false"]}}, region="jinjiang"
    )
    ok, bad = definition.points()
    assert ok.scenario is not None and bad.scenario is None
    assert 'must be true or false, without quotes (it is "false")' in bad.error.message("en")


# --- family 10: the coordinate-system question ----------------------------------------------


@pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")
def test_undetermined_system_without_candidates_reads_well(tmp_path) -> None:
    from planner.data.io import import_layer

    frame = gpd.GeoDataFrame(
        {"code": ["030302001", "030302002"], "name": ["甲", "乙"]},
        geometry=[Point(1e6, 3e6), Point(1e6 + 10, 3e6 + 10)],
    )
    path = tmp_path / "points.gpkg"
    frame.to_file(path, driver="GPKG", engine="pyogrio")
    problem = import_layer(path, "townships").report.find("io.crs_ambiguous")
    assert problem is not None
    en, zh = problem.message("en"), problem.message("zh")
    assert en.startswith("The coordinate system of the file cannot be determined. ")
    assert zh.startswith("无法确定文件的坐标系。")
    assert "possibilities" not in en and "e.g. )" not in en and "例如 ）" not in zh


def test_one_and_many_candidate_systems_agree_in_number() -> None:
    from planner.data.checks import Problem, Term

    def ambiguous(candidates: list[str]) -> Problem:
        key = "io.crs_choices" if len(candidates) > 1 else "io.crs_choice"
        term = Term(key, {"count": len(candidates), "candidates": candidates})
        return Problem("io.crs_ambiguous", "needs_input", params={"choices": term, "reason": ""})

    assert "determined (possibly EPSG:4549)." in ambiguous(["EPSG:4549"]).message("en")
    assert "（可能是 EPSG:4549）" in ambiguous(["EPSG:4549"]).message("zh")
    many = ambiguous(["EPSG:4549", "EPSG:4527"])
    assert "(2 possibilities, e.g. EPSG:4549, EPSG:4527)" in many.message("en")
    assert "（共 2 种可能，例如 EPSG:4549、EPSG:4527）" in many.message("zh")


def test_shown_values_stay_short() -> None:
    from planner.scenario import shown

    assert shown("x" * 500).endswith("…") and len(shown("x" * 500)) == 60
    assert shown(math.pi) == "3.14159" and shown(1e7) == "10,000,000"
