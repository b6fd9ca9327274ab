"""Generated township seats go to townships by real signals (issue 19, item 3)."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.data.regions import load_region
from planner.data.seats import assign_positions, urban_character

ROOT = Path(__file__).resolve().parents[1]


def test_urban_character_is_the_share_of_residents_committees():
    towns = pd.DataFrame({"code": ["a", "b", "c"]})
    comms = pd.DataFrame(
        {"township_code": ["a", "a", "a", "a", "b"],
         "kind": ["community", "village", "village", "community", "village"]}
    )  # fmt: skip
    assert urban_character(towns, comms).tolist() == [0.5, 0.0, 0.0]


def test_assignment_is_optimal_and_gives_the_nearest_position_to_the_most_urban():
    rng = np.random.default_rng(7)
    core = np.array([0.0, 0.0])
    positions = rng.uniform(-10_000, 10_000, (6, 2))
    urban = np.array([0.1, 0.9, 0.0, 0.5, 0.3, 0.7])
    out = assign_positions(positions, core, urban)
    assert sorted(map(tuple, out)) == sorted(map(tuple, positions))  # a permutation
    distance = np.hypot(*out.T)
    # most urban (township 1) nearest, least urban (township 2) farthest, and in between
    # the distance order follows the urban order exactly
    assert list(np.argsort(distance)) == list(np.argsort(-urban))
    # brute force: no permutation has a smaller rank cost
    n = len(positions)
    p_rank = np.argsort(np.argsort(np.hypot(*positions.T))) / (n - 1)
    t_rank = np.argsort(np.argsort(-urban)) / (n - 1)
    got = {tuple(p): i for i, p in enumerate(positions)}
    chosen = [got[tuple(p)] for p in out]
    cost = sum((t_rank[i] - p_rank[j]) ** 2 for i, j in enumerate(chosen))
    best = min(
        sum((t_rank[i] - p_rank[j]) ** 2 for i, j in enumerate(perm))
        for perm in itertools.permutations(range(n))
    )
    assert cost == pytest.approx(best)
    one = positions[:1]
    assert (assign_positions(one, core, urban[:1]) == one).all()


def test_village_hints_place_seats_at_a_named_village_of_the_township():
    pytest.importorskip("pypinyin")
    sys.path.insert(0, str(ROOT / "scripts"))
    import build_regions as build

    counties, towns, comms = build.load_sources()
    places = build.read_geonames()
    codes = build.PACKS["jinjiang"]["counties"]
    counties = counties[counties["code"].isin(codes)]
    towns = towns[towns["county_code"].isin(codes)]
    comms = comms[comms["county_code"].isin(codes)]
    seats = build.match_seats(towns, counties, places)
    hints = build.village_hints(towns, comms, counties, places, seats)
    assert set(hints) == {"350582105", "350582111"}  # 科任村 and 马坪村 in GeoNames
    assert not set(hints) & set(seats)
    for code, (lon, lat, source) in hints.items():
        place = places[places["geonameid"] == source.split(":")[1]].iloc[0]
        assert (lon, lat) == (place["lon"], place["lat"])
        villages = comms.loc[comms["township_code"] == code, "name"].map(build._village_base)
        assert set(villages) & {n.removesuffix("村") for n in place["alternatenames"].split("|")}
    # the built pack's seat stands there and stays generated (schematic)
    built = load_region("jinjiang").townships.set_index("code")
    for code, (lon, lat, _) in hints.items():
        assert built.at[code, "seat_source"] == "generated"
        assert abs(built.at[code, "seat_lon"] - lon) < 1e-3
        assert abs(built.at[code, "seat_lat"] - lat) < 1e-3
