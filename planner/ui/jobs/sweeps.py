"""Scenario sweeps in background processes, shared by every session of the app.

:func:`start` writes the sweep's definition (:meth:`planner.sweep.SweepDefinition.to_dict`)
into a job folder and launches the command line, ``python -m planner sweep --region R
--sweep FOLDER/definition.json --out FOLDER/out --workers N --db DB``, in a new process
group with its output in ``FOLDER/log.txt``. The command stores every finished point in
the database as it arrives, so the page follows the sweep from the database's counts
(:meth:`planner.store.Store.get_sweep`), not from the process. :meth:`SweepJob.stop`
ends the whole process group (the command and its Dask workers): the points already
finished stay stored, and starting the same definition again resumes the sweep (same
content-hash id; :func:`planner.sweep.run_sweep` skips the finished points).

The registry (:class:`planner.ui.jobs.processes.Registry`) lives in this module, one per
app server, keyed by sweep id: one process per sweep. This module does not import
streamlit.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from planner.accounts import LOCAL, Actor, check
from planner.i18n import LANGUAGES, PlannerError, t
from planner.sweep import SweepDefinition
from planner.ui.jobs.processes import ProcessJob, Registry, end_group, launch, read_log

__all__ = ["JOBS", "MAX_SWEEPS", "MAX_WORKERS", "SweepJob", "get", "running", "start"]

#: At most this many sweeps at once on the server (env ``PLANNER_MAX_SWEEPS``): each
#: one keeps its worker processes busy.
MAX_SWEEPS = int(os.environ.get("PLANNER_MAX_SWEEPS", "1"))
#: Most worker processes one sweep may ask for from the app.
MAX_WORKERS = 2
#: Finished jobs are forgotten after this many seconds.
KEEP_FINISHED_S = 6 * 3600
#: Exit status of ``python -m planner sweep``: every point solved / some point failed.
EXIT_COMPLETE, EXIT_INCOMPLETE = 0, 1


@dataclass(eq=False)
class SweepJob(ProcessJob):
    """One sweep computed by a ``python -m planner sweep`` process.

    Attributes
    ----------
    sweep_id, region, name
        What is being computed (the id is the definition's content hash).
    workers
        Dask worker processes.
    folder
        The job folder: ``definition.json``, ``log.txt`` and ``out/``.
    proc
        The command's process (leader of its own process group).
    """

    sweep_id: str
    region: str
    name: str
    workers: int
    code: int | None = None

    def poll(self) -> str:
        """``running``, ``finished`` (every point computed, some may have failed),
        ``stopped`` (by :meth:`stop`) or ``failed`` (the process itself failed)."""
        with self._lock:
            if self.code is None:
                code = self.proc.poll()
                if code is None:
                    return "running"
                self.code = code
                self.finished = time.monotonic()
                self._log = read_log(self.folder)
                shutil.rmtree(self.folder, ignore_errors=True)
            if self.stopped:
                return "stopped"
            return "finished" if self.code in (EXIT_COMPLETE, EXIT_INCOMPLETE) else "failed"

    def message(self) -> dict[str, str]:
        """Why the process failed, in each language (for ``failed``)."""
        return {lang: t("ui.swjobs.crashed", lang, code=self.code) for lang in LANGUAGES}

    def stop(self, actor: Actor = LOCAL) -> None:
        """End the command and its Dask workers (the whole process group), if
        ``actor`` may (``sweep.stop``).

        Finished points stay stored; the point being computed stays pending.
        """
        check(actor, "sweep.stop")
        if self.proc.poll() is not None:
            self.poll()
            return
        self.stopped = True
        end_group(self.proc, grace_s=10)
        self.poll()


#: The sweeps of this app server, by sweep id.
JOBS: Registry[SweepJob] = Registry(KEEP_FINISHED_S)


def get(sweep_id: str | None) -> SweepJob | None:
    """The latest job of sweep ``sweep_id`` this server started, if any."""
    return JOBS.get(sweep_id)


def running() -> list[SweepJob]:
    """Sweeps being computed on this server."""
    return JOBS.running()


def start(
    db: Path,
    definition: SweepDefinition,
    workers: int = 2,
    lang: str = "zh",
    actor: Actor = LOCAL,
) -> SweepJob:
    """Start computing ``definition`` (or resume it) in a background process.

    Parameters
    ----------
    db
        The database file the sweep's points are stored in.
    definition
        A checked definition (:meth:`SweepDefinition.from_dict`).
    workers
        Dask worker processes, 1 to :data:`MAX_WORKERS`.
    lang
        Language of the command's log.
    actor
        Who starts it (``sweep.start`` is checked here).

    Returns
    -------
    SweepJob
        The running job; the one already running when this sweep is being computed.

    Raises
    ------
    PlannerError
        ``ui.swjobs.bad_workers``, ``ui.swjobs.too_many`` (:data:`MAX_SWEEPS`) or
        ``ui.swjobs.cannot_start``.
    """
    check(actor, "sweep.start")
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS:
        raise PlannerError("ui.swjobs.bad_workers", workers=workers, limit=MAX_WORKERS)
    with JOBS.held() as jobs:
        current = jobs.get(definition.id)
        if current is not None and current.poll() == "running":
            return current
        busy = [j for j in jobs.values() if j.poll() == "running"]
        if len(busy) >= MAX_SWEEPS:
            raise PlannerError("ui.swjobs.too_many", count=len(busy), limit=MAX_SWEEPS)
        folder = Path(tempfile.mkdtemp(prefix="planner-sweep-"))
        try:
            path = folder / "definition.json"
            path.write_text(
                json.dumps(definition.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8"
            )
            command = [
                "-m", "planner", "--lang", lang, "sweep",
                "--region", definition.region, "--sweep", str(path),
                "--out", str(folder / "out"), "--workers", str(workers), "--db", str(db),
            ]  # fmt: skip
            proc = launch(command, folder)
        except OSError as err:
            shutil.rmtree(folder, ignore_errors=True)
            raise PlannerError("ui.swjobs.cannot_start", error=err) from err
        job = SweepJob(
            sweep_id=definition.id,
            region=definition.region,
            name=definition.name,
            workers=workers,
            folder=folder,
            proc=proc,
        )
        jobs[definition.id] = job
        return job
