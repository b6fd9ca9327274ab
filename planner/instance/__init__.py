"""The instance of one run: demand points, candidate sites and their sparse costs
(straight line or road network).

Modules: :mod:`~planner.instance.demand`, :mod:`~planner.instance.candidates`,
:mod:`~planner.instance.distance` (straight-line and sparse costs),
:mod:`~planner.instance.network` (road networks), :mod:`~planner.instance.build`
(:class:`Instance` and :func:`build_instance`). Each tier's policy rules on the
candidates are assembled where the run meets the models (:mod:`planner.run.rules`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from planner.instance.build import Instance, build_instance, instance_key

__all__ = ["Instance", "build_instance", "instance_key"]


def __getattr__(name: str) -> Any:
    # Loaded on first use: the models import planner.instance.distance, which should
    # not pull in regions, scenarios and candidates with it.
    if name in __all__:
        from planner.instance import build

        return getattr(build, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
