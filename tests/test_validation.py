"""Tests of planner.data.checks: problems, reports and the individual checks."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, MultiPoint, Point, Polygon, box

import planner.data.checks
import planner.data.io
from planner.data.checks import (
    Problem,
    Term,
    ValidationReport,
    check_duplicates,
    check_geometries,
    check_hierarchy,
    check_outside_region,
    check_population_sums,
    clean_codes,
    feature_labels,
    fix_axis_order,
    match_columns,
    normalise_header,
    normalise_values,
    parse_numbers,
)
from planner.i18n import known, t

# --------------------------------------------------------------------------- report


def test_problem_renders_both_languages_with_examples() -> None:
    problem = Problem(
        "validate.duplicate_codes",
        "error",
        count=3,
        examples=("330302001001", "330302001002"),
        params={"level": Term("validate.level.communities"), "field": Term("validate.field.code")},
    )
    assert (
        problem.message("zh")
        == "3 个社区（村）编码重复（例如 330302001001、330302001002）。每个编码只能出现一次。"
    )
    assert problem.message("en") == (
        "3 community codes are duplicated (e.g. 330302001001, 330302001002). "
        "Each code may appear only once."
    )
    assert problem.blocking
    assert problem.details is None


def test_english_agrees_with_the_count() -> None:
    params = {"level": Term("validate.level.townships"), "field": Term("validate.field.code")}
    one = Problem("validate.duplicate_codes", "error", count=1, examples=("1",), params=params)
    two = Problem("validate.duplicate_codes", "error", count=2, examples=("1",), params=params)
    assert one.message("en").startswith("1 township code is duplicated")
    assert two.message("en").startswith("2 township codes are duplicated")


def test_problem_rejects_unknown_severity() -> None:
    with pytest.raises(ValueError):
        Problem("validate.code_missing", "fatal")


def test_problem_numbers_and_lists_are_formatted() -> None:
    problem = Problem(
        "validate.missing_column",
        "error",
        params={
            "field": Term("validate.field.code"),
            "field_id": "code",
            "columns": ["名称", "人口"],
        },
    )
    assert "名称、人口" in problem.message("zh")
    assert "名称, 人口" in problem.message("en")
    big = Problem("io.total_rows_dropped", "fixed", count=12345)
    assert "12,345" in big.message("en")


def test_report_ordering_flags_and_frame() -> None:
    report = ValidationReport(
        (
            Problem(
                "validate.kind_inferred",
                "fixed",
                count=2,
                params={"level": Term("validate.level.townships")},
            ),
            Problem(
                "validate.number_missing",
                "warning",
                count=1,
                examples=("330302001",),
                params={
                    "level": Term("validate.level.townships"),
                    "field": Term("validate.field.population"),
                },
            ),
            Problem("io.corrupt_file", "error", params={"name": "a.gpkg", "details": "boom"}),
            Problem(
                "io.multiple_layers",
                "needs_input",
                count=2,
                examples=("a", "b"),
                params={"name": "x.gpkg"},
            ),
        ),
        lang="en",
    )
    assert [p.severity for p in report.problems] == ["error", "needs_input", "warning", "fixed"]
    assert not report.ok
    assert [p.key for p in report.errors] == ["io.corrupt_file"]
    assert [p.key for p in report.warnings] == ["validate.number_missing"]
    assert [p.key for p in report.needs_input] == ["io.multiple_layers"]
    assert [p.key for p in report.fixed] == ["validate.kind_inferred"]
    assert report.find("io.corrupt_file").details == "boom"
    assert report.find("nope") is None

    english = report.messages()
    assert english[0].startswith("Error: The file “a.gpkg”")
    chinese = report.messages("zh")
    assert chinese[0].startswith("错误：文件“a.gpkg”")
    assert chinese[1].startswith("需要选择：")

    frame = report.to_frame("zh")
    assert list(frame.columns) == ["类别", "说明", "数量", "示例", "技术细节"]
    assert len(frame) == 4
    assert frame.iloc[0]["技术细节"] == "boom"
    assert frame.iloc[1]["示例"] == "a、b"
    assert list(report.to_frame().columns) == ["Type", "Message", "Count", "Examples", "Details"]

    inferred = Problem(
        "validate.kind_inferred", "fixed", params={"level": Term("validate.level.townships")}
    )
    combined = ValidationReport(lang="en") + ValidationReport((inferred,))
    assert combined.lang == "en" and combined.problems == (inferred,)
    assert combined.ok
    assert ValidationReport().to_frame().empty


def test_every_message_key_in_code_is_registered() -> None:
    keys = set()
    for package in (planner.data.io, planner.data.checks):
        for path in Path(package.__file__).parent.glob("*.py"):
            text = path.read_text(encoding="utf-8")
            keys |= set(re.findall(r"\"((?:io|validate)\.[a-z_.]+[a-z_])\"", text))
    assert len(keys) > 60
    missing = sorted(k for k in keys if not known(k))
    assert not missing
    for key in keys:
        assert t(key, "zh") != t(key, "en"), key


# --------------------------------------------------------------------------- columns


def test_normalise_header() -> None:
    assert normalise_header(" 常住人口（人） ") == "常住人口"
    assert normalise_header("Population (persons)") == "population"
    assert normalise_header("County_Code") == "countycode"
    assert normalise_header("ＡＤＣＯＤＥ") == "adcode"


def test_match_columns_recognises_chinese_and_english_names() -> None:
    mapping, problems = match_columns(
        ["统计用区划代码", "名称", "常住人口（人）", "户数", "所属乡镇代码", "备注"], "communities"
    )
    assert not problems
    assert mapping == {
        "code": "统计用区划代码",
        "name": "名称",
        "population": "常住人口（人）",
        "households": "户数",
        "township_code": "所属乡镇代码",
    }
    # "乡镇代码" is the code of a township, but the parent code of a community.
    assert match_columns(["乡镇代码", "乡镇名称"], "townships")[0] == {
        "code": "乡镇代码",
        "name": "乡镇名称",
    }
    assert (
        match_columns(["代码", "名称", "乡镇代码"], "communities")[0]["township_code"] == "乡镇代码"
    )
    assert match_columns(["adcode", "name", "pop"], "counties")[0] == {
        "code": "adcode",
        "name": "name",
        "population": "pop",
    }


def test_match_columns_explicit_map_both_directions() -> None:
    columns = ["ID_1", "Label", "人口"]
    mapping, problems = match_columns(columns, "townships", {"code": "ID_1", "Label": "name"})
    assert not problems
    assert mapping["code"] == "ID_1" and mapping["name"] == "Label"
    _, problems = match_columns(columns, "townships", {"code": "ID_2", "name": "Label"})
    assert [p.key for p in problems] == ["validate.column_not_found"]
    assert "ID_1" in problems[0].message("en")


def test_match_columns_missing_and_suggestion() -> None:
    _, problems = match_columns(["名称", "面积"], "townships")
    assert [p.key for p in problems] == ["validate.missing_column"]
    assert "面积" in problems[0].message("zh")
    _, problems = match_columns(["adcod", "名称"], "townships")
    assert [p.key for p in problems] == ["validate.missing_column_suggest"]
    assert problems[0].params["column"] == "adcod"
    assert "adcod" in problems[0].message("en")
    # Sites need nothing: IDs, tier and status have defaults.
    assert match_columns(["x"], "sites") == ({}, [])


# --------------------------------------------------------------------------- codes


def test_clean_codes_text_numbers_and_padding() -> None:
    raw = pd.Series(
        [330302001, 330302002.0, "330302003.0", " 330302004 ", "3.30302005E+8", "330302006000"],
        dtype=object,
    )
    codes, problems = clean_codes(raw, 9, level="townships")
    assert list(codes) == [
        "330302001",
        "330302002",
        "330302003",
        "330302004",
        "330302005",
        "330302006",
    ]
    assert pd.api.types.is_string_dtype(codes)
    assert [p.key for p in problems] == ["validate.code_truncated"]
    assert problems[0].count == 1


def test_clean_codes_scientific_notation() -> None:
    raw = pd.Series(["3.30302E+11", "3.30302001001E+11"], dtype=object)
    codes, problems = clean_codes(raw, 12, level="communities")
    assert [p.key for p in problems] == ["validate.code_scientific"]
    assert problems[0].examples == ("#1: 3.30302E+11",)
    assert list(codes) == ["330302000000", "330302001001"]
    # A county code survives: six digits were shown.
    codes, problems = clean_codes(pd.Series(["3.30302E+11"]), 6, level="counties")
    assert list(codes) == ["330302"] and [p.key for p in problems] == ["validate.code_truncated"]


def test_clean_codes_problems() -> None:
    raw = pd.Series(["33030200A", None, "3303020011", "330302001"], dtype=object)
    codes, problems = clean_codes(raw, 9, level="townships")
    keys = {p.key: p for p in problems}
    assert set(keys) == {
        "validate.code_missing",
        "validate.code_not_digits",
        "validate.code_wrong_length",
    }
    assert keys["validate.code_missing"].examples == ("#2",)
    assert keys["validate.code_not_digits"].examples == ("33030200A",)
    assert "10" not in keys["validate.code_wrong_length"].message("en")
    assert "9 digits" in keys["validate.code_wrong_length"].message("en")
    assert list(codes)[1] == ""
    # Free-form identifiers (site IDs) are only cleaned.
    ids, problems = clean_codes(pd.Series(["A-01", 7]), None, level="sites", required=False)
    assert list(ids) == ["A-01", "7"] and not problems


def test_check_duplicates_merges_parts_and_reports_conflicts() -> None:
    gdf = gpd.GeoDataFrame(
        {"code": ["1", "1", "2", "2", "3"], "name": ["a", "a", "b", "c", "d"]},
        geometry=[
            box(0, 0, 1, 1),
            box(2, 0, 3, 1),
            box(0, 2, 1, 3),
            box(2, 2, 3, 3),
            box(5, 5, 6, 6),
        ],
    )
    out, problems = check_duplicates(gdf, "code", level="townships")
    keys = {p.key: p for p in problems}
    assert keys["validate.duplicate_merged"].examples == ("1",)
    assert keys["validate.duplicate_codes"].examples == ("2",)
    assert len(out) == 4
    assert out.geometry.iloc[0].geom_type == "MultiPolygon"
    assert len(gdf) == 5  # input untouched
    assert check_duplicates(gdf.iloc[[0, 2, 4]], "code", level="townships")[1] == []


# --------------------------------------------------------------------------- numbers


def test_parse_numbers() -> None:
    raw = pd.Series(["1,234", "1.5万", " 12 人", "", "abc", "-5", 7.6], dtype=object)
    labels = [f"u{i}" for i in range(len(raw))]
    numbers, problems = parse_numbers(
        raw, field_name="population", level="townships", labels=labels
    )
    assert str(numbers.dtype) == "Int64"
    assert list(numbers[:3]) == [1234, 15000, 12]
    assert numbers.iloc[6] == 8
    assert pd.isna(numbers.iloc[3]) and pd.isna(numbers.iloc[4])
    keys = {p.key: p for p in problems}
    assert keys["validate.number_not_numeric"].examples == ("u4: abc",)
    assert keys["validate.number_negative"].examples == ("u5: -5",)
    assert keys["validate.number_missing"].severity == "warning"
    floats, _ = parse_numbers(
        pd.Series(["2.5"]), field_name="capacity", level="sites", labels=["s"], integer=False
    )
    assert floats.dtype == np.float64 and floats.iloc[0] == 2.5


def test_normalise_values() -> None:
    values, unknown = normalise_values(
        pd.Series(["保留", "candidate", None, "待定"], dtype=object),
        ("existing_keep", "existing_close", "candidate"),
        {"保留": "existing_keep"},
    )
    assert list(values) == ["existing_keep", "candidate", "", "待定"]
    assert unknown == [False, False, False, True]


# --------------------------------------------------------------------------- geometry


def _gdf(geoms: list, crs: str | None = "EPSG:4326") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": [f"33030200{i}" for i in range(len(geoms))]}, geometry=geoms, crs=crs
    )


def test_check_geometries_repairs_bowtie_and_rejects_collapsed() -> None:
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    collapsed = Polygon([(0, 0), (1, 1), (2, 2), (0, 0)])
    gdf = _gdf([bowtie, collapsed, box(0, 0, 1, 1)], crs=None)
    out, problems = check_geometries(gdf, "townships", feature_labels(gdf))
    keys = {p.key: p for p in problems}
    assert keys["validate.geometry_invalid_fixed"].examples == ("330302000",)
    assert keys["validate.geometry_invalid"].examples == ("330302001",)
    assert keys["validate.geometry_invalid"].details  # GEOS's reason is kept
    assert out.geometry.iloc[0].is_valid and out.geometry.iloc[0].area == pytest.approx(0.5)
    assert not gdf.geometry.iloc[0].is_valid  # input untouched


def test_check_geometries_types_and_empties() -> None:
    gdf = _gdf([Point(1, 1), LineString([(0, 0), (1, 1)]), None, MultiPoint([(2, 2)])])
    _, problems = check_geometries(gdf, "townships", feature_labels(gdf))
    keys = {p.key: p for p in problems}
    assert keys["validate.geometry_wrong_type"].count == 3
    assert keys["validate.geometry_empty"].examples == ("330302002",)
    out, problems = check_geometries(gdf.iloc[[0, 3]], "sites", ["a", "b"])
    assert [p.key for p in problems] == ["validate.geometry_simplified"]
    assert out.geometry.iloc[1].geom_type == "Point"
    # Communities may be points or polygons.
    _, problems = check_geometries(_gdf([Point(0, 0), box(0, 0, 1, 1)]), "communities", ["a", "b"])
    assert problems == []


def test_fix_axis_order_swapped_degrees() -> None:
    gdf = _gdf([Point(28.0, 120.6), Point(28.1, 120.7)], crs=None)
    out, problems, projected = fix_axis_order(gdf, ["a", "b"], geographic=None)
    assert [p.key for p in problems] == ["validate.lonlat_swapped"]
    assert out.geometry.iloc[0].equals(Point(120.6, 28.0))
    assert not projected
    # Only one row swapped: fixed and named.
    gdf = _gdf([Point(120.6, 28.0), Point(28.1, 120.7), Point(120.5, 28.2)], crs=None)
    out, problems, _ = fix_axis_order(gdf, ["a", "b", "c"], geographic=None)
    assert problems[0].examples == ("b",)
    assert out.geometry.iloc[1].equals(Point(120.7, 28.1))


def test_fix_axis_order_out_of_range_and_projected() -> None:
    gdf = _gdf([Point(120.6, 28.0), Point(120.7, 28.1), Point(1200.7, 28.1)], crs=None)
    _, problems, _ = fix_axis_order(gdf, ["a", "b", "c"], geographic=None)
    assert [p.key for p in problems] == ["validate.coords_out_of_range"]
    assert problems[0].examples == ("c",)
    # Gauss-Krüger with X = northing (surveyors' order): swapped back.
    gdf = _gdf([Point(3_100_000, 40_500_000), Point(3_101_000, 40_501_000)], crs=None)
    out, problems, projected = fix_axis_order(gdf, ["a", "b"], geographic=None)
    assert projected
    assert [p.key for p in problems] == ["validate.xy_swapped"]
    assert out.geometry.iloc[0].equals(Point(40_500_000, 3_100_000))
    # Correct Gauss-Krüger order is left alone.
    out, problems, projected = fix_axis_order(out, ["a", "b"], geographic=None)
    assert projected and problems == []
    assert fix_axis_order(out, ["a", "b"], geographic=False)[1] == []


def test_check_outside_region() -> None:
    region = box(120.55, 27.95, 120.75, 28.10)
    gdf = _gdf([Point(120.6, 28.0), Point(120.755, 28.0), Point(121.5, 28.0)])
    problems = check_outside_region(gdf, region, level="sites", labels=["a", "b", "c"])
    assert [p.key for p in problems] == ["validate.outside_region"]
    assert problems[0].examples == ("c",)  # b is within the 1 km tolerance
    assert "1 km" in problems[0].message("en")
    problems = check_outside_region(gdf.iloc[[2]], region, level="sites", labels=["c"])
    assert [p.key for p in problems] == ["validate.all_outside_region"]
    assert check_outside_region(gdf, None, level="sites", labels=["a", "b", "c"]) == []


# --------------------------------------------------------------------------- hierarchy


def test_check_hierarchy() -> None:
    counties = pd.DataFrame({"code": ["330302"]})
    towns = pd.DataFrame(
        {
            "code": ["330302001", "330303001", "330304001"],
            "county_code": ["330302", "330302", "330304"],
        }
    )
    problems = check_hierarchy(
        towns, "townships", {"counties": counties}, ["330302001", "330303001", "330304001"]
    )
    keys = {p.key: p for p in problems}
    assert keys["validate.code_parent_mismatch"].examples == ("330303001 / 330302",)
    assert keys["validate.parent_not_found"].examples == ("330304",)
    assert "330304" in keys["validate.parent_not_found"].message("zh")
    assert check_hierarchy(towns.iloc[:1], "townships", None, ["x"]) == []


def test_check_population_sums() -> None:
    counties = pd.DataFrame(
        {
            "code": ["330302", "330303", "330304"],
            "name": ["鹿城区", "龙湾区", "瓯海区"],
            "population": [1000, 2000, 3000],
        }
    )
    towns = pd.DataFrame(
        {
            "county_code": ["330302", "330302", "330303", "330304", "330304"],
            "population": pd.array([500, 520, 1000, 1500, None], dtype="Int64"),
        }
    )
    problems = check_population_sums(towns, "townships", {"counties": counties})
    assert len(problems) == 1
    problem = problems[0]
    # 330302 sums to 1,020 (+2%, within tolerance); 330303 to 1,000 (-50%); 330304 has a gap.
    assert problem.count == 1
    assert problem.examples == ("龙湾区 1,000 ≠ 2,000 (-50.0%)",)
    assert "5%" in problem.message("en") and "5%" in problem.message("zh")
    assert check_population_sums(towns, "townships", None) == []
