"""A planning run in its own process: ``python -m planner.ui.jobs.worker JOB_DIR``.

The app starts one worker per run (:mod:`planner.ui.jobs.runs`) so that a long solve never
blocks the Streamlit server and can be stopped by ending the process. The job folder
holds what the app wrote:

* ``job.json`` — ``{"db": database file, "scenario_id": id, "region": region id,
  "region_dir": folder of an unsaved region pack or null, "review": null or
  {"parent_id": reviewed plan id, "mode": "keep" | "reoptimise"}}`` (a re-run honouring
  the scenario's site review, :func:`planner.plan.review.run_reviewed`);
* ``scenario.json`` — the scenario to run;

and what the worker writes:

* ``progress.jsonl`` — one ``{"stage": "run.stage.*", "fraction": f, "elapsed": s}``
  line per pipeline stage, flushed at once;
* ``plan/`` — the plan files (:meth:`planner.plan.Plan.write`), then stored in the
  database with the scenario (:meth:`planner.store.Store.save_plan`);
* ``result.json`` — ``{"state": "done", "plan_id": n, "status": ...}`` or
  ``{"state": "failed", "message": {"zh": ..., "en": ...}}``, written last.

This module does not import streamlit.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path

from planner.i18n import LANGUAGES, PlannerError, t


def _load_region(job: dict):
    from planner.data.regions import LAYERS, OPTIONAL_LAYERS, Region, load_region, read_layer

    folder = job.get("region_dir")
    if not folder:
        return load_region(job["region"])
    folder = Path(folder)
    meta = json.loads((folder / "region.json").read_text(encoding="utf-8"))
    layers = {}
    for name in (*LAYERS, *OPTIONAL_LAYERS):
        path = folder / f"{name}.geojson"
        layers[name] = read_layer(path) if path.exists() else None
    return Region(id=job["region"], meta=meta, path=None, **layers)


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def run(job_dir: Path) -> int:
    """Run the job in ``job_dir``; returns the process exit status."""
    started = time.monotonic()
    progress_file = (job_dir / "progress.jsonl").open("a", encoding="utf-8")

    def progress(stage: str, fraction: float) -> None:
        line = {"stage": stage, "fraction": fraction, "elapsed": time.monotonic() - started}
        progress_file.write(json.dumps(line) + "\n")
        progress_file.flush()

    try:
        job = json.loads((job_dir / "job.json").read_text(encoding="utf-8"))
        from planner.run import run_plan
        from planner.scenario import Scenario
        from planner.store import Store

        scenario = Scenario.load(job_dir / "scenario.json")
        progress("ui.run.stage.loading", 0.0)
        region = _load_region(job)
        from planner.accounts import Actor

        # the user who started the run: the store checks their role again and stores it
        store = Store(job["db"], actor=Actor(**job["actor"]) if job.get("actor") else None)
        review = job.get("review")
        parent_id, summary = None, None
        if review:
            from planner.plan.review import review_summary, run_reviewed

            parent_id = int(review["parent_id"])
            states = store.review_states(int(job["scenario_id"]))
            previous = store.load_plan(parent_id)
            plan, applied = run_reviewed(
                region, scenario, states, previous, review["mode"], progress=progress
            )
            summary = review_summary(applied, states, review["mode"], base=scenario)
        else:
            plan = run_plan(region, scenario, progress=progress)
        out = plan.write(job_dir / "plan")
        record = store.save_plan(
            int(job["scenario_id"]),
            out,
            seconds=round(time.monotonic() - started, 2),
            parent_id=parent_id,
            review=summary,
        )
        _write_json(
            job_dir / "result.json",
            {"state": "done", "plan_id": record.id, "status": record.status},
        )
        return 0
    except PlannerError as err:
        message = {lang: err.message(lang) for lang in LANGUAGES}
        _write_json(job_dir / "result.json", {"state": "failed", "message": message})
        return 2
    except Exception as err:
        traceback.print_exc()  # into the job's log, for support; never shown in the UI
        name = type(err).__name__
        message = {lang: t("ui.worker.unexpected", lang, error=name) for lang in LANGUAGES}
        _write_json(job_dir / "result.json", {"state": "failed", "message": message})
        return 3
    finally:
        progress_file.close()


if __name__ == "__main__":
    raise SystemExit(run(Path(sys.argv[1])))
