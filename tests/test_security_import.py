"""Hostile and careless inputs to the importers: resource limits, numbers, invisible text.

Issue 14, families 5 (resource limits of imports, road files, candidates and demand),
6 (the population parser) and 10 (a NUL truncating a name; fractions rounded without a
note). Each case asserts the specific message key and its values. Limits are lowered
with their environment variables so that every file here stays small.
"""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from planner.data.checks import POPULATION_BOUND, ValidationReport, parse_numbers
from planner.data.io import import_layer, import_population, read_table
from planner.data.regions import load_region
from planner.i18n import PlannerError
from planner.instance.candidates import centre_candidates, station_candidates
from planner.instance.network import RoadNetwork, read_road_lines
from planner.scenario import default_scenario

pytestmark = pytest.mark.filterwarnings(
    "ignore:Column names longer than 10:UserWarning",
    "ignore:Normalized/laundered field name:RuntimeWarning",
)

MB = 1 << 20
TOWN = "330302001"


class Upload(io.BytesIO):
    """Like Streamlit's UploadedFile: bytes plus a file name."""

    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data)
        self.name = name


def only(report: ValidationReport, key: str):
    found = [p for p in report.problems if p.key == key]
    assert len(found) == 1, (key, report.messages("en"))
    return found[0]


def limit_problem(report: ValidationReport, name: str, env: str):
    """The one ``limit.exceeded`` problem of ``report``, checked to be about ``name``."""
    assert report.keys == ("limit.exceeded",), report.messages("en")
    problem = report.problems[0]
    assert problem.severity == "error"
    assert problem.params["what"].key == f"limit.{name}"
    assert problem.params["env"] == env
    assert env in problem.message("zh") and env in problem.message("en")
    return problem


def communities_csv(n: int, extra: str = "") -> str:
    rows = [f"{TOWN}{i:03d},村{i},120.6{i % 10},28.0{i % 10},{1000 + i}" for i in range(n)]
    return "code,name,lon,lat,population\n" + "\n".join(rows) + "\n" + extra


def township_layer(population: int = 10_000, quality: str | None = None) -> gpd.GeoDataFrame:
    layer = gpd.GeoDataFrame(
        {
            "code": [TOWN],
            "name": ["五马街道"],
            "county_code": ["330302"],
            "population": [population],
        },
        geometry=[box(120.55, 27.95, 120.70, 28.10)],
        crs="EPSG:4326",
    )
    if quality:
        layer["population_quality"] = quality
    return layer


def community_layer() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "code": [f"{TOWN}001", f"{TOWN}002"],
            "name": ["五马社区", "南汇社区"],
            "township_code": [TOWN, TOWN],
            "population": [1_000, 2_000],
        },
        geometry=[Point(120.60, 28.00), Point(120.61, 28.01)],
        crs="EPSG:4326",
    )


def geojson_text(names: list[str], populations: list[object] | None = None) -> str:
    """GeoJSON text with community points; ``names`` are JSON string literals as written."""
    features = []
    for i, name in enumerate(names):
        population = json.dumps(populations[i]) if populations else "1000"
        code = f"{TOWN}{i + 1:03d}"
        features.append(
            f'{{"type":"Feature","properties":{{"code":"{code}","name":{name},'
            f'"population":{population}}},"geometry":{{"type":"Point",'
            f'"coordinates":[120.6{i},28.0{i}]}}}}'
        )
    return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"


def shapefile_zip(tmp_path: Path, n: int = 1, extra: dict[str, bytes] | None = None) -> Path:
    folder = tmp_path / "shp"
    folder.mkdir(exist_ok=True)
    gpd.GeoDataFrame(
        {"code": [f"{TOWN}{i:03d}" for i in range(n)], "name": [f"村{i}" for i in range(n)]},
        geometry=[Point(120.6, 28.0)] * n,
        crs="EPSG:4326",
    ).to_file(folder / "villages.shp")
    path = tmp_path / "villages.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(folder.iterdir()):
            archive.write(part, part.name)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


# --------------------------------------------------------------------------- file size


