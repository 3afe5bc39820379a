"""Hotline page: a click on a hotspot marker drills the order table to that hotspot's orders.

Markers are ``{"type": "cv-hot", "page": "hotline", "i": <index>}``; the page stores each marker's
target URL in ``cv-hot-actions`` (same order), so ids carry an index, never category text.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import ALL, Input, Output, State, no_update

from dashboard.components.hotline_view import HOT_ACTIONS, PAGE


def hotspot_href(index: Any, clicks: Any, actions: list[str] | None) -> str | None:
    """The URL of the clicked marker (None: no real click, or an index the page did not render)."""
    if not clicks or not isinstance(index, int) or not actions or not 0 <= index < len(actions):
        return None
    href = actions[index]
    return href if isinstance(href, str) and href.startswith(f"/{PAGE}") else None


def register(app: dash.Dash) -> None:
    @app.callback(
        Output({"type": "cv-url", "page": PAGE}, "href", allow_duplicate=True),
        Input({"type": "cv-hot", "page": PAGE, "i": ALL}, "n_clicks"),
        State(HOT_ACTIONS, "data"),
        prevent_initial_call=True,
    )
    def _hotspot(_clicks: list[Any], actions: list[str] | None) -> str:
        trig = dash.ctx.triggered_id
        value = dash.ctx.triggered[0]["value"] if dash.ctx.triggered else None
        href = hotspot_href(trig.get("i") if isinstance(trig, dict) else None, value, actions)
        return href or no_update
