"""Dash ``html`` components written out as an HTML string, for pages served without the Dash renderer.

The phone view (/m) is built from the same component tree Dash renders, but its first response must
show the numbers by itself: the renderer and its bundles (≈ 1.3 MB gzipped with AG Grid and Leaflet,
which the index loads for every page) cannot reach a phone on a slow link in seconds. Only plain HTML
components are allowed (no Dash component needs the renderer here); every text and attribute value
is escaped, so loaded data stays inert as it does under React.
"""

from __future__ import annotations

import re
from typing import Any

from dash.development.base_component import Component
from markupsafe import escape

_HTML = "dash_html_components"
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "wbr"})
_ATTR = {"className": "class", "htmlFor": "for"}
_ATTR_NAME = re.compile(r"^(?:[a-zA-Z]+|aria-[a-z]+|data-[a-z-]+)$")
_SKIP = frozenset({"children", "n_clicks", "n_clicks_timestamp", "disable_n_clicks"})


def _attrs(props: dict[str, Any]) -> str:
    out = []
    for name, value in props.items():
        if name in _SKIP or value is None or value is False:
            continue
        attr = _ATTR.get(name, name)
        if not isinstance(value, str | int | float) or not _ATTR_NAME.match(attr) or attr.lower().startswith("on"):
            raise ValueError(f"attribute {name!r} is not written out")
        out.append(f' {attr}' if value is True else f' {attr}="{escape(str(value))}"')
    return "".join(out)


def render(node: Any) -> str:
    """``node`` (a component, a string or number, a list of them, None) as HTML."""
    if node is None:
        return ""
    if isinstance(node, list | tuple):
        return "".join(render(n) for n in node)
    if isinstance(node, str | int | float):
        return str(escape(str(node)))
    if not isinstance(node, Component) or node._namespace != _HTML:
        raise TypeError(f"{type(node).__name__} cannot be written as static HTML")
    props = node.to_plotly_json()["props"]
    tag = node._type.lower()
    if not tag.isalnum():
        raise ValueError(f"tag {tag!r}")
    if tag in _VOID:
        return f"<{tag}{_attrs(props)}>"
    return f"<{tag}{_attrs(props)}>{render(props.get('children'))}</{tag}>"
