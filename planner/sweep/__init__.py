"""Scenario sweeps: the same city solved for many parameter values, on Dask.

A sweep answers "how many stations do we need, and what does each extra hundred buy":
one base scenario, the parameters to vary and their values; every combination (the
cartesian product) is a *point*, solved as an independent planning run
(:func:`planner.run.run_plan`).

Modules
-------
:mod:`~planner.sweep.definition`
    The definition file (YAML, JSON or TOML), its ranges and dotted scenario paths,
    checked before anything runs (:class:`SweepDefinition`).
:mod:`~planner.sweep.points`
    The points and their content-hash keys, which make a sweep idempotent and
    resumable (:class:`SweepPoint`).
:mod:`~planner.sweep.run`
    :func:`run_sweep`: the points not done yet, submitted to Dask, stored in the
    database (:class:`planner.store.Store`) as they finish, with progress.
:mod:`~planner.sweep.cluster`
    The Dask client: an existing scheduler or a local cluster (:func:`dask_client`).
:mod:`~planner.sweep.worker`
    The task a worker runs per point (:func:`solve_point`), with the worker's caches
    of regions, instances and neighbouring plans ("warm starts").
:mod:`~planner.sweep.curve`
    The trade-off curve of a stored sweep (:func:`load_curve`): the table per point
    (city and counties), the marginal coverage per extra 100 stations, the knee of
    coverage against stations, CSV and PNG.
"""

from __future__ import annotations

from planner.sweep.cluster import dask_client
from planner.sweep.curve import SweepCurve, load_curve, sweep_curve
from planner.sweep.definition import MAX_POINTS, SweepDefinition, SweepParameter
from planner.sweep.points import SweepPoint
from planner.sweep.run import SweepProgress, SweepRun, SweepStop, run_sweep
from planner.sweep.worker import EVENT_TOPIC, solve_point

__all__ = [
    "EVENT_TOPIC",
    "MAX_POINTS",
    "SweepCurve",
    "SweepDefinition",
    "SweepParameter",
    "SweepPoint",
    "SweepProgress",
    "SweepRun",
    "SweepStop",
    "dask_client",
    "load_curve",
    "run_sweep",
    "solve_point",
    "sweep_curve",
]
