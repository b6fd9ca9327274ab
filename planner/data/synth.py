"""Approximate geometry and population for units that have names and codes but no map.

No registry package ships township (乡镇/街道) or community (村/社区) boundaries for
Chinese cities, nor census population below the county. This module generates a
plausible, deterministic stand-in from what *is* known — the county polygon, the list
of units, a few real seat coordinates and county census totals — so that a city can be
planned before its bureau supplies official layers. Everything it produces is labelled
``geometry_quality = "approximate"`` by the callers, and the population is an estimate.

All geometry work happens in a local metric CRS (metres); callers convert to WGS84.
Randomness is drawn from generators seeded by the unit codes, so the same inputs give
byte-identical outputs on every machine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from pyproj import Transformer
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry
from sklearn.cluster import KMeans

from planner.data.seats import assign_positions, urban_character

__all__ = [
    "apportion",
    "partition",
    "place_points",
    "rng_for",
    "sample_inside",
    "split_population",
    "synthesise_layers",
]


def rng_for(*codes: str | int) -> np.random.Generator:
    """A random generator seeded only by ``codes``, independent of call order."""
    return np.random.default_rng([int(c) for c in codes])


def sample_inside(
    polygon: BaseGeometry, n: int, rng: np.random.Generator, margin: float = 0.0
) -> np.ndarray:
    """Draw ``n`` uniform points inside ``polygon`` by rejection sampling.

    Parameters
    ----------
    polygon
        Area to sample, in metres.
    n
        Number of points.
    rng
        Source of randomness.
    margin
        Keep points at least this far (m) inside the boundary when the polygon is
        large enough; it is halved until the shrunken polygon is not empty.

    Returns
    -------
    numpy.ndarray
        ``(n, 2)`` coordinates.
    """
    area = polygon
    while margin > 0.01:
        shrunk = polygon.buffer(-margin)
        if not shrunk.is_empty and shrunk.area > 0.05 * polygon.area:
            area = shrunk
            break
        margin /= 2
    shapely.prepare(area)
    x0, y0, x1, y1 = area.bounds
    out = np.empty((0, 2))
    while len(out) < n:
        # Oversample by the inverse fill ratio of the bounding box, so few rounds are needed.
        fill = max(area.area / max((x1 - x0) * (y1 - y0), 1e-9), 0.01)
        k = int((n - len(out)) / fill * 1.3) + 16
        xy = np.column_stack([rng.uniform(x0, x1, k), rng.uniform(y0, y1, k)])
        inside = shapely.contains_xy(area, xy[:, 0], xy[:, 1])
        out = np.vstack([out, xy[inside]])
    return out[:n]


def place_points(
    polygon: BaseGeometry,
    n: int,
    rng: np.random.Generator,
    *,
    fixed: np.ndarray | None = None,
    density_centre: np.ndarray | None = None,
    concentration: float = 0.0,
    weight: Callable[[np.ndarray], np.ndarray] | None = None,
    lloyd_iterations: int = 12,
    sample_size: int = 2500,
    margin: float = 0.0,
    keep_clear: float | None = None,
) -> np.ndarray:
    """Spread ``n`` new points over ``polygon`` the way settlements spread.

    Points are the centres of a weighted k-means (scikit-learn ``KMeans`` with
    ``sample_weight``) over a dense sample of the polygon, so they are evenly spaced
    where the weight is even and packed where it is high. ``fixed`` points (e.g. real
    seats) keep the land around them: sample points nearer to a fixed point than half
    the typical spacing are left out, so new points do not crowd a known seat.

    Parameters
    ----------
    polygon
        Area in metres.
    n
        Number of new points to place.
    rng
        Source of randomness (seeds the k-means).
    fixed
        ``(k, 2)`` points that already exist and stay put.
    density_centre
        ``(2,)`` point where settlement is densest (an urban core). With
        ``concentration`` > 0 the sample weight is ``1 + concentration * exp(-d / L)``
        with ``L`` a sixth of the polygon's equivalent width, so cells are smaller near
        the centre.
    concentration
        Strength of that gradient; 0 gives an even spread.
    weight
        Instead of the two above: a function of the ``(m, 2)`` sample points giving
        their non-negative weights.
    lloyd_iterations
        Most k-means iterations.
    sample_size
        Sample points that stand for the polygon's area.
    margin
        Passed to :func:`sample_inside`: keep points away from the boundary.
    keep_clear
        Metres of land kept clear around each fixed point; by default half the typical
        spacing of ``n`` plus the fixed points over the polygon.

    Returns
    -------
    numpy.ndarray
        ``(n, 2)`` new points, each one of the sample points, so inside ``polygon``.
    """
    if n <= 0:
        return np.empty((0, 2))
    fixed = np.empty((0, 2)) if fixed is None else np.asarray(fixed, dtype=float)
    sample = sample_inside(polygon, max(sample_size, 8 * (n + len(fixed))), rng, margin)
    if weight is not None:
        w = np.asarray(weight(sample), dtype=float)
    elif density_centre is not None and concentration > 0:
        scale = np.sqrt(polygon.area) / 6
        dist = np.hypot(*(sample - np.asarray(density_centre)).T)
        w = 1 + concentration * np.exp(-dist / scale)
    else:
        w = np.ones(len(sample))
    free = np.ones(len(sample), dtype=bool)
    if len(fixed):
        if keep_clear is None:
            keep_clear = 0.5 * np.sqrt(polygon.area / (n + len(fixed)))
        free = cKDTree(fixed).query(sample)[0] > keep_clear
        if free.sum() < 4 * n:
            free[:] = True
    # Only weighted land takes part, unless too little of it is left for ``n`` points.
    if (free & (w > 0)).sum() >= 4 * n:
        free &= w > 0
    pool, pool_w = sample[free], np.maximum(w[free], 1e-9)
    if n >= len(pool):
        return _separate(pool[:n].copy(), sample, cKDTree(sample))
    kmeans = KMeans(
        n_clusters=n,
        n_init=1,
        max_iter=max(lloyd_iterations, 1),
        random_state=int(rng.integers(2**31 - 1)),
    ).fit(pool, sample_weight=pool_w)
    # Snap the centres onto the sample so every point stays inside a concave polygon.
    tree = cKDTree(pool)
    points = pool[tree.query(kmeans.cluster_centers_)[1]]
    return _separate(points, pool, tree)


def _separate(points: np.ndarray, sample: np.ndarray, tree: cKDTree) -> np.ndarray:
    """Move points that snapped onto the same sample point to their next free neighbour."""
    seen: set[tuple[float, float]] = set()
    out = points.copy()
    for i, p in enumerate(points):
        key = (p[0], p[1])
        if key in seen:
            for j in tree.query(p, k=min(64, len(sample)))[1]:
                cand = (sample[j][0], sample[j][1])
                if cand not in seen:
                    out[i] = sample[j]
                    key = cand
                    break
        seen.add(key)
    return out


def partition(polygon: BaseGeometry, seeds: np.ndarray) -> list[BaseGeometry]:
    """Split ``polygon`` into the Voronoi cells of ``seeds``.

    Parameters
    ----------
    polygon
        Area to split, in metres.
    seeds
        ``(k, 2)`` distinct points inside ``polygon``.

    Returns
    -------
    list of shapely geometries
        Cell ``i`` contains seed ``i``; the cells cover ``polygon`` without overlap.
        A cell may be a MultiPolygon where the polygon has islands or narrow parts.
    """
    seeds = np.asarray(seeds, dtype=float)
    if len(seeds) == 1:
        return [polygon]
    cells = shapely.voronoi_polygons(
        shapely.multipoints(seeds), extend_to=polygon.envelope.buffer(1000), ordered=True
    )
    out = [shapely.intersection(cell, polygon) for cell in shapely.get_parts(cells)]
    return _reattach_strays(out, seeds)


def _reattach_strays(cells: list[BaseGeometry], seeds: np.ndarray) -> list[BaseGeometry]:
    """Give each detached piece of a cell to the neighbour it shares most border with.

    A clipped Voronoi cell is convex before clipping, so across a bay or a river mouth it
    can keep a piece that is cut off from its own seed. A zone made of scattered pieces
    is implausible for a township, so such a piece joins the touching cell with the
    longest shared border; pieces that touch nothing (islands) stay where they are.
    """
    cells = [shapely.make_valid(c) for c in cells]
    seed_points = shapely.points(seeds)
    moved: list[list[BaseGeometry]] = [[] for _ in cells]
    kept: list[BaseGeometry] = []
    for i, cell in enumerate(cells):
        parts = [p for p in shapely.get_parts(cell) if p.area > 0]
        home = [p for p in parts if p.covers(seed_points[i])]
        strays = [p for p in parts if not p.covers(seed_points[i])]
        if not home:
            home, strays = parts, []
        kept.append(shapely.union_all(home) if home else cell)
        for piece in strays:
            best, best_len = i, 0.0
            for j, other in enumerate(cells):
                if j == i or not piece.intersects(other):
                    continue
                shared = piece.boundary.intersection(other.boundary).length
                if shared > best_len:
                    best, best_len = j, shared
            moved[best].append(piece)
    return [
        shapely.make_valid(shapely.union_all([kept[i], *moved[i]])) if moved[i] else kept[i]
        for i in range(len(cells))
    ]


def apportion(total: int, weights: Sequence[float] | np.ndarray) -> np.ndarray:
    """Split an integer ``total`` in proportion to ``weights`` (largest remainder).

    Parameters
    ----------
    total
        Non-negative integer to split.
    weights
        Non-negative weights, not all zero.

    Returns
    -------
    numpy.ndarray
        Integers summing exactly to ``total``.
    """
    w = np.asarray(weights, dtype=float)
    if total < 0 or (w < 0).any() or w.sum() <= 0:
        raise ValueError("apportion needs a non-negative total and positive weights")
    exact = total * w / w.sum()
    base = np.floor(exact).astype(np.int64)
    remainder = int(total - base.sum())
    # Ties broken by index so the result never depends on sort stability.
    order = np.lexsort((np.arange(len(w)), -(exact - base)))
    base[order[:remainder]] += 1
    return base


def lognormal_weights(codes: Sequence[str], sigma: float, salt: int) -> np.ndarray:
    """One positive weight per code, each drawn from a generator seeded by its own code."""
    return np.array([rng_for(salt, code).lognormal(0.0, sigma) for code in codes])


def split_population(
    total: int,
    urban_share: float,
    urban_units: Mapping[str, float],
    rural_units: Mapping[str, float],
) -> dict[str, int]:
    """Apportion a county's population between an urban and a rural pool of units.

    Parameters
    ----------
    total
        County resident population.
    urban_share
        Census urban share (城镇人口比重).
    urban_units, rural_units
        ``{code: weight}`` for the units that take the urban and the rural population.
        A pool with no units hands its population to the other pool, so nothing is lost.

    Returns
    -------
    dict
        ``{code: population}`` summing exactly to ``total``.
    """
    urban = round(total * urban_share)
    pools = [(urban, dict(urban_units)), (total - urban, dict(rural_units))]
    if not pools[0][1]:
        pools = [(total, pools[1][1])]
    elif not pools[1][1]:
        pools = [(total, pools[0][1])]
    out: dict[str, int] = {}
    for amount, units in pools:
        codes = sorted(units)
        for code, value in zip(codes, apportion(amount, [units[c] for c in codes]), strict=True):
            out[code] = int(value)
    return out


# Settlement shape: how strongly streets (街道) and communities (社区) pack around their
# centre, against towns and villages that spread over the land. Chosen by eye against
# the real seat coordinates we have; they shape plausibility only, not any total.
COMMUNITY_CONCENTRATION = 60.0
URBAN_COMMUNITY_WEIGHT = 2.0  # a 社区 holds about twice the people of a 城中村 village
POPULATION_SIGMA = 0.5  # spread of the lognormal unit weights
POPULATION_SALT = 2020
# Planning assumption: a county town's built-up area holds about this many people per km²
# (Chinese urban built-up areas run 8,000-12,000); it sizes the disc the streets share.
URBAN_DENSITY = 10_000.0
# Planning assumption: no generated township zone is denser than a dense old city core
# (people per km²); the excess population moves to the county's other townships.
MAX_TOWNSHIP_DENSITY = 30_000.0
# Towns sit around this rank of distance from the core among the county's land (0 = the
# core, 1 = the farthest point), give or take the spread.
TOWN_RANK = 0.35
TOWN_RANK_SPREAD = 0.25
# Sample points standing for a county's land when seats are placed: dense enough that
# the county town's disc holds a few hundred of them.
SEAT_SAMPLE_SIZE = 20_000
SEAT_PART_MIN_KM2 = 5.0  # smallest land part (island) that gets a generated seat
SEAT_PART_MIN_SHARE = 0.02  # ... and its smallest share of the county's land
GRID = 1e-7  # degrees (~1 cm): coordinates are stored at this precision
# Straight edges in metres are curved in degrees; densifying keeps a community's edge on
# its township's edge after reprojection to within centimetres.
SEGMENT_M = 250.0


def synthesise_layers(
    counties: gpd.GeoDataFrame,
    townships: pd.DataFrame,
    communities: pd.DataFrame,
    seats: Mapping[str, tuple[float, float, str]],
    cores: Mapping[str, tuple[float, float]],
    metric_crs: str,
    hints: Mapping[str, tuple[float, float, str]] | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Build approximate township and community layers inside real county polygons.

    Parameters
    ----------
    counties
        WGS84 polygons with ``code``, ``name``, ``population``, ``urban_share`` and
        ``household_size`` (census facts).
    townships
        ``code``, ``name``, ``county_code``, ``kind`` (``street`` | ``town`` |
        ``township`` | ``zone`` | ``county_direct``).
    communities
        ``code``, ``name``, ``township_code``, ``county_code``, ``kind``
        (``community`` | ``village``).
    seats
        Known township seats: ``{township_code: (lon, lat, source)}`` in WGS84, each
        already checked to lie inside its county.
    cores
        Urban cores: ``{county_code: (lon, lat)}`` in WGS84, where streets cluster.
    metric_crs
        CRS in metres used for all geometry work.
    hints
        A real settlement inside townships whose seat is not known:
        ``{township_code: (lon, lat, source)}``; the seat is generated there.

    Returns
    -------
    tuple of GeoDataFrame
        ``(counties, townships, communities)`` in EPSG:4326 with the columns of the data
        model; generated geometry and population are flagged approximate/estimated.
    """
    to_metric = Transformer.from_crs("EPSG:4326", metric_crs, always_xy=True)
    to_wgs = Transformer.from_crs(metric_crs, "EPSG:4326", always_xy=True)
    town_rows: list[dict] = []
    comm_rows: list[dict] = []
    for county in counties.sort_values("code").itertuples():
        poly = shapely.segmentize(
            shapely.transform(county.geometry, _xy(to_metric), interleaved=False), SEGMENT_M
        )
        towns = townships[townships["county_code"] == county.code].sort_values("code")
        core = np.array(to_metric.transform(*cores[county.code])) if county.code in cores else None
        if core is None:
            core = np.array(poly.representative_point().coords[0])
        seat_xy, seat_src = _township_seats(
            poly,
            towns,
            seats,
            core,
            to_metric,
            county.code,
            float(county.population) * float(county.urban_share),
            urban_character(towns, communities).to_numpy(),
            hints,
        )
        cells = [shapely.segmentize(c, SEGMENT_M) for c in partition(poly, seat_xy)]
        for town, xy, src, cell in zip(towns.itertuples(), seat_xy, seat_src, cells, strict=True):
            lon, lat = to_wgs.transform(*xy)
            town_rows.append(
                {
                    "code": town.code,
                    "name": town.name,
                    "county_code": county.code,
                    "kind": town.kind,
                    "seat_lon": lon,
                    "seat_lat": lat,
                    "seat_source": src,
                    "geometry": shapely.transform(cell, _xy(to_wgs), interleaved=False),
                }
            )
            members = communities[communities["township_code"] == town.code].sort_values("code")
            comm_rows.extend(_communities(cell, xy, members, town.code, to_wgs))

    towns_gdf = gpd.GeoDataFrame(town_rows, crs="EPSG:4326")
    comm_gdf = gpd.GeoDataFrame(comm_rows, crs="EPSG:4326")
    # Snap to the storage grid, then clip each layer to its parent in WGS84 so containment
    # holds whatever the reprojection did to edges; the slivers trimmed are centimetres wide.
    county_geom = counties.set_index("code").geometry
    towns_gdf["geometry"] = _polygonal(
        shapely.intersection(
            shapely.set_precision(towns_gdf.geometry.values, GRID),
            county_geom.reindex(towns_gdf["county_code"]).values,
        )
    )
    town_geom = towns_gdf.set_index("code").geometry
    comm_gdf["geometry"] = _polygonal(
        shapely.intersection(
            shapely.set_precision(comm_gdf.geometry.values, GRID),
            town_geom.reindex(comm_gdf["township_code"]).values,
        )
    )
    _estimate_population(counties, towns_gdf, comm_gdf)
    _cap_township_density(counties, towns_gdf, comm_gdf, metric_crs)
    towns_gdf["population"] = (
        comm_gdf.groupby("township_code")["population"].sum().reindex(towns_gdf["code"]).to_numpy()
    )
    towns_gdf["households"] = (
        comm_gdf.groupby("township_code")["households"].sum().reindex(towns_gdf["code"]).to_numpy()
    )
    out_counties = counties.copy()
    out_counties["households"] = (
        comm_gdf.groupby("county_code")["households"].sum().reindex(counties["code"]).to_numpy()
    )
    for gdf in (towns_gdf, comm_gdf):
        gdf["geometry_quality"] = "approximate"
        gdf["population_quality"] = "estimate"
    for col in ("seat_lon", "seat_lat"):
        towns_gdf[col] = towns_gdf[col].round(7)
    for col in ("point_lon", "point_lat"):
        comm_gdf[col] = comm_gdf[col].round(7)
    return out_counties, towns_gdf, comm_gdf


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygon parts of clipping results (drop touching lines and points)."""
    out = []
    for geom in geoms:
        parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
        out.append(parts[0] if len(parts) == 1 else shapely.union_all(parts))
    return np.array(out, dtype=object)


def _xy(transformer: Transformer):
    return lambda x, y: transformer.transform(x, y)


def _township_seats(
    poly: BaseGeometry,
    towns: pd.DataFrame,
    seats: Mapping[str, tuple[float, float, str]],
    core: np.ndarray,
    to_metric: Transformer,
    county_code: str,
    urban_population: float,
    character: np.ndarray | None = None,
    hints: Mapping[str, tuple[float, float, str]] | None = None,
) -> tuple[np.ndarray, list[str]]:
    """Seats of a county's townships: known ones kept, the others placed by kind.

    Streets (街道) are urban: they share the county town, a disc around the core
    sized by the county's urban population at :data:`URBAN_DENSITY`. Towns (镇) sit at
    middle distance from the core, townships (乡), zones and farms at the periphery.
    A township with a village ``hint`` (a real settlement of it) is placed there first.
    The positions of each kind go to its townships by ``character`` (urban character,
    :func:`planner.data.seats.assign_positions`): the most urban nearest the core.
    """
    xy = np.zeros((len(towns), 2))
    source = ["generated"] * len(towns)
    known = np.zeros(len(towns), dtype=bool)
    for i, code in enumerate(towns["code"]):
        if code in seats:
            lon, lat, src = seats[code]
            # A named place on the coast may sit a little off the shoreline: onto land.
            xy[i] = _nearest_inside(poly, np.array(to_metric.transform(lon, lat)))
            source[i] = src
            known[i] = True
        elif hints and code in hints:
            # A real village of the township (planner.data.seats): the seat stays
            # generated, placed at that settlement.
            xy[i] = _nearest_inside(poly, np.array(to_metric.transform(*hints[code][:2])))
            known[i] = True
    kinds = towns["kind"].to_numpy()
    urban = ~known & np.isin(kinds, ["street", "county_direct"])
    middle = ~known & (kinds == "town")
    outer = ~known & ~urban & ~middle
    rng = rng_for(county_code, 1)
    main = main_land(poly)
    # The county town's built-up area at an urban density; streets share it.
    urban_radius = max(np.sqrt(urban_population / URBAN_DENSITY * 1e6 / np.pi), 2000.0)

    def near_core(sample: np.ndarray) -> np.ndarray:
        # No tail: a little weight spread far out pulls k-means centres out of town.
        d = np.hypot(*(sample - core).T)
        return np.where(d < 3 * urban_radius, np.exp(-((d / urban_radius) ** 2)), 0.0)

    def rank(sample: np.ndarray) -> np.ndarray:
        # How far out a sample point is among all of the county's land, 0 (core) to 1.
        d = np.hypot(*(sample - core).T)
        return np.argsort(np.argsort(d)) / max(len(d) - 1, 1)

    def middle_distance(sample: np.ndarray) -> np.ndarray:
        return np.exp(-(((rank(sample) - TOWN_RANK) / TOWN_RANK_SPREAD) ** 2)) + 1e-3

    def periphery(sample: np.ndarray) -> np.ndarray:
        return rank(sample) ** 2 + 1e-3

    placed = known.copy()
    # Streets pack in the county town, next to the real seats there: a short clearance.
    street_clear = 0.5 * urban_radius / np.sqrt(max(int(urban.sum()), 1))
    groups = ((urban, near_core, street_clear), (middle, middle_distance, None),
              (outer, periphery, None))  # fmt: skip
    for group, weight, clear in groups:
        if not group.any():
            continue
        positions = place_points(
            main,
            int(group.sum()),
            rng,
            fixed=xy[placed],
            weight=weight,
            margin=200.0,
            keep_clear=clear,
            sample_size=SEAT_SAMPLE_SIZE,
        )
        if character is not None:
            positions = assign_positions(positions, core, character[group])
        xy[group] = positions
        placed |= group
    if urban.sum() == 1 and not known.any():
        xy[urban] = _nearest_inside(main, core)
    return xy, source


def main_land(poly: BaseGeometry) -> BaseGeometry:
    """The parts of a county's land big enough to hold a generated township seat.

    Farthest-point seeding reaches for remote islets first, which put populous towns on
    rocks at sea. A generated seat goes only on a part of at least
    :data:`SEAT_PART_MIN_KM2` km² and :data:`SEAT_PART_MIN_SHARE` of the county's land;
    islands still belong to the zone whose cell covers them, and real seats stay put.
    """
    parts = [p for p in shapely.get_parts(poly) if p.area > 0]
    threshold = max(SEAT_PART_MIN_KM2 * 1e6, SEAT_PART_MIN_SHARE * poly.area)
    big = [p for p in parts if p.area >= threshold]
    if not big:
        big = [max(parts, key=lambda p: p.area)]
    return big[0] if len(big) == 1 else shapely.MultiPolygon(big)


def _nearest_inside(poly: BaseGeometry, point: np.ndarray) -> np.ndarray:
    """``point`` itself when inside ``poly``, else the closest interior point."""
    p = shapely.Point(point)
    if poly.buffer(-1).contains(p):
        return point
    inner = poly.buffer(-50) if not poly.buffer(-50).is_empty else poly
    near = shapely.ops.nearest_points(inner, p)[0]
    return np.array(near.coords[0])


def _communities(
    cell: BaseGeometry,
    seat: np.ndarray,
    members: pd.DataFrame,
    township_code: str,
    to_wgs: Transformer,
) -> list[dict]:
    """Points and polygons of one township's communities: 社区 near the seat, 村 spread."""
    rng = rng_for(township_code, 2)
    is_comm = (members["kind"] == "community").to_numpy()
    xy = np.zeros((len(members), 2))
    if is_comm.any():
        xy[is_comm] = place_points(
            cell,
            int(is_comm.sum()),
            rng,
            density_centre=seat,
            concentration=COMMUNITY_CONCENTRATION,
            margin=30.0,
            lloyd_iterations=6,
        )
    if (~is_comm).any():
        xy[~is_comm] = place_points(
            cell,
            int((~is_comm).sum()),
            rng,
            fixed=xy[is_comm],
            margin=30.0,
            lloyd_iterations=8,
        )
    parts = partition(cell, xy)
    rows = []
    for unit, p, geom in zip(members.itertuples(), xy, parts, strict=True):
        lon, lat = to_wgs.transform(*p)
        rows.append(
            {
                "code": unit.code,
                "name": unit.name,
                "township_code": township_code,
                "county_code": unit.county_code,
                "kind": unit.kind,
                "point_lon": lon,
                "point_lat": lat,
                "geometry": shapely.transform(geom, _xy(to_wgs), interleaved=False),
            }
        )
    return rows


