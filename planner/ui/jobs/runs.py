"""Planning runs in background processes, shared by every session of the app.

:func:`start` launches ``python -m planner.ui.jobs.worker`` (:mod:`planner.ui.jobs.worker`) in a
new process group and returns a :class:`Job`. The page polls the job (its progress file
and the process) and can :meth:`Job.stop` it, which ends the process: a solver deep in
native code stops at once, and nothing of the run is stored. The worker stores a
finished plan in the database itself, so a result is kept even if nobody watches.

The registry (:class:`planner.ui.jobs.processes.Registry`) lives in this module, one per
app server; this module does not import streamlit.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from planner.accounts import LOCAL, Actor, check
from planner.data.regions import LAYERS, OPTIONAL_LAYERS, Region, write_layers
from planner.i18n import LANGUAGES, PlannerError, t
from planner.scenario import Scenario
from planner.ui.jobs.processes import ProcessJob, Registry, end_group, launch

__all__ = ["JOBS", "Job", "get", "running", "start"]

#: At most this many runs at once on the server (env ``PLANNER_MAX_RUNS``).
MAX_RUNS = int(os.environ.get("PLANNER_MAX_RUNS", "2"))
#: Finished jobs are forgotten after this many seconds.
KEEP_FINISHED_S = 6 * 3600


@dataclass(eq=False)
class Job(ProcessJob):
    """One planning run in a worker process.

    Attributes
    ----------
    id
        Unique id (kept in the session that started it).
    scenario_id, scenario_name, region
        What is being planned.
    folder
        The job folder (see :mod:`planner.ui.jobs.worker`).
    """

    id: str
    scenario_id: int
    scenario_name: str
    region: str
    _result: dict | None = None

    # --- state ---------------------------------------------------------------------------

    def poll(self) -> str:
        """``running``, ``done``, ``failed`` or ``stopped``."""
        with self._lock:
            return self._poll()

    def _poll(self) -> str:
        if self._result is not None:
            return self._result["state"]
        code = self.proc.poll()
        if code is None:
            return "running"
        self.finished = self.finished or time.monotonic()
        if self.stopped:
            self._result = {"state": "stopped"}
        else:
            try:
                self._result = json.loads((self.folder / "result.json").read_text("utf-8"))
            except (OSError, ValueError):
                self._result = {
                    "state": "failed",
                    "message": {lang: t("ui.jobs.crashed", lang, code=code) for lang in LANGUAGES},
                }
        self._log = self.log()
        shutil.rmtree(self.folder, ignore_errors=True)
        return self._result["state"]

    @property
    def result(self) -> dict:
        """The outcome once finished (``{}`` while running)."""
        self.poll()
        return self._result or {}

    def progress(self) -> tuple[str, float]:
        """The last stage reported (a ``run.stage.*`` message key) and its fraction."""
        try:
            lines = (self.folder / "progress.jsonl").read_text("utf-8").splitlines()
            last = json.loads(lines[-1])
            return str(last["stage"]), float(last["fraction"])
        except (OSError, ValueError, IndexError, KeyError):
            return "ui.run.stage.starting", 0.0

    def stop(self, actor: Actor = LOCAL) -> None:
        """End the run (its process group) if ``actor`` may (``run.stop``); nothing is
        stored."""
        check(actor, "run.stop")
        if self.proc.poll() is not None:
            return
        self.stopped = True
        end_group(self.proc, grace_s=5)
        self.poll()


#: The runs of this app server, by job id.
JOBS: Registry[Job] = Registry(KEEP_FINISHED_S)


def get(job_id: str | None) -> Job | None:
    """The job with ``job_id``, if this server knows it."""
    return JOBS.get(job_id)


def running(scenario_id: int | None = None) -> list[Job]:
    """Jobs still running (for one scenario, or all)."""
    if scenario_id is None:
        return JOBS.running()
    return JOBS.running(lambda j: j.scenario_id == scenario_id)


def start(
    db: Path,
    scenario_id: int,
    scenario: Scenario,
    region: Region | None = None,
    review: dict | None = None,
    actor: Actor = LOCAL,
) -> Job:
    """Start a worker planning ``scenario`` and storing the plan with ``scenario_id``.

    Parameters
    ----------
    db
        The database file the worker stores the plan in.
    scenario_id, scenario
        The saved scenario (as saved).
    region
        A region with unsaved imported layers: written as a pack into the job folder for
        the worker. ``None`` runs on the saved pack ``scenario.region``.
    review
        ``{"parent_id": plan id, "mode": "keep" | "reoptimise"}`` to re-run honouring
        the scenario's site review against that plan (see :mod:`planner.ui.jobs.worker`).
    actor
        Who starts it: checked here (``run.start``, or ``review.rerun`` with
        ``review``) and handed to the worker, which stores the plan as theirs.

    Raises
    ------
    PlannerError
        ``auth.forbidden`` when ``actor`` may not; ``ui.jobs.too_many`` when
        :data:`MAX_RUNS` runs are going on.
    """
    check(actor, "review.rerun" if review else "run.start")
    busy = running()
    if len(busy) >= MAX_RUNS:
        raise PlannerError("ui.jobs.too_many", count=len(busy), limit=MAX_RUNS)
    folder = Path(tempfile.mkdtemp(prefix="planner-run-"))
    try:
        region_dir = None
        if region is not None:
            region_dir = folder / "region"
            layers = {name: region.layer(name) for name in (*LAYERS, *OPTIONAL_LAYERS)}
            write_layers(region_dir, dict(region.meta), layers)
        job_info = {
            "db": str(db),
            "scenario_id": int(scenario_id),
            "region": scenario.region,
            "region_dir": str(region_dir) if region_dir else None,
            "review": review,
            "actor": {"name": actor.name, "role": actor.role, "display_name": actor.display_name},
        }
        (folder / "job.json").write_text(json.dumps(job_info), encoding="utf-8")
        (folder / "scenario.json").write_text(scenario.to_json(), encoding="utf-8")
        proc = launch(["-m", "planner.ui.jobs.worker", str(folder)], folder)
    except OSError as err:
        shutil.rmtree(folder, ignore_errors=True)
        raise PlannerError("ui.jobs.cannot_start", error=err) from err
    job = Job(
        id=uuid.uuid4().hex,
        scenario_id=int(scenario_id),
        scenario_name=scenario.name,
        region=scenario.region,
        folder=folder,
        proc=proc,
    )
    JOBS.add(job.id, job)
    return job
