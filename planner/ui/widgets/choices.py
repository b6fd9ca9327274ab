"""Choice widgets whose labels follow the UI language.

Streamlit keeps a select box's or radio's value as its displayed label, so a label that
changes with the language would leave the widget showing nothing. :func:`choice_key`
gives each language its own widget key and carries the chosen value over;
:func:`labels` fixes the labels of one run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from planner.i18n import LANGUAGES
from planner.ui.state import lang, tr

__all__ = ["choice_key", "labels"]


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
