"""Extra station candidates in dense urban areas as population-weighted cluster centres.

The alternative to the regular ``dense_grid_m`` grid (issue 19, item 5), chosen with
``Scenario.dense_candidates = "kmeans"``: as many candidates as the grid would make in
each township's dense communities (area ÷ spacing², at least one per township), placed
at the centres of a k-means (scikit-learn ``KMeans`` with ``sample_weight``) over points
drawn inside those communities, each point weighted by its community's population
density. Candidates crowd where people crowd instead of covering the area evenly.
Every centre is moved to its nearest drawn point, so it lies inside a dense community
(and takes that community's code). Deterministic: the draws and the k-means are seeded
by the township code.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree
from sklearn.cluster import KMeans

from planner.data.synth import rng_for, sample_inside

__all__ = ["POINTS_PER_CANDIDATE", "dense_kmeans_points"]

#: Points drawn per candidate: enough for k-means to see each community's shape.

POINTS_PER_CANDIDATE = 10
#: Most k-means iterations: centres settle within a few tens on these samples.
MAX_ITER = 30


def dense_kmeans_points(dense: gpd.GeoDataFrame, spacing_m: float) -> pd.DataFrame | None:
    """Cluster-centre candidates in ``dense`` communities (metric CRS).

    Parameters
    ----------
    dense
        The dense communities (``code``, ``township_code``, ``county_code``,
        ``population``, polygon geometry in metres).
    spacing_m
        The grid spacing whose candidate count each township's dense area keeps.

    Returns
    -------
    pandas.DataFrame or None
        ``site_id`` (``k<township>-<nnn>``), ``community_code``, ``township_code``,
        ``county_code``, ``x``, ``y`` (metres); ``None`` when nothing is dense.
    """
    if dense.empty:
        return None
    rows = []
    for town, units in dense.groupby("township_code", sort=True):
        units = units.sort_values("code")
        k = max(int(np.ceil(float(units.geometry.area.sum()) / spacing_m**2)), 1)
        rng = rng_for(str(town), 5)
        area = units.geometry.area.to_numpy()
        # Points in proportion to area (an even cover), weighted by density: together
        # each community pulls in proportion to its population.
        counts = np.maximum(np.rint(k * POINTS_PER_CANDIDATE * area / area.sum()), 1)
        points, weights, codes = [], [], []
        for unit, n, a in zip(units.itertuples(), counts.astype(int), area, strict=True):
            xy = sample_inside(unit.geometry, n, rng)
            points.append(xy)
            weights.append(np.full(n, float(unit.population) / max(a, 1.0)))
            codes += [unit.code] * n
        sample = np.vstack(points)
        weight = np.maximum(np.concatenate(weights), 1e-9)
        k = min(k, len(sample))
        kmeans = KMeans(
            n_clusters=k,
            n_init=1,
            max_iter=MAX_ITER,
            random_state=int(rng.integers(2**31 - 1)),
        )
        kmeans.fit(sample, sample_weight=weight)
        nearest = np.unique(cKDTree(sample).query(kmeans.cluster_centers_)[1])
        county = str(units["county_code"].iloc[0])
        for i, j in enumerate(nearest):
            x, y = sample[j]
            rows.append((f"k{town}-{i:03d}", codes[j], str(town), county, x, y))
    return pd.DataFrame(
        rows, columns=["site_id", "community_code", "township_code", "county_code", "x", "y"]
    )
