"""Bilingual (Simplified Chinese / English) user-facing messages.

Every message a planner can see is looked up here by key, so the UI language is a
setting, not a property of the code that raises the message. The catalogues are data:
one TOML file per area in ``planner/locales/`` with the Chinese and English text of
each key side by side, read once on import. Domain terms (回收站点, 分拣中心, 覆盖率 …)
live in ``glossary.toml`` and are used by every page, export and the CLI, so one term
has one translation.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LOCALES",
    "InLanguages",
    "PlannerError",
    "Text",
    "catalogue",
    "known",
    "t",
    "value_label",
]

LANGUAGES: tuple[str, ...] = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
#: Folder of the message catalogues.
LOCALES = Path(__file__).resolve().parent / "locales"


def _load(folder: Path) -> dict[str, dict[str, str]]:
    """Every catalogue file of ``folder``; a key must have both languages and be
    defined once (a clash between files would make the wording depend on load order)."""
    found: dict[str, dict[str, str]] = {}
    where: dict[str, str] = {}
    for path in sorted(folder.glob("*.toml")):
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        for key, texts in data.items():
            missing = [lang for lang in LANGUAGES if not isinstance(texts.get(lang), str)]
            if missing:
                raise ValueError(f"{path.name}: message {key!r} lacks languages {missing}")
            if key in found:
                raise ValueError(f"message {key!r} is defined in {where[key]} and {path.name}")
            found[key] = {lang: texts[lang] for lang in LANGUAGES}
            where[key] = path.name
    return found


_CATALOGUE: dict[str, dict[str, str]] = _load(LOCALES)


def catalogue() -> dict[str, dict[str, str]]:
    """A copy of the whole catalogue, ``{key: {"zh": …, "en": …}}`` (for checks)."""
    return {key: dict(texts) for key, texts in _CATALOGUE.items()}


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


class InLanguages(Text):
    """A value written out in each language rather than looked up (a region's Chinese
    and English name): fills a placeholder with its text in the language rendered.

    ``InLanguages(zh="晋江市", en="Jinjiang")``; a language without a text shows the
    default language's.
    """

    __slots__ = ()

    def __init__(self, **texts: str) -> None:
        super().__init__("", **texts)

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The text in ``lang``."""
        return str(self.params.get(lang) or self.params.get(DEFAULT_LANGUAGE, ""))

    def __repr__(self) -> str:
        return f"InLanguages(**{self.params!r})"


def value_label(labels: Mapping[Any, str], value: Any, lang: str = DEFAULT_LANGUAGE) -> str:
    """``value`` in words: its catalogue key in ``labels`` (value -> complete key) rendered
    in ``lang``; a value ``labels`` does not know (an older or hand-edited file) shows as
    itself."""
    key = labels.get(value)
    return t(key, lang) if key else str(value)


def known(key: str) -> bool:
    """Whether ``key`` is in the catalogue."""
    return key in _CATALOGUE


class PlannerError(Exception):
    """An error a planner can read: a message key plus the values that fill it.

    Parameters
    ----------
    key
        Message key of the catalogue (``planner/locales/*.toml``).
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