def test_file_over_the_upload_limit_is_refused_by_size(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PLANNER_MAX_UPLOAD_MB", "1")
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * (3 * MB // 2))
    problem = limit_problem(
        import_layer(path, "communities").report, "upload_mb", "PLANNER_MAX_UPLOAD_MB"
    )
    assert (problem.params["value"], problem.params["maximum"]) == ("1.5", "1")
    assert problem.message("zh") == (
        "上传文件大小（MB）超出上限：1.5 > 1（可通过环境变量 PLANNER_MAX_UPLOAD_MB 调整）"
    )
    assert problem.message("en") == (
        "Upload size (MB): 1.5 is over the limit of 1 (set PLANNER_MAX_UPLOAD_MB to change it)"
    )


def test_upload_over_the_limit_is_refused_before_it_is_read(monkeypatch) -> None:
    monkeypatch.setenv("PLANNER_MAX_UPLOAD_MB", "1")

    class HugeUpload:  # Streamlit's UploadedFile knows its size before it is read
        name = "huge.csv"
        size = 2 * MB

        def getvalue(self) -> bytes:
            raise AssertionError("the upload was read")

    report = import_population(HugeUpload(), "townships", township_layer()).report
    assert limit_problem(report, "upload_mb", "PLANNER_MAX_UPLOAD_MB").params["value"] == "2"


def test_the_environment_variable_raises_the_upload_limit(tmp_path, monkeypatch) -> None:
    path = tmp_path / "villages.csv"
    path.write_text(communities_csv(3) + "#" * (3 * MB // 2) + "\n")
    monkeypatch.setenv("PLANNER_MAX_UPLOAD_MB", "1")
    with pytest.raises(PlannerError) as refused:
        read_table(path)
    assert refused.value.key == "limit.exceeded"
    monkeypatch.setenv("PLANNER_MAX_UPLOAD_MB", "2")
    assert len(read_table(path)) == 4  # three villages and the "#…" line


# --------------------------------------------------------------------------- rows


def test_table_one_row_over_the_row_limit(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PLANNER_MAX_ROWS", "100")
    path = tmp_path / "villages.csv"
    path.write_text(communities_csv(100))
    assert import_layer(path, "communities", coordinate_system="wgs84").ok
    path.write_text(communities_csv(101))
    report = import_layer(path, "communities", coordinate_system="wgs84").report
    problem = limit_problem(report, "rows", "PLANNER_MAX_ROWS")
    assert (problem.params["value"], problem.params["maximum"]) == ("101", "100")


def test_long_table_is_refused_without_parsing_it_all(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PLANNER_MAX_ROWS", "100")
    path = tmp_path / "villages.csv"
    path.write_text(communities_csv(20_000))
    asked: list[object] = []
    read_csv = pd.read_csv

    def spy(*args, **kwargs):
        asked.append(kwargs.get("nrows"))
        return read_csv(*args, **kwargs)

    monkeypatch.setattr(pd, "read_csv", spy)
    report = import_layer(path, "communities", coordinate_system="wgs84").report
    assert limit_problem(report, "rows", "PLANNER_MAX_ROWS").params["value"] == "20,000"
    assert asked == [100 + 10 + 1]  # the limit, the title rows a header may sit under, one more


def test_layer_over_the_row_limit_is_refused_before_a_frame_is_built(tmp_path, monkeypatch) -> None:
    path = tmp_path / "villages.geojson"
    path.write_text(geojson_text([json.dumps(f"村{i}") for i in range(12)]))
    monkeypatch.setenv("PLANNER_MAX_ROWS", "11")

    def never(*args, **kwargs):
        raise AssertionError("the layer was read")

    monkeypatch.setattr("planner.data.io.ogr.pyogrio.read_dataframe", never)
    report = import_layer(path, "communities").report
    assert limit_problem(report, "rows", "PLANNER_MAX_ROWS").params["value"] == "12"


def test_zipped_shapefile_over_the_row_limit(tmp_path, monkeypatch) -> None:
    path = shapefile_zip(tmp_path, n=6)
    monkeypatch.setenv("PLANNER_MAX_ROWS", "5")
    report = import_layer(path, "communities").report
    assert limit_problem(report, "rows", "PLANNER_MAX_ROWS").params["value"] == "6"


def test_workbook_over_the_row_limit(tmp_path, monkeypatch) -> None:
    path = tmp_path / "人口.xlsx"
    pd.DataFrame({"乡镇代码": [TOWN] * 8, "常住人口": ["1"] * 8}).to_excel(path, index=False)
    monkeypatch.setenv("PLANNER_MAX_ROWS", "7")
    report = import_population(path, "townships", township_layer()).report
    assert limit_problem(report, "rows", "PLANNER_MAX_ROWS").params["value"] == "8"


# --------------------------------------------------------------------------- archives


def test_zip_bomb_is_refused_by_its_ratio_before_extracting(tmp_path, monkeypatch) -> None:
    # 12 MB of zeros packs into ~12 KB: a ratio of about 1,000.
    path = shapefile_zip(tmp_path, extra={"villages.xml": bytes(12 * MB)})
    assert path.stat().st_size < 100_000

    def never(*args, **kwargs):
        raise AssertionError("a member was extracted")

    monkeypatch.setattr("planner.data.io.archives.shutil.copyfileobj", never)
    report = import_layer(path, "communities").report
    problem = limit_problem(report, "zip_ratio", "PLANNER_MAX_ZIP_RATIO")
    assert float(problem.params["value"].replace(",", "")) > 100
    assert problem.params["maximum"] == "100"
    assert problem.message("zh").startswith("压缩包压缩比超出上限：")


def test_zip_unpacking_over_the_size_limit(tmp_path, monkeypatch) -> None:
    noise = np.random.default_rng(0).bytes(2 * MB)  # incompressible: a low ratio
    path = shapefile_zip(tmp_path, extra={"villages.xml": noise})
    monkeypatch.setenv("PLANNER_MAX_UNZIPPED_MB", "1")
    problem = limit_problem(
        import_layer(path, "communities").report, "unzipped_mb", "PLANNER_MAX_UNZIPPED_MB"
    )
    assert problem.params["value"] == "2.0" and problem.params["maximum"] == "1"


def test_zip_with_too_many_members(tmp_path, monkeypatch) -> None:
    path = shapefile_zip(tmp_path, extra={f"readme{i}.txt": b"x" for i in range(20)})
    monkeypatch.setenv("PLANNER_MAX_ZIP_MEMBERS", "10")
    problem = limit_problem(
        import_layer(path, "communities").report, "zip_members", "PLANNER_MAX_ZIP_MEMBERS"
    )
    members = len(zipfile.ZipFile(path).infolist())
    assert problem.params["value"] == str(members) and members > 20


def test_a_workbook_is_an_archive_too(tmp_path, monkeypatch) -> None:
    path = tmp_path / "人口.xlsx"
    pd.DataFrame({"乡镇代码": [TOWN], "常住人口": ["1"]}).to_excel(path, index=False)
    members = len(zipfile.ZipFile(path).infolist())
    monkeypatch.setenv("PLANNER_MAX_ZIP_MEMBERS", str(members - 1))
    report = import_population(path, "townships", township_layer()).report
    assert limit_problem(report, "zip_members", "PLANNER_MAX_ZIP_MEMBERS").params["value"] == str(
        members
    )


def test_zip_member_lying_about_its_size_is_not_unpacked_beyond_it(tmp_path) -> None:
    """A member whose directory says 100 bytes but which inflates to 1 MB."""
    path = shapefile_zip(tmp_path, extra={"villages.xml": bytes(MB)})
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("villages.xml")
    stated = MB.to_bytes(4, "little")
    for start in [i for i in range(len(data)) if data[i : i + 4] == stated]:
        data[start : start + 4] = (100).to_bytes(4, "little")  # local header and directory
    path.write_bytes(bytes(data))
    assert zipfile.ZipFile(path).getinfo("villages.xml").file_size == 100
    assert info.file_size == MB
    report = import_layer(path, "communities").report
    assert report.keys == ("io.corrupt_zip",), report.messages("en")


# --------------------------------------------------------------------------- road files


def test_road_file_over_the_road_limit_is_refused_before_parsing(tmp_path, monkeypatch) -> None:
    path = tmp_path / "roads.osm"
    path.write_bytes(b"<osm>" + b" " * (3 * MB // 2))  # not even valid XML: never parsed
    monkeypatch.setenv("PLANNER_MAX_ROAD_MB", "1")
    with pytest.raises(PlannerError) as refused:
        RoadNetwork.from_file(path)
    assert refused.value.key == "limit.exceeded"
    assert refused.value.params["env"] == "PLANNER_MAX_ROAD_MB"
    assert refused.value.params["value"] == "1.5"
    with pytest.raises(PlannerError) as drawn:
        read_road_lines(path)
    assert drawn.value.params["env"] == "PLANNER_MAX_ROAD_MB"


def test_road_lines_are_bounded_by_size_not_rows(tmp_path, monkeypatch) -> None:
    lines = gpd.GeoDataFrame(
        geometry=[
            LineString([(120.60, 28.0 + i / 1000), (120.61, 28.0 + i / 1000)]) for i in range(8)
        ],
        crs="EPSG:4326",
    )
    path = tmp_path / "roads.geojson"
    lines.to_file(path)
    monkeypatch.setenv("PLANNER_MAX_ROWS", "3")  # a layer of units would be refused
    assert len(read_road_lines(path)) == 8
    monkeypatch.setenv("PLANNER_MAX_ROAD_MB", str(path.stat().st_size / MB / 2))
    with pytest.raises(PlannerError) as refused:
        read_road_lines(path)
    assert refused.value.params["env"] == "PLANNER_MAX_ROAD_MB"


def test_road_upload_check_names_the_limit_in_both_languages(monkeypatch) -> None:
    from planner.instance.road_check import check_road_file

    monkeypatch.setenv("PLANNER_MAX_ROAD_MB", "1")
    check = check_road_file(load_region("jinjiang"), "路网.osm", b"<osm/>" + bytes(2 * MB))
    assert not check.ok
    (kind, text), *_ = check.messages
    assert kind == "error"
    assert text["zh"].startswith("路网未导入：道路文件大小（MB）超出上限：2.0 > 1")
    assert text["en"].startswith("Not imported: Road file size (MB): 2.0 is over the limit of 1")


# --------------------------------------------------------------------------- candidates, demand


@pytest.fixture(scope="module")
def jinjiang():
    return load_region("jinjiang")


def test_one_metre_grid_is_refused_before_any_point_is_made(jinjiang, monkeypatch) -> None:
    def never(*args, **kwargs):
        raise AssertionError("grid points were made")

    monkeypatch.setattr("planner.instance.candidates._dense_grid", never)
    scenario = dataclasses.replace(default_scenario("jinjiang"), dense_grid_m=1.0)
    with pytest.raises(PlannerError) as refused:
        station_candidates(jinjiang, scenario)
    err = refused.value
    assert err.key == "limit.exceeded" and err.params["env"] == "PLANNER_MAX_CANDIDATES"
    assert int(err.params["value"].replace(",", "")) > 1_000_000
    assert err.params["maximum"] == "60,000"
    assert err.message("zh").startswith("候选站点数超出上限：")


def test_candidates_over_the_limit_without_a_grid(jinjiang, monkeypatch) -> None:
    n = len(jinjiang.communities)
    monkeypatch.setenv("PLANNER_MAX_CANDIDATES", str(n - 1))
    with pytest.raises(PlannerError) as refused:
        station_candidates(jinjiang, default_scenario("jinjiang"))
    assert refused.value.params["value"] == f"{n:,}"
    monkeypatch.setenv("PLANNER_MAX_CANDIDATES", str(len(jinjiang.townships) - 1))
    with pytest.raises(PlannerError) as centres:
        centre_candidates(jinjiang)
    assert centres.value.params["value"] == f"{len(jinjiang.townships):,}"


def test_demand_points_over_the_limit(jinjiang, monkeypatch) -> None:
    monkeypatch.setenv("PLANNER_MAX_DEMAND", "100")
    with pytest.raises(PlannerError) as refused:
        station_candidates(jinjiang, default_scenario("jinjiang"))
    err = refused.value
    assert err.params["env"] == "PLANNER_MAX_DEMAND"
    assert err.params["value"] == f"{len(jinjiang.communities):,}"
    assert err.message("en").startswith("Number of demand points: ")


# --------------------------------------------------------------------------- numbers


def parse(values: list[object], field_name: str = "population", level: str = "communities"):
    labels = [f"r{i + 1}" for i in range(len(values))]
    integer = field_name in ("population", "households")
    numbers, problems = parse_numbers(
        pd.Series(values, dtype=object),
        field_name=field_name,
        level=level,
        labels=labels,
        integer=integer,
    )
    return numbers, ValidationReport(tuple(problems))


@pytest.mark.parametrize(
    "cell",
    [
        "16433,5",  # decimal comma: was read as 164,335
        "1,2",  # was read as 12
        "1.234,5",  # European decimal comma
        "16,43",  # a comma that is not a thousands group
        "1,23,456",  # lakh grouping
        "12 34",  # a space that is not a thousands group
        "1.234",  # a count: 1.234 people or 1,234?
        "1,234 567",  # two different separators
    ],
)
def test_ambiguous_separators_are_reported_not_guessed(cell) -> None:
    numbers, report = parse(["100", cell])
    problem = only(report, "validate.number_ambiguous")
    assert problem.severity == "error" and problem.examples == (f"r2: {cell}",)
    assert pd.isna(numbers.iloc[1]) and numbers.iloc[0] == 100
    assert "16,433" in problem.message("en") and "16,433" in problem.message("zh")


@pytest.mark.parametrize("cell", ["1e15", "1.2E+05", "3.30302E+11"])
def test_scientific_notation_is_refused(cell) -> None:
    numbers, report = parse([cell])
    assert only(report, "validate.number_scientific").examples == (f"r1: {cell}",)
    assert pd.isna(numbers.iloc[0])


@pytest.mark.parametrize("cell", ["inf", "-Infinity", "nan", "NaN", "12%", "约六千", "(120)"])
def test_words_python_would_take_for_numbers_are_not_numbers(cell) -> None:
    _, report = parse([cell])
    assert only(report, "validate.number_not_numeric").examples == (f"r1: {cell}",)


@pytest.mark.parametrize("cell", ["-5", "\u22125", "－5"])
def test_negative_counts_in_any_minus_sign(cell) -> None:
    _, report = parse([cell])
    assert only(report, "validate.number_negative").examples == ("r1: -5",)


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("16433", 16_433),
        ("16,433", 16_433),
        ("16 433", 16_433),
        ("16\u00a0433", 16_433),  # no-break space, as Excel exports French locales
        ("16'433", 16_433),
        ("１６４３３", 16_433),  # full-width digits
        ("１６，４３３", 16_433),  # full-width comma
        ("16,433人", 16_433),
        (" 16433 人 ", 16_433),
        ("1.6433万", 16_433),
        ("1.6433万人", 16_433),
        ("1,234,567", 1_234_567),
        ("1.234.567", 1_234_567),  # two dots cannot be a decimal point
        ("16433.0", 16_433),
        (16433, 16_433),
        (16433.0, 16_433),
    ],
)
def test_count_formats_read_exactly_and_silently(cell, value) -> None:
    numbers, report = parse([cell], level="counties")
    assert numbers.iloc[0] == value
    assert report.problems == ()


def test_fractions_are_rounded_half_up_with_a_warning_naming_the_rows() -> None:
    numbers, report = parse(["12.5", "100", 7.6, "1,234.4", "0.5"])
    assert list(numbers) == [13, 100, 8, 1_234, 1]
    problem = only(report, "validate.number_rounded")
    assert problem.severity == "warning" and problem.count == 4
    assert problem.examples == (
        "r1: 12.5 → 13",
        "r3: 7.6 → 8",
        "r4: 1,234.4 → 1,234",
        "r5: 0.5 → 1",
    )
    assert problem.message("zh").startswith("4 个社区（村）的人口不是整数，已四舍五入为整数")
    assert problem.message("en").startswith("4 community population values were not whole")


@pytest.mark.parametrize(
    ("level", "cell"),
    [
        ("counties", "60,000,000"),
        ("townships", "5,000,001"),
        ("communities", 1e15),  # a number cell (GeoJSON, GeoPackage): no separators to blame
        ("communities", "164,335,000"),
    ],
)
def test_implausible_populations_are_refused(level, cell) -> None:
    numbers, report = parse([cell], level=level)
    problem = only(report, "validate.number_implausible")
    assert problem.params["maximum"] == POPULATION_BOUND[level]
    assert f"{POPULATION_BOUND[level]:,}" in problem.message("en")
    assert pd.isna(numbers.iloc[0])


def test_households_follow_the_count_rules() -> None:
    _, report = parse(["1,2", "2,500,000"], field_name="households")
    assert only(report, "validate.number_ambiguous").examples == ("r1: 1,2",)
    assert only(report, "validate.number_implausible").examples == ("r2: 2,500,000",)


def test_capacity_decimals_use_a_dot_and_a_decimal_comma_is_ambiguous() -> None:
    numbers, report = parse(["1.234", "2,5", "1,500.5"], field_name="capacity", level="sites")
    assert numbers.iloc[0] == pytest.approx(1.234) and numbers.iloc[2] == pytest.approx(1500.5)
    assert only(report, "validate.number_ambiguous").examples == ("r2: 2,5",)


def test_population_file_with_a_decimal_comma_is_refused(tmp_path) -> None:
    path = tmp_path / "人口.csv"
    path.write_text('乡镇代码,常住人口\n330302001,"16433,5"\n', encoding="utf-8")
    result = import_population(path, "townships", township_layer())
    assert result.data is None
    problem = only(result.report, "validate.number_ambiguous")
    assert problem.examples == ("330302001: 16433,5",)
    assert "330302001: 16433,5" in problem.message("zh")


def test_community_with_more_people_than_its_township(tmp_path) -> None:
    path = tmp_path / "villages.geojson"
    path.write_text(geojson_text(['"五马社区"', '"南汇社区"'], [164_335, 2_000]))
    parents = {"townships": township_layer(50_000)}
    result = import_layer(path, "communities", parents=parents)
    assert result.data is None
    problem = only(result.report, "validate.population_above_parent")
    assert problem.examples == ("330302001001 五马社区: 164,335 > 五马街道 50,000",)
    assert problem.message("zh").startswith("1 个社区（村）的人口比所属乡镇（街道）的总人口还多")

    estimate = {"townships": township_layer(50_000, quality="estimate")}
    result = import_layer(path, "communities", parents=estimate)
    assert result.ok
    warning = only(result.report, "validate.population_above_estimate")
    assert warning.severity == "warning" and warning.count == 1


def test_population_table_above_the_township_total(tmp_path) -> None:
    path = tmp_path / "人口.csv"
    path.write_text("村代码,常住人口\n330302001001,60000\n330302001002,300\n", encoding="utf-8")
    result = import_population(
        path, "communities", community_layer(), parents={"townships": township_layer(20_000)}
    )
    assert result.data is None
    problem = only(result.report, "validate.population_above_parent")
    assert problem.examples == ("330302001001 五马社区: 60,000 > 五马街道 20,000",)


# --------------------------------------------------------------------------- invisible characters


def test_nul_in_a_geojson_name_no_longer_cuts_it_short(tmp_path) -> None:
    path = tmp_path / "villages.geojson"
    path.write_text(geojson_text(['"五马\\u0000<b>社区"', '"南汇社区"']))
    result = import_layer(path, "communities")
    assert result.ok, result.messages("en")
    assert list(result.data["name"]) == ["五马<b>社区", "南汇社区"]  # was "五马"
    problem = only(result.report, "validate.control_chars")
    assert problem.severity == "warning" and problem.count == 1
    assert problem.examples == ("330302001001 五马<b>社区 (name=五马\\x00<b>社区)",)
    assert problem.message("zh").startswith("1 个社区（村）的名称中含有控制字符或不可见字符")
    assert problem.message("en").startswith(
        "1 community feature had control or invisible characters (such as NUL) in the name"
    )


def test_raw_nul_byte_in_geojson(tmp_path) -> None:
    path = tmp_path / "villages.geojson"
    path.write_text(geojson_text(['"五马\x00社区"']))
    result = import_layer(path, "communities")
    assert list(result.data["name"]) == ["五马社区"]
    assert only(result.report, "validate.control_chars").count == 1


def test_an_escaped_backslash_is_text_not_a_nul(tmp_path) -> None:
    path = tmp_path / "villages.geojson"
    path.write_text(geojson_text(['"a\\\\u0000b"']))
    result = import_layer(path, "communities")
    assert list(result.data["name"]) == ["a\\u0000b"]
    assert "validate.control_chars" not in result.report.keys


@pytest.mark.parametrize(
    ("written", "cleaned", "shown"),
    [
        ("南\x07汇社区", "南汇社区", "南\\x07汇社区"),  # BEL
        ("南汇\u202e区社", "南汇区社", "南汇\\u202e区社"),  # right-to-left override
        ("南\u200b汇社区", "南汇社区", "南\\u200b汇社区"),  # zero-width space
        ("南汇\r\n社区", "南汇 社区", "南汇\\x0d\\x0a社区"),  # a line break in a cell
        ("南汇社区\x1b[31m", "南汇社区[31m", "南汇社区\\x1b[31m"),  # terminal escape
    ],
)
def test_control_characters_in_a_table_are_removed_and_named(
    tmp_path, written, cleaned, shown
) -> None:
    frame = pd.DataFrame({"code": [f"{TOWN}001"], "name": [written], "lon": [120.6], "lat": [28.0]})
    path = tmp_path / "villages.csv"
    frame.to_csv(path, index=False)
    result = import_layer(path, "communities", coordinate_system="wgs84")
    assert list(result.data["name"]) == [cleaned]
    problem = only(result.report, "validate.control_chars")
    assert problem.examples == (f"330302001001 {cleaned} (name={shown})",)


def test_nul_in_a_code_is_removed_and_the_field_named(tmp_path) -> None:
    path = tmp_path / "villages.csv"
    path.write_bytes("code,name,lon,lat\n330302001\x00001,五马社区,120.6,28.0\n".encode())
    result = import_layer(path, "communities", coordinate_system="wgs84")
    assert list(result.data["code"]) == ["330302001001"]
    problem = only(result.report, "validate.control_chars")
    assert problem.message("en").endswith(
        "in the code; they have been removed (e.g. 330302001001 五马社区 (code=330302001\\x00001))."
    )


def test_population_table_with_invisible_characters_in_names(tmp_path) -> None:
    path = tmp_path / "人口.csv"
    path.write_text("乡镇名称,常住人口\n合计,1\n五马\x00街道,12000\n", encoding="utf-8")
    result = import_population(path, "townships", township_layer())
    assert result.ok, result.messages("en")
    assert list(result.data["population"]) == [12_000]
    problem = only(result.report, "validate.control_chars")
    assert problem.examples == ("#2 (乡镇名称=五马\\x00街道)",)  # the table's own header
    assert problem.message("zh") == (
        "1 个乡镇（街道）的名称中含有控制字符或不可见字符（如 NUL），已删除"
        "（例如 #2 (乡镇名称=五马\\x00街道)）。"
    )


# --------------------------------------------------------------------------- the app's upload boxes


def _app():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("../app.py", default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def _uploader(at, prefix: str):
    (uploader,) = [u for u in at.file_uploader if u.key and u.key.startswith(prefix)]
    return uploader


def test_app_refuses_an_upload_over_the_limit_in_the_interface_language(
    planner_home, monkeypatch
) -> None:
    monkeypatch.setenv("PLANNER_MAX_UPLOAD_MB", "1")
    at = _app()
    assert "working_region" not in at.session_state
    big = communities_csv(3).encode() + b"#" * (3 * MB // 2)
    _uploader(at, "imp_replace").upload("villages.csv", big, "text/csv").run()
    assert not at.exception, at.exception
    (error,) = [e.value for e in at.error]
    assert error == (
        "未导入：上传文件大小（MB）超出上限：1.5 > 1（可通过环境变量 PLANNER_MAX_UPLOAD_MB "
        "调整）。已加载的数据没有任何改动。"
    )
    assert "working_region" not in at.session_state  # nothing was applied
    at.sidebar.radio(key="lang").set_value("en").run()
    assert not at.exception, at.exception
    (error,) = [e.value for e in at.error]
    assert error == (
        "Not imported: Upload size (MB): 1.5 is over the limit of 1 (set "
        "PLANNER_MAX_UPLOAD_MB to change it). The loaded data is unchanged."
    )


def test_app_refuses_a_road_upload_over_the_road_limit(planner_home, monkeypatch) -> None:
    monkeypatch.setenv("PLANNER_MAX_ROAD_MB", "1")
    at = _app()
    _uploader(at, "roads_upload").upload("roads.osm", bytes(2 * MB), "text/xml").run()
    assert not at.exception, at.exception
    (error,) = [e.value for e in at.error]
    assert error.startswith("路网未导入：道路文件大小（MB）超出上限：2 > 1")
    assert "PLANNER_MAX_ROAD_MB" in error
    assert not [b for b in at.button if b.key == "roads_save"]
