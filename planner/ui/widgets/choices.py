"""Choice widgets whose labels follow the UI language.

Streamlit keeps a select box's or radio's value as its displayed label, so a label that
changes with the language would leave the widget showing nothing. :func:`choice_key`
gives each language its own widget key and carries the chosen value over;
:func:`labels` fixes the labels of one run; :func:`choose` draws such a choice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from planner.i18n import LANGUAGES
from planner.ui.state import lang, tr

__all__ = ["choice_key", "choose", "labels"]


def choice_key(key: str, options: Sequence[Any] | None = None) -> str:
    """Key of a choice widget whose labels follow the UI language.

    Each language gets its own key; the chosen value is carried over from the other
    language's key. A remembered value that is no longer among ``options`` (another
    file was uploaded) is forgotten.
    """
    own = f"{key}@{lang()}"
    state = st.session_state
    if own not in state:
        for other in LANGUAGES:
            if f"{key}@{other}" in state:
                state[own] = state[f"{key}@{other}"]
                break
    if options is not None and own in state and state[own] not in options:
        del state[own]
    return own


def labels(prefix: str, options: Sequence[str]) -> Callable[[str], str | None]:
    """A ``format_func`` giving option ``o`` the label ``prefix.o``, in this run's language.

    (A lambda would translate when called, which need not be in this run.)
    """
    return {o: tr(f"{prefix}.{o}") for o in options}.get


def choose(
    kind: str,
    label_key: str,
    options: Sequence[str],
    prefix: str,
    key: str,
    *,
    where: Any = st,
    help_key: str | None = None,
    forget_stale: bool = False,
    default: str | None = None,
    **kwargs: Any,
) -> Any:
    """A select box (``kind="selectbox"``) or radio (``"radio"``) of ``options``.

    Parameters
    ----------
    label_key, help_key
        Catalogue keys of the label and of the help, if any.
    prefix
        Option ``o`` is labelled ``prefix.o`` (see :func:`labels`).
    key
        Widget key, one per language (see :func:`choice_key`).
    where
        The container (a column) to draw in.
    forget_stale
        Forget a remembered value that is no longer among ``options``.
    default
        The value chosen until the planner chooses another.
    **kwargs
        Passed on to the widget (``horizontal=True`` ...).
    """
    own = choice_key(key, options if forget_stale else None)
    if default is not None:
        st.session_state.setdefault(own, default)
    widget = getattr(where, kind)
    return widget(
        tr(label_key),
        list(options),
        format_func=labels(prefix, options),
        key=own,
        help=tr(help_key) if help_key else None,
        **kwargs,
    )
