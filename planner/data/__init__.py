"""Region data, the first stage of the pipeline: what a city is made of.

* :mod:`~planner.data.regions`: region packs (counties, townships, communities, sites)
  and the user region folder; :mod:`~planner.data.roads`: road files stored with a region.
* :mod:`~planner.data.synth`: layers generated where official ones are missing.
* :mod:`~planner.data.crs`: coordinate systems (WGS84, GCJ-02, BD-09, CGCS2000, EPSG),
  their conversion and detection.
* :mod:`~planner.data.io`: planners' files read into layers (readers by format, layers,
  population tables); :mod:`~planner.data.checks`: the checks and the report of an import.
* :mod:`~planner.data.edit`: a region edited from uploads (import into the region on
  screen, a new city, save as a user region), as the Data page's import panel uses it.
"""
