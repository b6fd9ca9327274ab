"""Region ids and paths: nothing a caller passes can reach outside ``$PLANNER_HOME``."""

from __future__ import annotations

import json
import os

import pytest

from planner.data.regions import load_region, save_region
from planner.data.roads import remove_road_file, road_dir, road_file, save_road_file
from planner.i18n import PlannerError

BAD_IDS = [
    pytest.param("../../../x", id="parent-traversal"),
    pytest.param("evil\n", id="trailing-newline"),
    pytest.param("evil\x00x", id="nul"),
    pytest.param("a/b", id="slash"),
    pytest.param("/etc", id="absolute"),
    pytest.param("Evil", id="upper-case"),
    pytest.param("x" * 41, id="too-long"),
    pytest.param("温州", id="non-ascii"),
    pytest.param("", id="empty"),
    pytest.param(5, id="not-a-string"),
]


@pytest.fixture(scope="module")
def jinjiang():
    return load_region("jinjiang")


@pytest.fixture
def victim(tmp_path):
    """A folder beside ``PLANNER_HOME`` that must survive every call."""
    folder = tmp_path / "x"
    (folder / "roads").mkdir(parents=True)
    (folder / "roads" / "roads.json").write_text(
        json.dumps({"file": "roads.osm", "name": "stolen"}), encoding="utf-8"
    )
    (folder / "roads" / "roads.osm").write_text("<osm/>", encoding="utf-8")
    return folder


@pytest.mark.parametrize("region_id", BAD_IDS)
def test_remove_road_file_refuses_bad_ids_and_deletes_nothing(planner_home, victim, region_id):
    with pytest.raises(PlannerError) as err:
        remove_road_file(region_id)
    assert err.value.key == "regions.bad_id"
    assert victim.is_dir() and (victim / "roads" / "roads.osm").is_file()


def test_traversal_reported_in_both_languages_without_raw_newline(planner_home):
    with pytest.raises(PlannerError) as err:
        road_dir("evil\n")
    zh, en = err.value.message("zh"), err.value.message("en")
    assert "区域标识“evil\\n”无效" in zh
    assert "Region id “evil\\n” is invalid" in en


@pytest.mark.parametrize("region_id", BAD_IDS[:-1])
def test_road_file_reads_nothing_outside_home(planner_home, victim, region_id):
    assert road_file(region_id) is None


def test_road_file_of_traversal_id_does_not_read_victim(planner_home, victim):
    # Before the fix: PLANNER_HOME/regions/../../x/roads resolved to the victim.
    planner_home.mkdir(parents=True)
    assert (planner_home / "regions" / ".." / ".." / "x").resolve() == victim.resolve()
    assert road_file("../../x") is None


@pytest.mark.parametrize("region_id", BAD_IDS)
def test_save_region_refuses_bad_ids(planner_home, jinjiang, region_id):
    with pytest.raises(PlannerError) as err:
        save_region(jinjiang, region_id)
    assert err.value.key == "regions.bad_id"
    assert not (planner_home / "regions").exists() or not any((planner_home / "regions").iterdir())


@pytest.mark.parametrize("region_id", ["../x", "evil\n", "a/b"])
def test_save_road_file_refuses_bad_ids(planner_home, tmp_path, region_id):
    source = tmp_path / "roads.osm"
    source.write_text("<osm/>", encoding="utf-8")
    with pytest.raises(PlannerError) as err:
        save_road_file(region_id, source)
    assert err.value.key == "regions.bad_id"


def test_symlinked_region_folder_is_refused(planner_home, victim):
    (planner_home / "regions").mkdir(parents=True)
    os.symlink(victim, planner_home / "regions" / "evil")
    with pytest.raises(PlannerError) as err:
        remove_road_file("evil")
    assert err.value.key == "paths.outside"
    assert (victim / "roads" / "roads.osm").is_file()


def test_roads_json_cannot_point_outside_its_folder(planner_home, victim):
    folder = planner_home / "regions" / "jinjiang" / "roads"
    folder.mkdir(parents=True)
    target = os.path.relpath(victim / "roads" / "roads.osm", folder)
    (folder / "roads.json").write_text(json.dumps({"file": target}), encoding="utf-8")
    assert road_file("jinjiang") is None


def test_valid_ids_still_work(planner_home, jinjiang, tmp_path):
    folder = save_region(jinjiang, "my-city_2")
    assert folder == (planner_home / "regions" / "my-city_2").resolve()
    source = tmp_path / "r.osm"
    source.write_text("<osm/>", encoding="utf-8")
    stored = save_road_file("my-city_2", source)
    assert road_file("my-city_2").path == stored.path
    assert remove_road_file("my-city_2") is True
    assert road_file("my-city_2") is None
