"""The wall-clock budget of a tier: :class:`Deadline`, and :func:`check_time` for model
building.

A time limit is a wall-clock :class:`Deadline` for a whole tier: the pipeline starts it
before distances and model building, every phase (swap searches, Lagrangian rounds,
grow rounds, model building, each solver call) gets what is left, and a phase that
finds it spent stops and hands on the best plan so far. Solver calls run under it in
:func:`planner.models.solve_problem`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from planner.models.rules import SolverOptions

__all__ = ["MIN_SOLVE_S", "Deadline", "OutOfTime", "check_time"]

#: Below this many seconds left a solver call is not started: it could not even read
#: the model, and the plan in hand is returned instead.
MIN_SOLVE_S = 0.05


class Deadline:
    """Wall-clock budget of one tier, shared by every phase that runs in it.

    Created when the tier starts (building included, see
    :func:`planner.run.run_plan`) or, without one, when a model's ``solve``
    starts. Each phase asks :meth:`remaining` before it starts and stops when it is
    spent; each solver call gets the remaining time as its limit (:func:`solve_problem`).

    Parameters
    ----------
    seconds
        The budget; ``None``: no limit.
    clock
        Monotonic clock in seconds (injected by tests).
    parent
        An enclosing budget this one may not outlast (see :meth:`sub`).
    """

    def __init__(
        self,
        seconds: float | None,
        clock: Callable[[], float] = time.monotonic,
        parent: Deadline | None = None,
    ) -> None:
        self.seconds = seconds
        self.clock = clock
        self.parent = parent
        self.start = clock()
        # What happened to solver calls under this budget ("cut_off", "skipped"); the
        # result reports them (see planner.models._base.finish).
        self.events: set[str] = set()

    @classmethod
    def of(cls, options: SolverOptions, deadline: Deadline | None = None) -> Deadline:
        """``deadline`` when given (the tier's), else a new one from the options."""
        return deadline if deadline is not None else cls(options.time_limit_s)

    def sub(self, seconds: float | None) -> Deadline:
        """A budget of at most ``seconds`` inside this one (a phase's share)."""
        return Deadline(seconds, self.clock, parent=self)

    def elapsed(self) -> float:
        return self.clock() - self.start

    def remaining(self) -> float | None:
        """Seconds left (``None``: no limit)."""
        own = None if self.seconds is None else max(0.0, self.seconds - self.elapsed())
        outer = None if self.parent is None else self.parent.remaining()
        if own is None or outer is None:
            return own if outer is None else outer
        return min(own, outer)

    def expired(self) -> bool:
        rem = self.remaining()
        # Below a few hundredths of a second a MIP solve cannot do anything useful.
        return rem is not None and rem < MIN_SOLVE_S

    def note(self, event: str) -> None:
        """Record a solver event (``"cut_off"``, ``"skipped"``) for the result.

        Enclosing budgets record it too, except a skip that only this phase's share
        caused (the enclosing budget has time left: the tier's solver still runs).
        """
        self.events.add(event)
        if self.parent is not None and (event != "skipped" or self.parent.expired()):
            self.parent.note(event)


class OutOfTime(Exception):
    """Building a model stopped because its deadline was spent (see :func:`check_time`)."""


def check_time(deadline: Deadline | None, done: int, every: int = 256) -> None:
    """Raise :class:`OutOfTime` every ``every`` steps of a model build once ``deadline``
    is spent: building a city-size model in PuLP takes a noticeable share of a short
    limit, which the heuristics may already have used, and a model nobody can solve is
    not built."""
    if deadline is not None and done % every == 0 and deadline.expired():
        raise OutOfTime
