"""Running a sweep: every point not done yet, on Dask, stored as results arrive.

Idempotence and resume
----------------------
:func:`run_sweep` registers the sweep and its points in the database
(:meth:`planner.store.Store.start_sweep`; the keys are content hashes,
:mod:`planner.sweep.points`) and submits only the points that are not done. The
database has one row per (sweep, point) and a ``done`` row is never overwritten, so a
result that arrives twice (a task re-run after its worker died, two clients on one
sweep) is stored once. All database writes happen on the client, as results arrive.

Execution
---------
Each point is a Dask task (:func:`planner.sweep.worker.solve_point`) on the cluster of
:func:`planner.sweep.cluster.dask_client`, with a deterministic task key, so the
scheduler holds one task per point even if two clients submit the same sweep. The
point's ``attempts`` count every start (reported by the workers as events on
:data:`~planner.sweep.worker.EVENT_TOPIC`). A point whose task fails is stored with its
error, in both languages for a :class:`~planner.i18n.PlannerError`, and the sweep goes
on. Progress is reported after every finished point (:class:`SweepProgress`), from the
database's counts, so a resumed sweep starts where it stopped.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from planner.i18n import PlannerError
from planner.store import Store, SweepPointRecord, SweepRecord
from planner.sweep.cluster import dask_client
from planner.sweep.definition import SweepDefinition
from planner.sweep.points import SweepPoint
from planner.sweep.worker import EVENT_TOPIC, error_record, solve_point

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["Progress", "SweepProgress", "SweepRun", "SweepStop", "run_sweep"]


@dataclass(frozen=True)
class SweepProgress:
    """Progress of a sweep, after each finished point.

    Attributes
    ----------
    done, failed, total
        Solved, failed and all points of the sweep (earlier runs included).
    point
        The point that just finished (``None`` for the report at the start).
    """

    done: int
    failed: int
    total: int
    point: SweepPointRecord | None = None

    @property
    def finished(self) -> int:
        """Points solved or failed."""
        return self.done + self.failed

    @property
    def fraction(self) -> float:
        """Share of points finished (for a progress bar)."""
        return self.finished / self.total if self.total else 1.0


@dataclass(frozen=True)
class SweepRun:
    """What one call of :func:`run_sweep` did.

    Attributes
    ----------
    sweep
        The sweep as stored at the end (its counts include earlier runs).
    computed
        Points solved or failed by this call (invalid points included).
    skipped
        Points already done before this call.
    stopped
        Whether the call stopped before every point was finished (``max_points``
        or a :class:`SweepStop` from the progress callback).
    """

    sweep: SweepRecord
    computed: int
    skipped: int
    stopped: bool = False

    @property
    def complete(self) -> bool:
        """Whether every point of the sweep is solved."""
        return self.sweep.complete


class SweepStop(Exception):  # a request, not an error
    """Raise from a progress callback to stop a sweep; what is done stays stored."""


Progress = Callable[[SweepProgress], None]


def run_sweep(
    definition: SweepDefinition,
    store: Store | None = None,
    *,
    scheduler: str | None = None,
    workers: int = 2,
    threads_per_worker: int = 1,
    progress: Progress | None = None,
    max_points: int | None = None,
    retry_failed: bool = True,
    keep_plans: bool = True,
    reuse_instances: bool = True,
    start_from_neighbours: bool = False,
) -> SweepRun:
    """Solve every point of ``definition`` not done yet, storing results as they come.

    Parameters
    ----------
    definition
        The sweep.
    store
        Where results go; default :class:`~planner.store.Store` at its default path.
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``); ``None`` starts a
        ``LocalCluster`` for the duration of the call.
    workers, threads_per_worker
        Size of that local cluster (worker processes, threads each).
    progress
        Called with a :class:`SweepProgress` at the start and after every finished
        point; raising :class:`SweepStop` stops the sweep (anything else stops it and
        propagates).
    max_points
        Stop after this many points were finished by this call.
    retry_failed
        Run points that failed in an earlier call again (a dead worker or a missing
        road file may be gone now); otherwise only pending points run.
    keep_plans
        Store each solved point's plan files, for a map of any point later.
    reuse_instances
        Let each worker reuse the instance of its earlier points (:func:`solve_point`).
    start_from_neighbours
        Start each point's solvers from the worker's neighbouring solved plan; off by
        default, as it did not pay on Wenzhou (see "Warm starts" in
        :mod:`planner.sweep.worker`).

    Returns
    -------
    SweepRun
        The stored sweep and what this call did.

    Raises
    ------
    PlannerError
        ``sweep.bad_workers``, ``sweep.scheduler_unreachable`` or a database error.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise PlannerError("sweep.bad_workers", workers=workers)
    store = store if store is not None else Store()
    sweep_id = definition.id
    points = definition.points()
    store.start_sweep(
        sweep_id, definition.region, definition.name, definition.to_dict(),
        [p.row() for p in points],
    )  # fmt: skip
    stored = {p.key: p for p in store.sweep_points(sweep_id)}
    wanted = ("pending", "failed") if retry_failed else ("pending",)
    todo = [p for p in points if stored[p.key].status in wanted]
    skipped = sum(1 for p in points if stored[p.key].status == "done")
    state = _RunState(store, sweep_id, progress, max_points)
    try:
        state.report(None)
        for point in (p for p in todo if p.scenario is None):
            state.finish(point.key, "failed", attempts=0, error=error_record(point.error))
        runnable = [p for p in todo if p.scenario is not None]
        if runnable and not state.should_stop():
            with dask_client(scheduler, workers, threads_per_worker) as client:
                _run_on(
                    client,
                    definition.region,
                    sweep_id,
                    runnable,
                    state,
                    keep_plans,
                    (reuse_instances, start_from_neighbours),
                )
    except SweepStop:
        state.stopped = True
    sweep = store.get_sweep(sweep_id)
    stopped = state.stopped and sweep.done + sweep.failed < sweep.total
    return SweepRun(sweep=sweep, computed=state.computed, skipped=skipped, stopped=stopped)


