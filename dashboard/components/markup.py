"""Text bound for a property the browser renders as HTML, made inert.

Leaflet binds a GeoJSON feature's ``properties.tooltip`` (and popups) with ``innerHTML``: a unit
name or category loaded by the ETL such as ``<img src=x onerror=...>`` would run there. Every string
that reaches such a property is built here, from escaped data, so it is shown exactly as typed.
``tests/dashboard/test_markup.py`` walks the map outputs of every page built from hostile text and
fails on any unescaped markup in an HTML-rendering property.
"""

from __future__ import annotations

from html import escape
from typing import Any

# Feature properties dash-leaflet renders as HTML (bindTooltip / bindPopup).
HTML_PROPERTIES = ("tooltip", "popup")
# Loaded text shown in a menu entry or a chart label is clipped to this: a 100 kB name as a dropdown
# option or a tick label hung the browser tab (issue 16's hostile corpus); tables keep the full text.
LABEL_MAX = 80


def clip(value: str, limit: int = LABEL_MAX) -> str:
    """``value`` cut to ``limit`` characters, an ellipsis marking the cut."""
    return value if len(value) <= limit else value[:limit - 1] + "…"


def text(value: Any) -> str:
    """Any value as HTML text: ``<``, ``>``, ``&``, quotes escaped; NUL dropped (no browser shows it)."""
    return escape(str(value).replace("\x00", ""), quote=True)


def tooltip(*parts: Any, sep: str = " ") -> str:
    """A one-line tooltip of plain text parts, each escaped."""
    return sep.join(text(p) for p in parts)
