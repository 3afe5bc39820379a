"""Component bundles a page never uses stay off its first load (docs/screen.md, "First load").

Dash's index names the bundle of every component library the app imports, on every page: the wall
would download AG Grid (1.3 MB, 345 KB with brotli) for a page that draws no grid. On the paths in
``LEAN_PATHS`` the index names each library of ``LAZY_LIBRARIES`` in an inert
``<script type="text/x-cv-lazy">`` tag instead; ``assets/lazy_bundles.js`` turns those tags into
``React.lazy`` components that load the bundle the first time one is rendered (after a client-side
navigation from the wall to a page with a grid), so navigation keeps working without the download.
"""

from __future__ import annotations

import importlib
from typing import Any

import flask
from dash.development.base_component import Component

LAZY_LIBRARIES = frozenset({"dash_ag_grid"})
# Paths relative to the app's prefix, without slashes (dash.Dash.strip_relative_path).
LEAN_PATHS = frozenset({"screen"})
INERT_TYPE = "text/x-cv-lazy"

Resource = dict[str, Any]


def is_lean(relative_path: str | None) -> bool:
    return (relative_path or "") in LEAN_PATHS


def deferrable(resource: Resource) -> bool:
    """A library's eager bundle (async chunks and source maps are fetched on demand already)."""
    return (
        resource.get("namespace") in LAZY_LIBRARIES
        and not resource.get("async")
        and not resource.get("dynamic")
    )


def component_names(namespace: str) -> list[str]:
    module = importlib.import_module(namespace)
    return sorted(
        name for name, obj in vars(module).items()
        if isinstance(obj, type) and issubclass(obj, Component) and getattr(obj, "_namespace", None) == namespace
    )


def inert_tag(namespace: str, src: str | Resource) -> Resource:
    """The attributes of a script tag the browser neither fetches nor runs (an unknown type)."""
    url = src if isinstance(src, str) else str(src.get("src", ""))
    return {
        "type": INERT_TYPE,
        "data-namespace": namespace,
        "data-components": " ".join(component_names(namespace)),
        "data-src": url,
    }


def lean_request(strip_relative_path: Any) -> bool:
    """Whether this request is for the index of a lean page."""
    return flask.has_request_context() and is_lean(strip_relative_path(flask.request.path))
