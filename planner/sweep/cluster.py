"""The Dask cluster a sweep runs on: an existing scheduler, or local worker processes.

Points run as independent Dask tasks, on an existing scheduler (``scheduler=
"tcp://host:8786"``; its workers need this package installed) or on a ``LocalCluster``
of worker processes with one thread each (the solvers are single-threaded and hold the
GIL for long stretches, so processes, not threads). A worker that dies is replaced by
its nanny and Dask re-runs its task elsewhere.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from planner.i18n import PlannerError

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["CONNECT_TIMEOUT_S", "WORKER_ENVIRON", "dask_client"]

#: Seconds to wait for a scheduler given by address.
CONNECT_TIMEOUT_S = 20

#: Dask settings for the workers of a local cluster. Dask's default environment for
#: them sets ``MALLOC_TRIM_THRESHOLD_=65536`` (glibc hands freed memory back to the
#: system eagerly). With it, HiGHS's root-node line-search rounding on the Wenzhou
#: 500-station tier (objective propagation, which does not check the time limit) ran
#: far past the tier's time limit, for the same plan. The thread limits
#: (``OMP_NUM_THREADS=1`` …) stay.
WORKER_ENVIRON = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}


@contextlib.contextmanager
def dask_client(
    scheduler: str | None = None, workers: int = 2, threads: int = 1
) -> Iterator[Client]:
    """A Dask client of ``scheduler``, or of a local cluster started for the sweep.

    Parameters
    ----------
    scheduler
        Address of an existing scheduler (``tcp://host:8786``); ``None`` starts a
        ``LocalCluster`` of ``workers`` processes with ``threads`` threads each, with
        :data:`WORKER_ENVIRON`, and closes it on exit.

    Raises
    ------
    PlannerError
        ``sweep.scheduler_unreachable`` when the scheduler does not answer.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError, TypeError) as err:
            raise PlannerError("sweep.scheduler_unreachable", address=scheduler, error=err) from err
        try:
            yield client
        finally:
            client.close()
        return
    import dask

    # Dask's nannies write their workers' environment into this process's os.environ
    # before spawning (and again on a restart); put it back afterwards so that later
    # subprocesses (a plan run from the app, the benchmark's independent runs) do not
    # inherit it.
    saved = dict(os.environ)
    try:
        with dask.config.set(WORKER_ENVIRON):
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=threads,
                processes=True,
                dashboard_address=":0",
                # A dead worker or a shutdown race makes Dask log tracebacks; what
                # matters is each point's outcome, which is stored and reported in words.
                silence_logs=logging.CRITICAL,
            )
            try:
                with Client(cluster) as client:
                    yield client
            finally:
                cluster.close()
    finally:
        os.environ.clear()
        os.environ.update(saved)
