"""Scenario sweeps (:mod:`planner.sweep`): tables ``sweeps`` and ``sweep_points``.

One row per sweep, keyed by a hash of its region and definition, and one row per point,
keyed by ``(sweep_id, point_key)`` (a hash of the point's scenario), so a point can
never have two rows. A point is ``pending``, ``done`` (solved; its result and optionally
its plan as a zip) or ``failed`` (its error in both languages); a ``done`` row is never
overwritten, so a result that arrives twice is stored once.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from planner.i18n import PlannerError
from planner.plan import Plan
from planner.store.database import Database, Row, _now
from planner.store.plans import _plan_from_files

__all__ = ["SweepPointRecord", "SweepRecord", "SweepTables"]


@dataclass(frozen=True)
class SweepRecord:
    """A stored scenario sweep (:mod:`planner.sweep`), with its progress.

    Attributes
    ----------
    id
        Hash of the region and the definition (:attr:`planner.sweep.SweepDefinition.id`).
    region, name
        Region id and display name.
    definition
        The definition as a dict (:meth:`planner.sweep.SweepDefinition.to_dict`).
    total, done, failed
        Number of points, of solved points and of failed points.
    created_at, updated_at
        ISO timestamps (UTC); ``updated_at`` moves with every stored result.
    """

    id: str
    region: str
    name: str
    definition: dict[str, Any]
    total: int
    done: int = 0
    failed: int = 0
    created_at: str = ""
    updated_at: str = ""

    @property
    def pending(self) -> int:
        """Points neither solved nor failed yet."""
        return self.total - self.done - self.failed

    @property
    def complete(self) -> bool:
        """Whether every point is solved."""
        return self.done == self.total


@dataclass(frozen=True)
class SweepPointRecord:
    """One point of a sweep, as stored.

    Attributes
    ----------
    sweep_id, key
        The sweep and the point's key (hash of its scenario).
    index
        Position in the sweep (cartesian product order).
    params
        The varied values, ``{dotted path: value}``.
    scenario
        The point's scenario as a dict (``None`` when its values are invalid).
    status
        ``pending``, ``done`` or ``failed``.
    attempts
        How many times a worker started it.
    seconds
        Wall-clock time of the attempt that finished it.
    worker
        Address of the worker that finished it.
    error
        For a failed point: ``{"key": ..., "zh": ..., "en": ...}``.
    result
        For a solved point: plan status, city and county indicators, tier results.
    has_plan
        Whether the plan's files are stored (:meth:`Store.sweep_plan`).
    updated_at
        When the row last changed (ISO, UTC).
    """

    sweep_id: str
    key: str
    index: int
    params: dict[str, Any]
    scenario: dict[str, Any] | None
    status: str
    attempts: int = 0
    seconds: float | None = None
    worker: str | None = None
    error: dict[str, str] | None = None
    result: dict[str, Any] | None = None
    has_plan: bool = False
    updated_at: str = ""

    def error_message(self, lang: str = "zh") -> str:
        """The error in ``lang`` (empty when the point did not fail)."""
        if not self.error:
            return ""
        return self.error.get(lang) or self.error.get("en") or self.error.get("key", "")


class SweepTables(Database):
    """Registering sweeps, storing their points' outcomes, reading their progress."""

    def start_sweep(
        self,
        sweep_id: str,
        region: str,
        name: str,
        definition: Mapping[str, Any],
        points: Sequence[Mapping[str, Any]],
    ) -> SweepRecord:
        """Register a sweep and its points as ``pending``; keep what is already stored.

        Starting a sweep that exists (the same region and definition) changes none of
        its points, so a resumed sweep keeps every finished result.

        Parameters
        ----------
        sweep_id, region, name, definition
            See :class:`SweepRecord`.
        points
            ``{"key", "index", "params", "scenario"}`` per point (``scenario`` a dict
            or ``None``).
        """
        self._authorise("sweep.start")
        now = _now()
        with self._write() as conn:
            conn.execute(
                "INSERT INTO sweeps (id, region, name, definition, total, "
                "created_at, updated_at, user_name, user_role) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (
                    sweep_id, region, name, json.dumps(dict(definition), ensure_ascii=False),
                    len(points), now, now, *self._acting(),
                ),
            )  # fmt: skip
            conn.executemany(
                "INSERT INTO sweep_points (sweep_id, point_key, idx, params, "
                "scenario, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [
                    (
                        sweep_id, p["key"], int(p["index"]),
                        json.dumps(p["params"], ensure_ascii=False),
                        json.dumps(p["scenario"], ensure_ascii=False)
                        if p.get("scenario") is not None else None,
                        now,
                    )
                    for p in points
                ],
            )  # fmt: skip
        return self.get_sweep(sweep_id)

    def record_sweep_point(
        self,
        sweep_id: str,
        key: str,
        status: str,
        *,
        attempts: int = 1,
        seconds: float | None = None,
        worker: str | None = None,
        error: Mapping[str, str] | None = None,
        result: Mapping[str, Any] | None = None,
        plan: bytes | None = None,
    ) -> bool:
        """Store the outcome of one point; never overwrite a ``done`` one.

        Parameters
        ----------
        sweep_id, key
            The point.
        status
            ``done`` or ``failed``.
        attempts
            Worker starts to add to the point's count.
        seconds, worker, error, result
            See :class:`SweepPointRecord`.
        plan
            The plan's files as a zip archive.

        Returns
        -------
        bool
            ``False`` when nothing was written: the point was already done (a
            duplicate result) or is unknown.
        """
        now = _now()
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE sweep_points SET status = ?, attempts = attempts + ?, seconds = ?, "
                "worker = ?, error = ?, result = ?, plan = ?, updated_at = ? "
                "WHERE sweep_id = ? AND point_key = ? AND status != 'done'",
                (
                    status, int(attempts), seconds, worker,
                    json.dumps(dict(error), ensure_ascii=False) if error else None,
                    json.dumps(dict(result), ensure_ascii=False) if result else None,
                    plan, now, sweep_id, key,
                ),
            )  # fmt: skip
            if cur.rowcount:
                conn.execute("UPDATE sweeps SET updated_at = ? WHERE id = ?", (now, sweep_id))
        return bool(cur.rowcount)

    def get_sweep(self, sweep_id: str) -> SweepRecord:
        """The sweep with its progress; ``store.no_sweep`` when there is none."""
        with self._read() as conn:
            row = conn.execute(_SWEEP_QUERY + " WHERE s.id = ?", (sweep_id,)).fetchone()
        if row is None:
            raise PlannerError("store.no_sweep", id=sweep_id)
        return _sweep_record(row)

    def list_sweeps(self, region: str | None = None) -> list[SweepRecord]:
        """Stored sweeps (of ``region``, or all), most recently updated first."""
        query, args = _SWEEP_QUERY, ()
        if region is not None:
            query, args = query + " WHERE s.region = ?", (region,)
        with self._read() as conn:
            rows = conn.execute(query + " ORDER BY s.updated_at DESC", args).fetchall()
        return [_sweep_record(row) for row in rows]

    def sweep_points(self, sweep_id: str, status: str | None = None) -> list[SweepPointRecord]:
        """The sweep's points (of one ``status``, or all) in sweep order, without plans."""
        query = _POINT_QUERY + " WHERE sweep_id = ?"
        args: list[Any] = [sweep_id]
        if status is not None:
            query += " AND status = ?"
            args.append(status)
        with self._read() as conn:
            rows = conn.execute(query + " ORDER BY idx", args).fetchall()
        return [_sweep_point(row) for row in rows]

    def sweep_point(self, sweep_id: str, key: str) -> SweepPointRecord | None:
        """One point of the sweep (without its plan), or ``None``."""
        with self._read() as conn:
            row = conn.execute(
                _POINT_QUERY + " WHERE sweep_id = ? AND point_key = ?", (sweep_id, key)
            ).fetchone()
        return _sweep_point(row) if row is not None else None

    def sweep_plan(self, sweep_id: str, key: str) -> Plan | None:
        """The stored plan of a solved point (``None`` when it was not kept)."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT plan FROM sweep_points WHERE sweep_id = ? AND point_key = ?",
                (sweep_id, key),
            ).fetchone()
        if row is None or row["plan"] is None:
            return None
        with zipfile.ZipFile(io.BytesIO(bytes(row["plan"]))) as archive:
            files = {name: archive.read(name) for name in archive.namelist()}
        return _plan_from_files(files)

    def delete_sweep(self, sweep_id: str) -> None:
        """Delete a sweep with all its points."""
        self._authorise("sweep.stop")
        self._delete("sweeps", sweep_id, "store.no_sweep")


_SWEEP_QUERY = (
    "SELECT s.*, "
    "(SELECT COUNT(*) FROM sweep_points p WHERE p.sweep_id = s.id AND p.status = 'done') "
    "AS n_done, "
    "(SELECT COUNT(*) FROM sweep_points p WHERE p.sweep_id = s.id AND p.status = 'failed') "
    "AS n_failed FROM sweeps s"
)

_POINT_QUERY = (
    "SELECT sweep_id, point_key, idx, params, scenario, status, attempts, seconds, worker, "
    "error, result, updated_at, plan IS NOT NULL AS has_plan FROM sweep_points"
)


def _sweep_record(row: Row) -> SweepRecord:
    return SweepRecord(
        id=row["id"],
        region=row["region"],
        name=row["name"],
        definition=json.loads(row["definition"]),
        total=int(row["total"]),
        done=int(row["n_done"]),
        failed=int(row["n_failed"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _sweep_point(row: Row) -> SweepPointRecord:
    def _json(name: str) -> Any:
        return json.loads(row[name]) if row[name] else None

    return SweepPointRecord(
        sweep_id=row["sweep_id"],
        key=row["point_key"],
        index=int(row["idx"]),
        params=json.loads(row["params"]),
        scenario=_json("scenario"),
        status=row["status"],
        attempts=int(row["attempts"]),
        seconds=row["seconds"],
        worker=row["worker"],
        error=_json("error"),
        result=_json("result"),
        has_plan=bool(row["has_plan"]),
        updated_at=row["updated_at"],
    )
