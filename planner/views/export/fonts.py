"""Find a font that draws Chinese, for matplotlib maps and PDF reports.

Looked up through fontconfig (``fc-list :lang=zh-cn``) and matplotlib's font manager,
never a hard-coded path: matplotlib's font cache may predate the font's installation,
so files fontconfig knows are registered with matplotlib on first use.
``$PLANNER_CJK_FONT`` may name a font file to use instead. Without any CJK font the
exports stop with a clear message rather than print boxes (tofu).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import threading
from functools import cache

from matplotlib import font_manager, ft2font

from planner.i18n import PlannerError

__all__ = ["FALLBACK_FAMILY", "PREFERRED_FAMILIES", "cjk_family", "font_families"]


# Simplified-Chinese faces first; the first one installed wins.
PREFERRED_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Sarasa Gothic SC",
    "Noto Serif CJK SC",
    "AR PL UMing CN",
    "Droid Sans Fallback",
)
# Latin fallback for glyphs the CJK face lacks (⚠, ², …); ships with matplotlib.
FALLBACK_FAMILY = "DejaVu Sans"
_PROBE = "晋江温州回收站点"
_LOCK = threading.Lock()


def _covers(family: str) -> bool:
    """Whether matplotlib resolves ``family`` itself and it has Chinese glyphs."""
    try:
        path = font_manager.findfont(
            font_manager.FontProperties(family=family), fallback_to_default=False
        )
    except ValueError:
        return False
    try:
        face = ft2font.FT2Font(path, face_index=getattr(path, "face_index", 0))
    except (OSError, RuntimeError):
        return False
    return all(face.get_char_index(ord(ch)) for ch in _PROBE)


def _fontconfig_fonts() -> list[tuple[str, str]]:
    """``(file, family)`` of the fonts fontconfig lists for Simplified Chinese."""
    if shutil.which("fc-list") is None:
        return []
    try:
        out = subprocess.run(
            ["fc-list", ":lang=zh-cn", "--format", "%{file}\t%{family[0]}\n"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    rows = [line.split("\t", 1) for line in out.splitlines() if "\t" in line]
    return sorted((f, fam) for f, fam in rows if f.lower().endswith((".ttf", ".otf", ".ttc")))


def _add(path: str) -> None:
    known = {entry.fname for entry in font_manager.fontManager.ttflist}
    if path not in known:
        with contextlib.suppress(OSError, RuntimeError, ValueError):
            font_manager.fontManager.addfont(path)


@cache
def cjk_family() -> str:
    """Name of a matplotlib font family that draws Simplified Chinese.

    Raises
    ------
    PlannerError
        ``export.no_cjk_font`` when none is installed.
    """
    with _LOCK:
        override = os.environ.get("PLANNER_CJK_FONT")
        if override and os.path.isfile(override):
            _add(os.path.realpath(override))
            name = font_manager.FontProperties(fname=override).get_name()
            if _covers(name):
                return name
        known = {entry.name for entry in font_manager.fontManager.ttflist}
        listed = _fontconfig_fonts()
        for family in PREFERRED_FAMILIES:
            if family not in known:
                for path, fam in listed:
                    if fam == family:
                        _add(path)  # Regular and Bold files of the family
            if _covers(family):
                return family
        # Any other face fontconfig lists for Chinese (not monospaced), then whatever
        # matplotlib already knows with CJK in its name.
        others = [fam for _, fam in listed if "mono" not in fam.lower()]
        for path, fam in listed:
            if fam in others:
                _add(path)
        names = sorted({e.name for e in font_manager.fontManager.ttflist})
        for family in [*dict.fromkeys(others), *(n for n in names if "CJK" in n)]:
            if _covers(family):
                return family
    raise PlannerError("export.no_cjk_font")


def font_families() -> list[str]:
    """Font family list for matplotlib text: the CJK face, then a Latin fallback."""
    return [cjk_family(), FALLBACK_FAMILY]
