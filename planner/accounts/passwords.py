"""Password hashing with argon2id (``argon2-cffi``'s defaults, RFC 9106's low-memory
profile). Only the hash is ever stored; a clear password is never logged or kept."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from planner.i18n import PlannerError

__all__ = ["MIN_PASSWORD_LENGTH", "hash_password", "needs_rehash", "verify_password"]

#: Shortest password accepted.
MIN_PASSWORD_LENGTH = 8

_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (salted: two calls give different hashes).

    Raises
    ------
    PlannerError
        ``auth.password_short`` when shorter than :data:`MIN_PASSWORD_LENGTH`.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PlannerError("auth.password_short", length=MIN_PASSWORD_LENGTH)
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash`` (``False`` for a damaged hash)."""
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether ``stored_hash`` was made with weaker parameters than today's."""
    return _HASHER.check_needs_rehash(stored_hash)
