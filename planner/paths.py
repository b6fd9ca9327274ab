"""Where the planner keeps its files, and the one rule for turning ids into paths.

Everything a planner saves lives under ``$PLANNER_HOME`` (default
``~/.recycling-planner``). Ids that become folder names (region ids) are checked
against a full-match pattern, and every path built from them is resolved and must lie
under its base folder, so neither ``../`` nor a symlink nor a trailing newline can reach
outside it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from planner.i18n import PlannerError

__all__ = ["ID_PATTERN", "check_id", "inside", "planner_home"]

#: Ids of regions (and anything else that names a folder): lower-case ASCII.
ID_PATTERN = re.compile(r"[a-z][a-z0-9_-]{0,39}")


def planner_home() -> Path:
    """The planner's data folder: ``$PLANNER_HOME``, else ``~/.recycling-planner``."""
    return Path(os.environ.get("PLANNER_HOME") or Path.home() / ".recycling-planner").expanduser()


def check_id(value: object, error_key: str, **params: object) -> str:
    """``value`` if it is a whole-string match of :data:`ID_PATTERN`.

    Parameters
    ----------
    value
        The id to check (anything: a non-string is refused, not converted).
    error_key
        Message key raised when the id is invalid; it gets ``region=repr-safe value``.
    **params
        Further values for the message.

    Raises
    ------
    PlannerError
        ``error_key`` with ``region`` set to a printable form of ``value``.
    """
    if isinstance(value, str) and ID_PATTERN.fullmatch(value):
        return value
    shown = value if isinstance(value, str) else repr(value)
    # Control characters (a trailing newline, NUL) are shown escaped, not printed raw.
    shown = shown.encode("unicode_escape").decode("ascii") if isinstance(shown, str) else shown
    raise PlannerError(error_key, region=shown[:80], **params)


def inside(base: Path, path: Path) -> Path:
    """``path`` resolved, if it lies under ``base`` (resolved too); else refuse.

    Raises
    ------
    PlannerError
        ``paths.outside``.
    """
    root = Path(base).resolve()
    target = Path(path).resolve()
    if target != root and root not in target.parents:
        raise PlannerError("paths.outside", path=str(path), base=str(root))
    return target
