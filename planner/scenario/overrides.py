"""A planner's override of an existing site's action, applied to a scenario.

The compliance check (:func:`planner.instance.compliance.classify_sites`) gives each
existing site an action; a planner or reviewer may set another one, with a reason, in
``existing.actions`` / ``existing.reasons``, or take their own back (:data:`REVERT`: the
standard's classification again). The scenario's validation says what is missing (every
override needs a reason); the store records each change append-only
(:meth:`planner.store.Store.record_override`).
"""

from __future__ import annotations

import copy
from typing import Any

from planner.scenario.existing import EXISTING_ACTIONS

__all__ = ["OVERRIDE_CHOICES", "REVERT", "apply_override"]

#: The "new action" that takes a planner's override back: the standard decides again.
REVERT = "standard"
#: What an override may set: an action on an existing site, or :data:`REVERT`.
OVERRIDE_CHOICES: tuple[str, ...] = (*EXISTING_ACTIONS, REVERT)


def apply_override(data: dict[str, Any], site_id: str, action: str, reason: str) -> dict[str, Any]:
    """A copy of scenario ``data`` (:meth:`Scenario.to_dict`) with the override set.

    ``action`` is one of :data:`OVERRIDE_CHOICES`; :data:`REVERT` removes the site's
    override and its reason. The reason is stored as typed, stripped; an empty reason
    is left for :meth:`planner.scenario.Scenario.validate` to name.
    """
    out = copy.deepcopy(data)
    existing = out.setdefault("existing", {})
    actions = dict(existing.get("actions") or {})
    reasons = dict(existing.get("reasons") or {})
    site_id = str(site_id)
    if action == REVERT:
        actions.pop(site_id, None)
        reasons.pop(site_id, None)
    else:
        actions[site_id] = action
        reasons[site_id] = str(reason or "").strip()
    existing["actions"] = actions
    existing["reasons"] = reasons
    return out
