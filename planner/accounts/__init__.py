"""Accounts and roles: who may do what, and who did it.

Until the first account is added (``python -m planner users add``), the planner runs in
single-user local mode: every action is taken by :data:`LOCAL` (role ``admin``), as
before accounts existed. Once an account exists, the app asks for a login and every
write is checked against :data:`PERMISSIONS` on the server side (the store refuses it,
whatever the page shows) and stored with the acting user.

Modules
-------
:mod:`~planner.accounts.roles`
    Roles, actions, the permission matrix, :class:`Actor` and :func:`check`.
:mod:`~planner.accounts.passwords`
    Password hashing (argon2id via ``argon2-cffi``).
:mod:`~planner.accounts.commands`
    The ``python -m planner users …`` subcommands.

The tables (users, login attempts, sessions) are in :mod:`planner.store.users`.
"""

from __future__ import annotations

from planner.accounts.passwords import hash_password, verify_password
from planner.accounts.roles import (
    ACTIONS,
    LOCAL,
    PERMISSIONS,
    ROLES,
    Actor,
    allowed,
    check,
)

__all__ = [
    "ACTIONS",
    "LOCAL",
    "PERMISSIONS",
    "ROLES",
    "Actor",
    "allowed",
    "check",
    "hash_password",
    "verify_password",
]