def _estimate_population(
    counties: gpd.GeoDataFrame, towns: gpd.GeoDataFrame, comms: gpd.GeoDataFrame
) -> None:
    """Apportion county census totals to communities (in place).

    Urban population goes to 社区 and to the villages of urban streets (城中村, counted
    urban by the NBS urban-rural classification); rural population to the villages of
    towns and townships. Unit weights are lognormal, seeded by each unit's code.
    """
    street_codes = set(towns.loc[towns["kind"].isin(["street", "county_direct"]), "code"])
    weights = lognormal_weights(comms["code"].tolist(), POPULATION_SIGMA, POPULATION_SALT)
    is_comm = (comms["kind"] == "community").to_numpy()
    weights = np.where(is_comm, weights * URBAN_COMMUNITY_WEIGHT, weights)
    urban = is_comm | comms["township_code"].isin(street_codes).to_numpy()
    population = pd.Series(0, index=comms.index, dtype="int64")
    households = pd.Series(0, index=comms.index, dtype="int64")
    for county in counties.itertuples():
        mine = (comms["county_code"] == county.code).to_numpy()
        codes = comms["code"].to_numpy()
        pops = split_population(
            int(county.population),
            float(county.urban_share),
            dict(zip(codes[mine & urban], weights[mine & urban], strict=True)),
            dict(zip(codes[mine & ~urban], weights[mine & ~urban], strict=True)),
        )
        idx = np.flatnonzero(mine)
        population.iloc[idx] = [pops[c] for c in codes[idx]]
        households.iloc[idx] = np.maximum(
            np.rint(population.iloc[idx].to_numpy() / county.household_size), 1
        ).astype("int64")
    comms["population"] = population
    comms["households"] = households


