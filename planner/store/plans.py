"""Stored plans: tables ``plans`` and ``plan_files``.

``plans`` has one row per stored run: the scenario snapshot it answered, status, city
indicators and tier results (JSON) for listing without unpacking the files, and for a
re-run honouring a review the reviewed plan (``parent_id``) and what was applied
(``review``). ``plan_files`` holds the plan's files (:meth:`planner.plan.Plan.write`)
as BLOB rows, so a plan is read back exactly as it was written.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner.i18n import PlannerError
from planner.plan import Plan
from planner.scenario import Scenario
from planner.spreadsheet import csv_bytes
from planner.store.database import Database, Row, _now, _returned_id

__all__ = ["PlanRecord", "PlanTables"]

#: Tier statuses from worst to best: a plan's status is its worst tier's.
_STATUS_ORDER = ["error", "infeasible", "unbounded", "time_limit_feasible", "optimal"]


@dataclass(frozen=True)
class PlanRecord:
    """A stored plan, without its files (see :meth:`Store.load_plan`).

    Attributes
    ----------
    id, scenario_id
        Database ids.
    region
        Region id it was computed for.
    scenario_name
        Name of the scenario when the plan was stored.
    scenario
        The scenario it answers, as it was when run.
    status
        Worst tier status (``optimal`` only when every tier is).
    kpis
        City indicators (:func:`planner.plan.kpi.city_kpis`).
    results
        Tier results (:class:`planner.plan.TierResult` as dicts).
    seconds
        Wall-clock time of the run, when known.
    created_at
        When it was stored (ISO, UTC).
    parent_id
        For a re-run honouring a review: the plan that was reviewed.
    review
        For such a re-run, what it applied
        (:func:`planner.plan.review.review_summary`): ``{"mode": ..., "versions":
        {"tier/site": version}, "moves": [[tier, old, new], ...]}``.
    user_name, user_role
        Who started the run, and in which role ("" when stored before accounts).
    """

    id: int
    scenario_id: int
    region: str
    scenario_name: str
    scenario: Scenario
    status: str
    kpis: dict[str, Any]
    results: list[dict[str, Any]] = field(default_factory=list)
    seconds: float | None = None
    created_at: str = ""
    parent_id: int | None = None
    review: dict[str, Any] = field(default_factory=dict)
    user_name: str = "local"
    user_role: str = ""

    @property
    def stations(self) -> int:
        """Number of planned stations."""
        return int(self.kpis.get("stations") or 0)

    @property
    def centres(self) -> int:
        """Number of planned sorting centres."""
        return int(self.kpis.get("sorting_centres") or 0)

    @property
    def has_plan(self) -> bool:
        """Whether every tier produced a usable plan."""
        return self.status in ("optimal", "time_limit_feasible")


class PlanTables(Database):
    """Storing, listing, reading and deleting plans with their files."""

    def save_plan(
        self,
        scenario_id: int,
        plan: Plan | str | Path,
        seconds: float | None = None,
        parent_id: int | None = None,
        review: Mapping[str, Any] | None = None,
    ) -> PlanRecord:
        """Store a plan (a :class:`Plan`, or a folder written by :meth:`Plan.write`).

        All its files are stored, in one transaction with the plan row. ``parent_id``
        and ``review`` record, for a re-run honouring a review, the reviewed plan and
        what was applied (see :attr:`PlanRecord.review`).

        Raises
        ------
        PlannerError
            ``store.no_scenario`` when the scenario does not exist (any more),
            ``plan.missing`` when the folder holds no plan.
        """
        # a re-run honouring a review is the reviewer's; any other run the planner's
        self._authorise("review.rerun" if parent_id is not None or review else "run.start")
        if isinstance(plan, Plan):
            with tempfile.TemporaryDirectory(prefix="planner-plan-") as tmp:
                plan.write(tmp)
                return self.save_plan(scenario_id, tmp, seconds, parent_id, review)
        folder = Path(plan)
        kpis_file = folder / "kpis.json"
        if not kpis_file.exists() or not (folder / "plan.gpkg").exists():
            raise PlannerError("plan.missing", path=folder, file="kpis.json / plan.gpkg")
        meta = json.loads(kpis_file.read_text(encoding="utf-8"))
        files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}
        scenario = meta.get("scenario", {})
        results = meta.get("results", [])
        status = min(
            (r.get("status", "error") for r in results),
            key=lambda s: _STATUS_ORDER.index(s) if s in _STATUS_ORDER else 0,
            default="error",
        )
        with self._write() as conn:
            # the scenario may have been deleted while the plan was being computed
            self._require(conn, "scenarios", int(scenario_id), "store.no_scenario")
            cur = conn.execute(
                "INSERT INTO plans (scenario_id, region, scenario_name, scenario, status, "
                "kpis, results, seconds, created_at, parent_id, review, user_name, user_role) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    int(scenario_id),
                    str(scenario.get("region", "")),
                    str(scenario.get("name", "")),
                    json.dumps(scenario, ensure_ascii=False),
                    status,
                    json.dumps(meta.get("kpis", {}), ensure_ascii=False),
                    json.dumps(results, ensure_ascii=False),
                    seconds,
                    _now(),
                    int(parent_id) if parent_id is not None else None,
                    json.dumps(dict(review), ensure_ascii=False) if review else None,
                    *self._acting(),
                ),
            )
            plan_id = _returned_id(cur)
            conn.executemany(
                "INSERT INTO plan_files (plan_id, name, data) VALUES (?, ?, ?)",
                [(plan_id, name, bytes(data)) for name, data in files.items()],
            )
        return self.get_plan(plan_id)

    def list_plans(
        self, scenario_id: int | None = None, region: str | None = None
    ) -> list[PlanRecord]:
        """Stored plans (of a scenario, of a region, or all), newest first."""
        query, args = "SELECT * FROM plans", []
        where = []
        if scenario_id is not None:
            where.append("scenario_id = ?")
            args.append(int(scenario_id))
        if region is not None:
            where.append("region = ?")
            args.append(region)
        if where:
            query += " WHERE " + " AND ".join(where)
        with self._read() as conn:
            rows = conn.execute(query + " ORDER BY id DESC", args).fetchall()
        return [_plan_record(row) for row in rows]

    def get_plan(self, plan_id: int) -> PlanRecord:
        """The stored plan's record; ``store.no_plan`` if there is none."""
        with self._read() as conn:
            row = conn.execute("SELECT * FROM plans WHERE id = ?", (int(plan_id),)).fetchone()
        if row is None:
            raise PlannerError("store.no_plan", id=plan_id)
        return _plan_record(row)

    def plan_files(self, plan_id: int) -> dict[str, bytes]:
        """The plan's files by name, byte for byte as written."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT name, data FROM plan_files WHERE plan_id = ? ORDER BY name",
                (int(plan_id),),
            ).fetchall()
        if not rows:
            self.get_plan(plan_id)  # raises store.no_plan when the plan is gone
        return {row["name"]: bytes(row["data"]) for row in rows}

    def load_plan(self, plan_id: int) -> Plan:
        """Read the stored plan back as a :class:`Plan`."""
        return _plan_from_files(self.plan_files(plan_id))

    def plan_zip(self, plan_id: int) -> bytes:
        """The plan's files in one zip archive (for download).

        ``sites.csv`` and ``demand.csv`` are derived again from the stored layers, so a
        plan stored before their text cells were escaped against formula injection
        (:mod:`planner.spreadsheet`) downloads as safely as a new one.
        """
        files = self.plan_files(plan_id)
        tables = self.load_plan(plan_id).csv_tables()
        files.update({f"{name}.csv": csv_bytes(frame) for name, frame in tables.items()})
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in sorted(files.items()):
                archive.writestr(name, data)
        return buffer.getvalue()

    def delete_plan(self, plan_id: int) -> None:
        """Delete a stored plan and its files."""
        self._authorise("scenario.delete")
        self._delete("plans", int(plan_id), "store.no_plan")


def _plan_record(row: Row) -> PlanRecord:
    return PlanRecord(
        id=int(row["id"]),
        scenario_id=int(row["scenario_id"]),
        region=row["region"],
        scenario_name=row["scenario_name"],
        scenario=Scenario.from_dict(json.loads(row["scenario"])),
        status=row["status"],
        kpis=json.loads(row["kpis"]),
        results=json.loads(row["results"]),
        seconds=row["seconds"],
        created_at=row["created_at"],
        parent_id=row["parent_id"],
        review=json.loads(row["review"]) if row["review"] else {},
        user_name=row["user_name"],
        user_role=row["user_role"],
    )


def _plan_from_files(files: Mapping[str, bytes]) -> Plan:
    """A :class:`Plan` read back from its files by name."""
    with tempfile.TemporaryDirectory(prefix="planner-plan-") as tmp:
        for name, data in files.items():
            (Path(tmp) / Path(name).name).write_bytes(data)
        return Plan.read(tmp)
