"""Maps as self-contained pages, and embedded in the app in a frame of their own.

Every script and stylesheet a map needs is inlined from vendored copies
(:func:`offline`), so a page opens with no network: in the app, in an exported file and
in a headless browser. In the app a map is embedded with :func:`isolate_map`, in a frame
that cannot reach the app's page.
"""

from __future__ import annotations

import base64
import functools
import html
import re
from pathlib import Path

import folium

__all__ = ["MAP_SANDBOX", "isolate_map", "offline", "to_html"]


_STATIC = Path(__file__).resolve().parents[1] / "static"
# Folium asset names -> vendored copies. Assets not listed (jQuery, Bootstrap, Font
# Awesome, awesome-markers) are not used by our maps and are dropped, so nothing is
# fetched from a CDN.
_LOCAL_ASSETS = {
    "leaflet": "leaflet/leaflet.js",
    "leaflet_css": "leaflet/leaflet.css",
    "markerclusterjs": "markercluster/leaflet.markercluster.js",
    "markerclustercss": "markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "markercluster/MarkerCluster.Default.css",
}


@functools.cache
def _data_uri(relative: str) -> str:
    # Read and encoded once per process: every map page inlines the same files.
    path = _STATIC / relative
    if path.suffix != ".css":
        return "data:text/javascript;base64," + base64.b64encode(path.read_bytes()).decode()
    # Inline the images the stylesheet refers to, since a data: URI has no base URL.
    text = path.read_text(encoding="utf-8")
    for name in sorted(set(re.findall(r"url\((images/[^)]+\.png)\)", text))):
        encoded = base64.b64encode((path.parent / name).read_bytes()).decode()
        text = text.replace(f"url({name})", f"url(data:image/png;base64,{encoded})")
    return "data:text/css;base64," + base64.b64encode(text.encode("utf-8")).decode()


def offline(fmap: folium.Map) -> folium.Map:
    """Point every script and stylesheet of ``fmap`` at vendored copies (in place).

    The rendered HTML then opens with no network at all: in the app, in an exported
    file and in a headless browser.
    """
    stack = [fmap.get_root()]
    while stack:
        element = stack.pop()
        stack.extend(element._children.values())
        for attr in ("default_js", "default_css"):
            assets = getattr(element, attr, None)
            if assets:
                setattr(
                    element,
                    attr,
                    [
                        (name, _data_uri(_LOCAL_ASSETS[name]))
                        for name, _ in assets
                        if name in _LOCAL_ASSETS
                    ],
                )
    return fmap


def to_html(fmap: folium.Map) -> str:
    """Self-contained HTML of ``fmap`` that needs no network."""
    return offline(fmap).get_root().render()


#: Sandbox of the frame a map runs in inside the app: scripts (Leaflet) but no same
#: origin, so the map's document has an opaque origin of its own.
MAP_SANDBOX = "allow-scripts"


def isolate_map(page: str) -> str:
    """A page that shows ``page`` (a map's HTML) in a frame that cannot reach its parent.

    Streamlit's ``st.iframe`` gives an HTML string a ``srcdoc`` frame sandboxed with
    ``allow-scripts allow-same-origin``: a script in it runs with the app's own origin
    and can read and change the app's page (``window.parent.document``). The map is
    therefore put one frame deeper, in an ``<iframe sandbox="allow-scripts">``: Leaflet
    runs, but the document's origin is opaque, so the app's page, its cookies and
    storage are out of reach, and no top-level navigation or popup is allowed (nested
    sandboxes only ever add restrictions). The outer page holds no script at all.

    Parameters
    ----------
    page
        A complete HTML document, e.g. :func:`to_html`.

    Returns
    -------
    str
        An HTML document for ``st.iframe``; ``html.unescape`` of its ``srcdoc``
        attribute gives ``page`` back.
    """
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><style>'
        "html,body{margin:0;padding:0;height:100%;overflow:hidden}"
        "iframe{display:block;border:0;width:100%;height:100%}"
        f'</style></head><body><iframe sandbox="{MAP_SANDBOX}" title="map" '
        f'srcdoc="{html.escape(page, quote=True)}"></iframe></body></html>'
    )
