"""Callbacks every analyst page shares (pattern-matched on the page name).

- a filter-bar change → a new URL (the page re-renders from it; history gets an entry)
- a click on a figure element → its action (cross-filter or drill) applied to the URL
- the grid asks for a block of rows → one page of rows from the server
- a map's point columns → its clustered GeoJSON point layer (clientside)
- a date picker's date → the hidden filter field beside it (clientside)

The page they act for comes from the client (the ``page`` key of the component ids), so each one
first passes it through ``checked_page``: only pages in ``SHARED_PAGES`` that the role may open.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import dash
from dash import ALL, MATCH, Input, Output, State, no_update

from dashboard import access, data
from dashboard.auth.model import SHARED_PAGES
from dashboard.components.maps import POINTS_JS
from dashboard.components.page import EXTRA, rows_page, search_params
from dashboard.filters import DATE_PICKER, DATE_TO_FIELD_JS, PICKERS, FilterState, parse, state_from_controls
from metrics.query import QueryError


def checked_page(page: object) -> str:
    """The page name from a component id, if the shared callbacks serve it and the current role may
    open it; otherwise ``AccessDenied`` (the request guard refuses such requests first)."""
    if not isinstance(page, str) or page not in SHARED_PAGES:
        raise access.AccessDenied(f"无此页面 / no such page: {str(page)[:40]}")
    if not access.may_open(access.current_principal().role, "/" + page):
        raise access.AccessDenied(f"无权访问 /{page} / not allowed: /{page}")
    return page


def _extra(params: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in params.items() if k in EXTRA}


def filter_href(page: str, search: str | None, fields: list[str], values: list[Any], triggered: str | None
                ) -> str:
    params = search_params(search)
    try:
        current = parse(params)
    except QueryError:
        current = FilterState()
    values_by = dict(zip(fields, values, strict=True))
    new = state_from_controls(values_by, triggered, current, today=data.view_anchor(current.period))
    extra = _extra(params)
    for name in EXTRA:
        if name in values_by:
            v = values_by[name]
            extra[name] = "" if v is None else str(v)
    if triggered == "level":
        extra.pop("measure", None)
    if triggered in (*PICKERS, "level"):
        extra.pop("sel", None)
    extra = {k: v for k, v in extra.items() if v}
    return f"/{page}{new.search(**extra)}"


def click_href(page: str, search: str | None, click: dict[str, Any] | None) -> str | None:
    """``customdata`` of the clicked point is ``"name=value"`` (or several joined by ``&``)."""
    if not click or not click.get("points"):
        return None
    action = click["points"][0].get("customdata")
    if isinstance(action, list):
        action = action[0] if action else None
    if not isinstance(action, str) or "=" not in action:
        return None
    params = search_params(search)
    params.update(dict(parse_qsl(action)))
    try:
        state = parse(params)
    except QueryError:
        return None
    return f"/{page}{state.search(**_extra(params))}"


def rows_response(table: str, search: str | None, request: dict[str, Any] | None, label: str | None = None
                  ) -> tuple[Any, Any]:
    if not request:
        return no_update, no_update
    start, end = int(request.get("startRow") or 0), int(request.get("endRow") or 100)
    sort = [(s["colId"], s["sort"]) for s in request.get("sortModel") or []]
    try:
        rows, total = rows_page(table, search, start, min(end, start + 1000), sort)
    except QueryError as exc:
        return {"rowData": [], "rowCount": 0}, str(exc)
    text = label if isinstance(label, str) and "{n}" in label else "共 {n} 条"
    return {"rowData": rows, "rowCount": total}, text.replace("{n}", f"{total:,}")


def register(app: dash.Dash) -> None:
    # a map's case points: the store's columns become the clustered layer's GeoJSON in the browser
    app.clientside_callback(POINTS_JS, Output({"type": "cv-points", "page": MATCH}, "data"),
                            Input({"type": "cv-points-data", "page": MATCH}, "data"))
    # a date picker's date → its hidden filter field, which the filter callback below reads
    app.clientside_callback(DATE_TO_FIELD_JS, Output({"type": "cv-filter", "page": MATCH, "field": MATCH}, "value"),
                            Input({"type": DATE_PICKER, "page": MATCH, "field": MATCH}, "date"),
                            prevent_initial_call=True)

    @app.callback(
        Output({"type": "cv-url", "page": MATCH}, "href"),
        Input({"type": "cv-filter", "page": MATCH, "field": ALL}, "value"),
        State({"type": "cv-filter", "page": MATCH, "field": ALL}, "id"),
        State({"type": "cv-state", "page": MATCH}, "data"),
        prevent_initial_call=True,
    )
    def _filters(values: list[Any], ids: list[dict[str, str]], search: str | None) -> str:
        trig = dash.ctx.triggered_id
        try:
            page = checked_page(ids[0]["page"] if ids else None)
        except QueryError:
            return no_update
        href = filter_href(page, search, [i["field"] for i in ids], values,
                           trig.get("field") if isinstance(trig, dict) else None)
        return href if href != f"/{page}{search or ''}" else no_update

    @app.callback(
        Output({"type": "cv-url", "page": MATCH}, "href", allow_duplicate=True),
        Input({"type": "cv-fig", "page": MATCH, "role": ALL}, "clickData"),
        State({"type": "cv-state", "page": MATCH}, "data"),
        prevent_initial_call=True,
    )
    def _click(_clicks: list[Any], search: str | None) -> str:
        trig = dash.ctx.triggered_id
        if not isinstance(trig, dict):
            return no_update
        click = dash.ctx.triggered[0]["value"] if dash.ctx.triggered else None
        try:
            page = checked_page(trig.get("page"))
        except QueryError:
            return no_update
        href = click_href(page, search, click)
        return href or no_update

    @app.callback(
        Output({"type": "cv-rows", "page": MATCH, "table": ALL}, "getRowsResponse"),
        Output({"type": "cv-rows-total", "page": MATCH}, "children"),
        Input({"type": "cv-rows", "page": MATCH, "table": ALL}, "getRowsRequest"),
        State({"type": "cv-state", "page": MATCH}, "data"),
        State({"type": "cv-rows-label", "page": MATCH}, "data"),
        prevent_initial_call=True,
    )
    def _rows(requests: list[Any], search: str | None, label: str | None) -> tuple[Any, Any]:
        ids = dash.ctx.inputs_list[0]
        try:
            for spec in ids:
                checked_page(spec["id"].get("page"))
        except QueryError as exc:
            return [{"rowData": [], "rowCount": 0} for _ in ids], str(exc)
        out, total = [], no_update
        for spec, req in zip(ids, requests, strict=True):
            resp, tot = rows_response(spec["id"]["table"], search, req, label)
            out.append(resp)
            if tot is not no_update:
                total = tot
        return out, total

    @app.callback(
        Output({"type": "cv-url", "page": MATCH}, "href", allow_duplicate=True),
        Input({"type": "cv-map", "page": MATCH}, "clickData"),
        State({"type": "cv-state", "page": MATCH}, "data"),
        prevent_initial_call=True,
    )
    def _map_click(feature: dict[str, Any] | None, search: str | None) -> str:
        trig = dash.ctx.triggered_id
        if not isinstance(trig, dict) or not feature:
            return no_update
        unit = (feature.get("properties") or {}).get("unit")
        try:
            page = checked_page(trig.get("page"))
        except QueryError:
            return no_update
        href = click_href(page, search, {"points": [{"customdata": f"unit={unit}"}]}) if unit else None
        return href or no_update
