"""Choice widgets whose labels follow the UI language: one helper, :func:`choice`, for the
select boxes, radios and multiselects of the pages and widgets.

Streamlit keeps a choice widget's value as its displayed label, so a label that changes
with the language would lose the choice. :func:`choice` pins the value before the
widget is drawn (:func:`planner.ui.state.keep_choice`) and shows each option by a label
fixed in this run (:func:`translated`: labels are looked up now, from a mapping of
complete catalogue keys, not by a lambda that would translate whenever it is called).
:func:`choice_key` gives a widget one key per language and carries the chosen value
over (the import panel's keys, which also forget a value no longer offered).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import streamlit as st

from planner.i18n import LANGUAGES
from planner.ui.state import keep_choice, lang, tr

__all__ = ["choice", "choice_key", "translated"]


def choice_key(key: str, options: Sequence[Any] | None = None) -> str:
    """Key of a choice widget whose labels follow the UI language: ``key@<language>``.

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


def translated(
    keys: Mapping[Any, str], params: Callable[[Any], Mapping[str, Any]] | None = None
) -> dict[Any, str]:
    """Option -> label in this run's language, from option -> catalogue key.

    ``params(option)`` fills the placeholders of an option's message.
    """
    return {o: tr(key, **(params(o) if params else {})) for o, key in keys.items()}


def choice(
    where: Any,
    label: str,
    options: Sequence[Any],
    *,
    key: str,
    labels: Mapping[Any, str] | None = None,
    kind: Literal["selectbox", "radio", "multiselect"] = "selectbox",
    default: Any = None,
    **kwargs: Any,
) -> Any:
    """A select box (a radio or a multiselect by ``kind``) that keeps its choice when the
    language, and with it the option labels, changes.

    Parameters
    ----------
    where
        The container (``st``, a column) to draw in.
    label
        The widget's label, translated.
    options
        The values to choose from.
    key
        Widget key (a plain key, or one per language from :func:`choice_key`).
    labels
        Option -> shown label, fixed in this run (e.g. :func:`translated`); an option
        without one shows as itself.
    default
        The value chosen until the planner chooses another.
    **kwargs
        Passed on to the widget (``help``, ``horizontal=True``, ``placeholder`` ...).
    """
    keep_choice(key)
    if default is not None:
        st.session_state.setdefault(key, default)
    options = list(options)
    if labels is not None:
        shown = {o: labels.get(o, str(o)) for o in options}
        kwargs["format_func"] = shown.get
    return getattr(where, kind)(label, options, key=key, **kwargs)
