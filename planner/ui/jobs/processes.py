"""Background processes of the app: start one in its own process group, end the group.

Planning runs (:mod:`planner.ui.jobs.runs`) and sweeps (:mod:`planner.ui.jobs.sweeps`) both run
as command-line processes in a job folder, so that a solver deep in native code can be
stopped at once and a result is stored even if nobody watches. This module holds what
the two share: starting and ending a process group, its log, a job's common state
(:class:`ProcessJob`) and the :class:`Registry` of the jobs of one kind on the app
server. It does not import streamlit.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

__all__ = [
    "ProcessJob",
    "Registry",
    "end_group",
    "forget_finished",
    "launch",
    "read_log",
    "stop_all",
]

ROOT = Path(__file__).resolve().parents[3]


@dataclass(eq=False, kw_only=True)
class ProcessJob:
    """What every background job has: its folder, its process (leader of its own process
    group), when it started and ended, whether it was stopped, and its log once the
    folder is gone.

    Subclasses say how the job is polled (:meth:`poll`: ``running`` or how it ended)
    and stopped (:meth:`stop`).
    """

    folder: Path
    proc: subprocess.Popen
    started: float = field(default_factory=time.monotonic)
    stopped: bool = False
    finished: float | None = None
    _log: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def poll(self) -> str:
        """``running``, or how the job ended."""
        raise NotImplementedError

    def stop(self) -> None:
        """End the job's process group."""
        raise NotImplementedError

    def elapsed(self) -> float:
        """Seconds since the start (until the end once finished)."""
        return (self.finished or time.monotonic()) - self.started

    def log(self) -> str:
        """The process's output (a solver log or progress lines, and a traceback or an
        error if it failed), for support."""
        return self._log if self._log is not None else read_log(self.folder)


J = TypeVar("J", bound=ProcessJob)


def launch(args: Sequence[str], folder: Path) -> subprocess.Popen:
    """Run ``python ARGS…`` from the project root as the leader of a new process group.

    Parameters
    ----------
    args
        Arguments after the interpreter, e.g. ``["-m", "planner", "sweep", …]``.
    folder
        The job folder; the process's output (stdout and stderr) goes to ``log.txt``.

    Returns
    -------
    subprocess.Popen
        The process. ``OSError`` when it cannot be started.
    """
    # The project root goes on the path so the process imports this checkout's planner
    # even when the app was started from elsewhere.
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    with (folder / "log.txt").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def end_group(proc: subprocess.Popen, grace_s: float = 5.0) -> None:
    """End ``proc`` and every process of its group (e.g. Dask workers it started).

    SIGTERM first, then, after ``grace_s`` seconds, SIGKILL to whatever of the group is
    left: children can outlive their leader or ignore SIGTERM.
    """
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace_s)
    # Moments after our SIGTERM the group id still belongs to this job.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace_s)


def read_log(folder: Path) -> str:
    """The text of ``folder/log.txt`` (``""`` when it is gone)."""
    try:
        return (folder / "log.txt").read_text("utf-8", errors="replace")
    except OSError:
        return ""


def forget_finished(jobs: MutableMapping[str, ProcessJob], keep_s: float) -> None:
    """Drop the jobs that finished more than ``keep_s`` seconds ago (polling the rest).

    Call with the registry's lock held.
    """
    now = time.monotonic()
    for key, job in list(jobs.items()):
        if job.poll() != "running" and now - (job.finished or now) > keep_s:
            del jobs[key]


def stop_all(jobs: MutableMapping[str, ProcessJob]) -> None:
    """Stop every job of a registry (at server exit: they run in their own sessions)."""
    for job in list(jobs.values()):
        with contextlib.suppress(Exception):
            job.stop()


class Registry(Generic[J]):
    """The jobs of one kind that this app server started, by key, shared by every
    session.

    Finished jobs are forgotten ``keep_s`` seconds after they end; jobs still running
    when the server exits are stopped (they run in their own sessions).
    """

    def __init__(self, keep_s: float) -> None:
        self.keep_s = keep_s
        self._jobs: dict[str, J] = {}
        self._lock = threading.Lock()
        atexit.register(stop_all, self._jobs)

    @contextlib.contextmanager
    def held(self) -> Iterator[dict[str, J]]:
        """The jobs by key, tidied, with the registry's lock held (to look and add at
        once)."""
        with self._lock:
            forget_finished(self._jobs, self.keep_s)
            yield self._jobs

    def get(self, key: str | None) -> J | None:
        """The job with ``key``, if this server knows it."""
        with self.held() as jobs:
            return jobs.get(key) if key else None

    def running(self, where: Callable[[J], bool] | None = None) -> list[J]:
        """Jobs still running (those for which ``where`` holds, or all)."""
        with self.held() as jobs:
            return [
                j for j in jobs.values() if j.poll() == "running" and (where is None or where(j))
            ]

    def add(self, key: str, job: J) -> None:
        """Keep ``job`` under ``key`` (replacing the job that had it)."""
        with self._lock:
            self._jobs[key] = job

    def stop_all(self) -> None:
        """Stop every job and forget them all."""
        with self._lock:
            stop_all(self._jobs)
            self._jobs.clear()
