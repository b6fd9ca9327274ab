"""Text encodings of a planner's files: UTF-8 (with or without BOM), else GBK/GB18030.

Files from Chinese Windows machines are often GBK without saying so; the encoding is
tried rather than guessed, and a note says when GBK was used.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence

from planner.data.checks import Problem
from planner.data.io.sources import _MB
from planner.i18n import PlannerError

#: Encodings tried, in order, for a DBF's text without a declared encoding.
_FALLBACK_ENCODINGS = ("utf-8", "gb18030")


def _candidates(encoding: str | None) -> list[str]:
    """The encodings to try: the planner's, else UTF-8 (with or without BOM), else GB18030."""
    return [encoding] if encoding else ["utf-8-sig", "gb18030"]


def _encoding_failed(name: str, candidates: Sequence[str], errors: Sequence[str]) -> PlannerError:
    return PlannerError(
        "io.encoding_failed",
        name=name,
        tried=[c.replace("-sig", "") for c in candidates],
        error="; ".join(errors)[:500],
    )


def _decode(data: bytes, name: str, encoding: str | None) -> tuple[str, str]:
    """Decode text: the given encoding, else UTF-8 (with or without BOM), else GB18030."""
    candidates = _candidates(encoding)
    errors = []
    for enc in candidates:
        try:
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError) as exc:
            errors.append(f"{enc}: {exc}")
            continue
        return text, enc
    raise _encoding_failed(name, candidates, errors)


def _text_encoding(data: bytes, name: str, encoding: str | None) -> str:
    """The encoding :func:`_decode` would choose, checked without holding the text.

    The bytes are decoded a megabyte at a time and the text dropped: a table is then
    parsed straight from its bytes, so a large file is never held twice more as text.
    """
    candidates = _candidates(encoding)
    errors = []
    view = memoryview(data)
    for enc in candidates:
        start = 0
        try:
            decoder = codecs.getincrementaldecoder(enc)()
            for start in range(0, len(data), _MB):
                decoder.decode(view[start : start + _MB])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            errors.append(f"{enc}: {exc.reason} at byte {start + exc.start}")
            continue
        except LookupError as exc:
            errors.append(f"{enc}: {exc}")
            continue
        return enc
    raise _encoding_failed(name, candidates, errors)


def _encoding_note(encoding: str) -> list[Problem]:
    """A note that the text was read as GBK/GB18030 (nothing for UTF-8)."""
    if encoding.replace("-sig", "").lower() in ("utf-8", "utf8", "ascii"):
        return []
    return [Problem("io.encoding_guessed", "fixed", params={"encoding": "GBK/GB18030"})]


#: A NUL escaped in JSON text (``\u0000``), not preceded by an escaped backslash.
_JSON_NUL = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def _mark_nul(text: str) -> str:
    r"""GeoJSON text with its NUL characters replaced by :data:`~planner.data.checks.NUL_MARK`.

    GDAL reads text as C strings, so a NUL ends a name there ("五马\u0000社区" arrives
    as "五马", silently). Marked, the characters reach
    :func:`planner.data.io.layers._build_layer`, which removes
    them and names the features. Returns ``text`` itself when it holds no NUL.
    """
    if "\\u0000" not in text and "\x00" not in text:
        return text
    text = _JSON_NUL.sub(lambda m: m.group(1) + "\\uffff", text)
    return text.replace("\x00", "\\uffff")