class _RunState:
    """Bookkeeping of one run: writes results, counts, reports, decides to stop."""

    def __init__(
        self, store: Store, sweep_id: str, progress: Progress | None, max_points: int | None
    ) -> None:
        self.store = store
        self.sweep_id = sweep_id
        self.progress = progress
        self.max_points = max_points
        self.computed = 0
        self.stopped = False
        self.starts: Counter[str] = Counter()
        self.lock = threading.Lock()

    def on_event(self, event: tuple[float, Any]) -> None:
        """A worker started a point (called on the client's event-loop thread)."""
        msg = event[1] if isinstance(event, tuple | list) and len(event) == 2 else event
        if isinstance(msg, Mapping) and msg.get("sweep") == self.sweep_id:
            with self.lock:
                self.starts[str(msg.get("point"))] += 1

    def attempts(self, key: str) -> int:
        with self.lock:
            return max(1, self.starts.pop(key, 0))

    def finish(self, key: str, status: str, **values: Any) -> None:
        """Store a point's outcome and report progress."""
        wrote = self.store.record_sweep_point(self.sweep_id, key, status, **values)
        self.computed += int(wrote)
        self.report(self.store.sweep_point(self.sweep_id, key))
        if self.should_stop():
            self.stopped = True

    def should_stop(self) -> bool:
        return self.max_points is not None and self.computed >= self.max_points

    def report(self, point: SweepPointRecord | None) -> None:
        if self.progress is None:
            return
        sweep = self.store.get_sweep(self.sweep_id)
        self.progress(SweepProgress(sweep.done, sweep.failed, sweep.total, point))


def _run_on(
    client: Client,
    region: str,
    sweep_id: str,
    points: Sequence[SweepPoint],
    state: _RunState,
    keep_plans: bool,
    reuse: tuple[bool, bool] = (True, False),
) -> None:
    """Submit every point and store the results in the order they finish."""
    from distributed import as_completed

    client.subscribe_topic(EVENT_TOPIC, state.on_event)
    futures = {}
    for point in points:
        # A deterministic task key: the scheduler holds one task per point even if
        # two clients submit the same sweep at once.
        future = client.submit(
            solve_point, region, point.scenario.to_dict(), sweep_id, point.key, keep_plans,
            *reuse,
            key=f"planner-sweep-{sweep_id}-{point.key}",
        )  # fmt: skip
        futures[future] = point
    remaining = set(futures)
    try:
        for future in as_completed(list(futures)):
            remaining.discard(future)
            point = futures[future]
            try:
                out = future.result()
            except Exception as err:  # KilledWorker, a lost scheduler...
                state.finish(
                    point.key, "failed", attempts=state.attempts(point.key),
                    error=error_record(err),
                )  # fmt: skip
            else:
                state.finish(
                    point.key, out["status"], attempts=state.attempts(point.key),
                    seconds=out.get("seconds"), worker=out.get("worker"),
                    error=out.get("error"), result=out.get("result"), plan=out.get("plan"),
                )  # fmt: skip
            if state.stopped:
                break
    finally:
        if remaining:
            client.cancel(list(remaining))
        with contextlib.suppress(Exception):
            client.unsubscribe_topic(EVENT_TOPIC)
