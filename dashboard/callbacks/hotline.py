"""Hotline page: a click on a hotspot point drills the order table to that hotspot's orders; a click on
a row of the order table opens the order's lifecycle (``components.detail_view``).

The points are one GeoJSON layer ``{"type": "cv-hot", "page": "hotline"}``; a click sends the clicked
feature, whose ``properties.i`` indexes the target URLs the page stored in ``cv-hot-actions`` (same
order), so neither ids nor features carry category text.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, no_update

from dashboard.components.cases_view import as_of
from dashboard.components.detail_view import detail_update, ids
from dashboard.components.hotline_view import HOT_ACTIONS, HOT_LAYER, PAGE

GRID = {"type": "cv-rows", "page": PAGE, "table": "hotline_orders"}


def hotspot_href(index: Any, clicks: Any, actions: list[str] | None) -> str | None:
    """The URL of the clicked marker (None: no real click, or an index the page did not render)."""
    if not clicks or not isinstance(index, int) or isinstance(index, bool) or not actions \
            or not 0 <= index < len(actions):
        return None
    href = actions[index]
    return href if isinstance(href, str) and href.startswith(f"/{PAGE}") else None


def clicked_index(feature: Any) -> Any:
    """The ``i`` property of a clicked GeoJSON feature (None for anything else)."""
    props = feature.get("properties") if isinstance(feature, dict) else None
    return props.get("i") if isinstance(props, dict) else None


def register(app: dash.Dash) -> None:
    @app.callback(
        Output({"type": "cv-url", "page": PAGE}, "href", allow_duplicate=True),
        Input(HOT_LAYER, "n_clicks"),
        State(HOT_LAYER, "clickData"),
        State(HOT_ACTIONS, "data"),
        prevent_initial_call=True,
    )
    def _hotspot(clicks: Any, feature: Any, actions: list[str] | None) -> str:
        return hotspot_href(clicked_index(feature), clicks, actions) or no_update

    i = ids(PAGE)

    @app.callback(
        Output(i["panel"], "hidden"),
        Output(i["body"], "children"),
        Input(GRID, "cellClicked"),
        Input(i["close"], "n_clicks"),
        State({"type": "cv-state", "page": PAGE}, "data"),
        prevent_initial_call=True,
    )
    def _detail(cell: Any, _close: Any, search: str | None) -> tuple[Any, Any]:
        return detail_update("hotline_orders", PAGE, dash.ctx.triggered_id, cell, search, as_of)
