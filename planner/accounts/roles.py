"""Roles, the actions a person can take, and which roles may take each.

The matrix is one table (:data:`PERMISSIONS`) so the rule for an action is read in one
place; the store's write methods and the pages both ask :func:`allowed` / :func:`check`
with the same action names.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.i18n import PlannerError, Text, t

__all__ = [
    "ACTIONS",
    "ACTION_LABEL",
    "LOCAL",
    "PERMISSIONS",
    "ROLES",
    "ROLE_LABEL",
    "Actor",
    "allowed",
    "check",
    "check_role",
    "who",
]

#: Roles, from most to least rights.
ROLES: tuple[str, ...] = ("admin", "planner", "reviewer", "viewer")

ROLE_LABEL = {
    "admin": "auth.role.admin",
    "planner": "auth.role.planner",
    "reviewer": "auth.role.reviewer",
    "viewer": "auth.role.viewer",
}

_ALL = frozenset(ROLES)
_PLANNING = frozenset({"admin", "planner"})
_REVIEWING = frozenset({"admin", "reviewer"})

#: Action -> the roles allowed to take it. ``admin`` may do everything: the local
#: single-user mode acts as an admin, and an installation's first account must be able
#: to do what the planner did before accounts existed.
PERMISSIONS: dict[str, frozenset[str]] = {
    "region.import": _PLANNING,
    "region.edit": _PLANNING,  # an existing site corrected (inventory edits)
    "scenario.save": _PLANNING,  # also rename, clone
    "scenario.delete": _PLANNING,  # also a plan deleted
    # an existing site's action overridden: the scenario page offers it to planners
    # and reviewers alike (README "Existing sites and costs")
    "override.record": frozenset({"admin", "planner", "reviewer"}),
    "run.start": _PLANNING,  # a plan stored
    "run.stop": _PLANNING,
    "sweep.start": _PLANNING,
    "sweep.stop": _PLANNING,
    "review.decide": _REVIEWING,
    "review.comment": _REVIEWING,
    "review.rerun": _REVIEWING,
    "users.manage": frozenset({"admin"}),
    "export.read": _ALL,
}

#: Every action, in the matrix's order.
ACTIONS: tuple[str, ...] = tuple(PERMISSIONS)

ACTION_LABEL = {
    "region.import": "auth.action.region_import",
    "region.edit": "auth.action.region_edit",
    "scenario.save": "auth.action.scenario_save",
    "scenario.delete": "auth.action.scenario_delete",
    "override.record": "auth.action.override_record",
    "run.start": "auth.action.run_start",
    "run.stop": "auth.action.run_stop",
    "sweep.start": "auth.action.sweep_start",
    "sweep.stop": "auth.action.sweep_stop",
    "review.decide": "auth.action.review_decide",
    "review.comment": "auth.action.review_comment",
    "review.rerun": "auth.action.review_rerun",
    "users.manage": "auth.action.users_manage",
    "export.read": "auth.action.export_read",
}


@dataclass(frozen=True)
class Actor:
    """Who acts: an account's name and role (or :data:`LOCAL`).

    Attributes
    ----------
    name
        The account name stored with every write.
    role
        One of :data:`ROLES`.
    display_name
        The name shown in the app (the account name when empty).
    """

    name: str
    role: str
    display_name: str = ""

    @property
    def shown(self) -> str:
        """The name to show: the display name, else the account name."""
        return self.display_name or self.name


#: The actor of single-user local mode (no account exists): an admin called ``local``.
LOCAL = Actor("local", "admin")


def check_role(role: str) -> str:
    """``role`` if it is one of :data:`ROLES`, else ``auth.bad_role``."""
    if role not in ROLES:
        raise PlannerError("auth.bad_role", role=role, roles=", ".join(ROLES))
    return role


def allowed(actor: Actor, action: str) -> bool:
    """Whether ``actor``'s role may take ``action`` (an unknown action is a bug)."""
    return actor.role in PERMISSIONS[action]


def check(actor: Actor, action: str) -> None:
    """Refuse ``action`` unless ``actor``'s role may take it.

    Raises
    ------
    PlannerError
        ``auth.forbidden`` naming the action, the role and the roles that may.
    KeyError
        ``action`` is not in :data:`PERMISSIONS` (a programming error, not a planner's).
    """
    roles = PERMISSIONS[action]
    if actor.role not in roles:
        raise PlannerError(
            "auth.forbidden",
            user=actor.shown,
            action=Text(ACTION_LABEL[action]),
            role=Text(ROLE_LABEL.get(actor.role, "auth.role.unknown")),
            allowed=", ".join(r for r in ROLES if r in roles),
        )


def who(user_name: str, user_role: str, lang: str) -> str:
    """An audit row's user and role in words (``张三（审核员）``); a row from before
    accounts has no role and shows the name only."""
    if not user_role:
        return user_name
    role = t(ROLE_LABEL.get(user_role, "auth.role.unknown"), lang)
    return t("auth.ui.who", lang, name=user_name, role=role)
