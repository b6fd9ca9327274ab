"""Bilingual (Simplified Chinese / English) user-facing messages.

Every message a planner can see is looked up here by key, so the UI language is a
setting, not a property of the code that raises the message. Modules register their
own catalogue with :func:`register` to keep each concern's wording next to its code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

LANGUAGES: tuple[str, ...] = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

_CATALOGUE: dict[str, dict[str, str]] = {}


def register(messages: Mapping[str, Mapping[str, str]]) -> None:
    """Add message templates to the catalogue.

    Parameters
    ----------
    messages
        ``{key: {"zh": template, "en": template}}``. Templates use ``str.format`` fields.

    Raises
    ------
    ValueError
        If a template lacks a language or a key is registered twice with other text.
    """
    for key, texts in messages.items():
        missing = [lang for lang in LANGUAGES if lang not in texts]
        if missing:
            raise ValueError(f"message {key!r} lacks languages {missing}")
        if key in _CATALOGUE and _CATALOGUE[key] != dict(texts):
            raise ValueError(f"message {key!r} registered twice with different text")
        _CATALOGUE[key] = dict(texts)


def t(key: str, lang: str = DEFAULT_LANGUAGE, /, **params: Any) -> str:
    """Render message ``key`` in ``lang`` with ``params`` filled in.

    Unknown keys render as the key itself, so a missing translation is visible, not fatal.
    """
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    template = _CATALOGUE.get(key, {}).get(lang, key)
    # A value that is itself a message (Text, ScenarioProblem, ...) is rendered in the
    # same language, so a translated term can fill a placeholder.
    params = {k: v.message(lang) if isinstance(v, Text) else v for k, v in params.items()}
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


class Text:
    """A message key with its values, rendered later in whichever language is asked.

    Use it as a placeholder value of another message (``t("a", lang, what=Text("b"))``)
    or wherever a message must be stored before the language is known.
    """

    __slots__ = ("key", "params")

    def __init__(self, key: str, /, **params: Any) -> None:
        self.key = key
        self.params = params

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The message in ``lang``."""
        return t(self.key, lang, **self.params)

    def __str__(self) -> str:
        return self.message(DEFAULT_LANGUAGE)

    def __repr__(self) -> str:
        return f"Text({self.key!r}, **{self.params!r})"


def known(key: str) -> bool:
    """Whether ``key`` has a registered message."""
    return key in _CATALOGUE


class PlannerError(Exception):
    """An error a planner can read: a message key plus the values that fill it.

    Parameters
    ----------
    key
        Message key registered with :func:`register`.
    details
        Further problems (anything with ``.message(lang)``), listed under the message.
    **params
        Values for the message template.
    """

    def __init__(self, key: str, /, *, details: Sequence[Any] = (), **params: Any) -> None:
        self.key = key
        self.params = params
        self.details = tuple(details)
        super().__init__(self.message("en"))

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The message in ``lang``, with one line per detail."""
        text = t(self.key, lang, **self.params)
        lines = [d.message(lang) for d in self.details]
        return "\n".join([text, *("• " + line for line in lines)]) if lines else text
