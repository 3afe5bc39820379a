"""Cases page: a click on a row of the case table opens its lifecycle (``components.detail_view``)."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State

from dashboard.components.cases_view import PAGE, as_of
from dashboard.components.detail_view import detail_update, ids

GRID = {"type": "cv-rows", "page": PAGE, "table": "cases"}


def register(app: dash.Dash) -> None:
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
        return detail_update("cases", PAGE, dash.ctx.triggered_id, cell, search, as_of)