def _cap_township_density(
    counties: gpd.GeoDataFrame,
    towns: gpd.GeoDataFrame,
    comms: gpd.GeoDataFrame,
    metric_crs: str,
) -> None:
    """Keep every township at or below :data:`MAX_TOWNSHIP_DENSITY` (in place).

    A generated zone can come out small around a populous street; its estimated
    population would then read as a density no city core has. The excess moves to the
    county's other townships in proportion to their population (water-filling until none
    is over the cap), and each township's total is re-apportioned to its communities by
    their former shares, so county totals stay exact to the person.
    """
    area_km2 = towns.to_crs(metric_crs).geometry.area.to_numpy() / 1e6
    cap = np.floor(MAX_TOWNSHIP_DENSITY * area_km2).astype(np.int64)
    current = comms.groupby("township_code")["population"].sum()
    population = current.reindex(towns["code"]).fillna(0).to_numpy(dtype=np.int64, copy=True)
    county_of = towns["county_code"].to_numpy()
    for code in np.unique(county_of):
        mine = np.flatnonzero(county_of == code)
        for _ in range(len(mine)):
            over = population[mine] > cap[mine]
            if not over.any():
                break
            excess = int((population[mine][over] - cap[mine][over]).sum())
            population[mine[over]] = cap[mine[over]]
            room = np.maximum(cap[mine] - population[mine], 0)
            takers = (room > 0) & ~over
            if not takers.any():
                break  # the county is denser than the cap everywhere: leave the rest over
            share = apportion(excess, np.maximum(population[mine][takers], 1))
            population[mine[takers]] += share
    for town_code, total in zip(towns["code"], population, strict=True):
        rows = np.flatnonzero((comms["township_code"] == town_code).to_numpy())
        if len(rows) == 0 or total == int(comms["population"].iloc[rows].sum()):
            continue
        weights = np.maximum(comms["population"].iloc[rows].to_numpy(), 1)
        comms.iloc[rows, comms.columns.get_loc("population")] = apportion(int(total), weights)
    size = counties.set_index("code")["household_size"].reindex(comms["county_code"]).to_numpy()
    comms["households"] = np.maximum(np.rint(comms["population"].to_numpy() / size), 1).astype(
        "int64"
    )
