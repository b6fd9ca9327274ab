"""Form rows shared by the pages: widgets bound to a nested dict.

A form row is a label, a help text, a widget keyed by the field's path, a first value
taken from the data and the widget's value written back into it. :class:`BoundForm`
draws every such row the same way (the scenario page's form; the import panel can draw
its rows with it too); its select boxes keep their choice when the language changes
(:mod:`planner.ui.widgets.choices`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

from planner.ui.state import keep_choice, tr
from planner.ui.widgets.choices import translated

__all__ = ["BoundForm"]


def _get(data: Mapping, path: str) -> Any:
    for part in path.split("."):
        data = data[part]
    return data


def _set(data: dict, path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    for part in parents:
        data = data[part]
    data[leaf] = value


class BoundForm:
    """Widgets bound to dotted paths of ``data``; every row writes its value back.

    Parameters
    ----------
    data
        The nested dict being edited (changed in place).
    fields
        Path -> label key.
    helps
        Path -> help key (a field without one has no help text).
    prefix
        Start of every widget key (``{prefix}.{path}``): a new prefix makes every widget
        show the data's values again.
    empty_key
        Message for a number field left empty (placeholder ``field``).
    """

    def __init__(
        self,
        data: dict,
        fields: Mapping[str, str],
        helps: Mapping[str, str],
        prefix: str,
        empty_key: str,
    ) -> None:
        self.data = data
        self.fields = fields
        self.helps = helps
        self.prefix = prefix
        self.empty_key = empty_key
        #: Problems found while drawing the widgets (empty fields, bad table cells).
        self.problems: list[str] = []

    def key(self, path: str) -> str:
        """The widget key of ``path``."""
        return f"{self.prefix}.{path}"

    def init(self, path: str, value: Any) -> str:
        """The widget key of ``path``, with ``value`` as its first value."""
        key = self.key(path)
        if key not in st.session_state:
            st.session_state[key] = value
        return key

    def row(
        self,
        widget: Callable[..., Any],
        path: str,
        initial: Any,
        *args: Any,
        read: Callable[[Any], Any] | None = lambda out: out,
        suffix: str = "",
        **kwargs: Any,
    ) -> Any:
        """One row: ``widget(label, *args, key=…, help=…, **kwargs)`` starting at
        ``initial``; ``read(value)`` is written back to ``path`` (nothing when ``read``
        is ``None``). ``suffix`` is added to the label (a note such as "planning
        assumption"; the widget keeps its value when it changes). Returns the widget's
        value."""
        if "help" not in kwargs and path in self.helps:
            kwargs["help"] = tr(self.helps[path])
        label = tr(self.fields[path]) + suffix
        out = widget(label, *args, key=self.init(path, initial), **kwargs)
        if read is not None:
            _set(self.data, path, read(out))
        return out

    def number(self, where, path: str, *, integer: bool = False, scale: float = 1.0, **kw):
        """A number field; ``scale`` is how many shown units one stored unit is (e.g. a
        share shown in percent). An emptied field is a problem and keeps the last value."""
        value = _get(self.data, path)
        if integer:
            initial = int(value) if value is not None else 0
        else:
            initial = float(value) * scale if value is not None else 0.0
        kw["step"] = kw.pop("step", 1 if integer else None)
        out = self.row(where.number_input, path, initial, read=None, **kw)
        if out is None:  # a cleared field: say so, and keep the last value meanwhile
            self.problems.append(tr(self.empty_key, field=tr(self.fields[path])))
            return initial
        # a share shown in percent comes back as it was (57 % is 0.57, not 0.56999…)
        if integer:
            _set(self.data, path, int(out))
        else:
            _set(self.data, path, float(out) if scale == 1 else round(float(out) / scale, 12))
        return out

    def choice(
        self,
        where,
        path: str,
        options: Mapping[str, str],
        params: Callable[[str], Mapping[str, Any]] | None = None,
    ) -> str:
        """A select box of the keys of ``options`` (option -> label key);
        ``params(option)`` fills the placeholders of an option's label."""
        value = _get(self.data, path)
        keep_choice(self.key(path))
        initial = value if value in options else next(iter(options))
        fmt = translated(options, params).get
        return self.row(where.selectbox, path, initial, list(options), format_func=fmt)

    def check(self, where, path: str) -> bool:
        """A check box."""
        return self.row(where.checkbox, path, bool(_get(self.data, path)), read=bool)

    def text(self, where, path: str, area: bool = False) -> str:
        """A line of text (a text area with ``area=True``)."""
        widget = where.text_area if area else where.text_input
        return self.row(widget, path, str(_get(self.data, path) or ""))

    def lines(self, where, path: str, parse: Callable[[str], list], **kw) -> list:
        """A list edited as text, one item per line; ``parse`` reads the text back."""
        initial = "\n".join(_get(self.data, path) or ())
        return parse(self.row(where.text_area, path, initial, read=parse, **kw))
