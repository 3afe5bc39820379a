"""The row detail panel of /cases and /hotline: a click on a table row opens the case's (the order's)
lifecycle, its facts and flags (上提, 返工), and its point on a small map.

The panel sits in the page hidden (``container``); ``callbacks.cases`` / ``callbacks.hotline`` fill it
from ``detail_update``. The row is looked up by ``metrics.lifecycle`` within the reader's scope (the
scoped query's unit) and passes ``access.mask_rows``, the rule the table's rows pass, so the panel
shows a name, a phone or an address exactly as masked (or not) as the grid does for that reader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Literal

import dash_leaflet as dl
from dash import html, no_update

from dashboard import access
from dashboard.components import markup
from dashboard.components.code_labels import case_ref_data, hotline_ref_data
from dashboard.components.maps import unit_shapes
from dashboard.components.page import Ctx, context_from_search
from metrics import lifecycle
from metrics.lifecycle import Lifecycle, Stage
from metrics.query import QueryError
from metrics.urgent import ARRIVE, RESULT

Kind = Literal["cases", "hotline_orders"]
ID_MAX = 200  # a row id longer than this is no id of ours


def _attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    """aria-* / data-* attributes (valid props the components' typed signatures do not list)."""
    return attrs


def ids(page: str) -> dict[str, str]:
    """The panel's component ids on ``page``."""
    return {"panel": f"{page}-detail", "body": f"{page}-detail-body", "close": f"{page}-detail-close"}


def container(page: str, ctx: Ctx) -> html.Div:
    """The hidden panel a row click fills and opens (a modal over the page, closed by its button)."""
    i = ids(page)
    return html.Div(html.Div([
        html.Button("×", id=i["close"], className="cv-detail-close", title=ctx.t("detail.close"),
                    **_attrs({"aria-label": ctx.t("detail.close")})),
        html.Div(id=i["body"], className="cv-detail-body"),
    ], className="cv-detail-box", role="dialog", **_attrs({"aria-modal": "true"})), id=i["panel"], hidden=True,
        className="cv-detail")


def span(t: Any, d: timedelta | None) -> str:
    """A duration in days/hours/minutes ("1 天 3 小时", "2 h 5 min"); its sign is the caller's to say."""
    if d is None:
        return ""
    minutes = int(abs(d).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    if days:
        return str(t("detail.span.d", d=days, h=rest // 60))
    if rest >= 60:
        return str(t("detail.span.h", h=rest // 60, m=rest % 60))
    return str(t("detail.span.m", m=rest))


def _when(at: datetime | None) -> str:
    return "" if at is None else f"{at:%Y-%m-%d %H:%M}"


def state_text(t: Any, s: Stage) -> str:
    return str(t(f"detail.state.{s.state}", d=span(t, s.margin)))


def stage_table(ctx: Ctx, life: Lifecycle, names: dict[str, str], notes: dict[str, str]) -> html.Table:
    t = ctx.t
    head = html.Tr([html.Th(t(f"detail.col.{c}")) for c in ("stage", "at", "since", "due", "state")])
    rows = []
    for s in life.stages:
        when = _when(s.at) or notes.get(s.key, "")
        rows.append(html.Tr([html.Td(names.get(s.key) or t(f"detail.stage.{s.key}")), html.Td(when),
                             html.Td(span(t, s.since_previous)), html.Td(_when(s.due_by)),
                             html.Td(state_text(t, s), className=f"cv-detail-{s.state}")],
                            className="cv-detail-stage", **_attrs({"data-stage": s.key, "data-state": s.state})))
    return html.Table([html.Thead(head), html.Tbody(rows)], className="cv-detail-stages")


def point_map(life: Lifecycle, label: str) -> html.Div | dl.Map:
    """The row's point on a small map: one GeoJSON point (``cityVitalsDetail.point``, assets/detail.js);
    its tooltip is escaped text (``markup``), as every Leaflet tooltip of the app."""
    lon, lat = life.field("lon"), life.field("lat")
    if lon is None or lat is None:
        return html.Div(label, className="cv-muted cv-detail-nomap")
    point = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
             "properties": {"tooltip": markup.tooltip(label)}}
    # the smallest unit of the row that has an outline, for a sense of where the point lies
    code = next((c for c in (life.field(k) for k in ("village_code", "grid_code", "town_code")) if c), None)
    outline = [{"type": "Feature", "geometry": geom, "properties": {"tooltip": markup.text(name)}}
               for _c, name, geom, _e in unit_shapes([str(code)] if code else [])][:1]
    return dl.Map([dl.GeoJSON(data={"type": "FeatureCollection", "features": outline},
                              style={"color": "#34495e", "weight": 1, "fillOpacity": 0.05}),
                   dl.GeoJSON(data={"type": "FeatureCollection", "features": [point]},
                              pointToLayer={"variable": "cityVitalsDetail.point"})],
                  center=[float(lat), float(lon)], zoom=15, attributionControl=False,
                  className="cv-map cv-detail-map", style={"height": "220px", "width": "100%", "background": "#f4f6f8"})


def facts(pairs: list[tuple[str, Any]]) -> html.Dl:
    items: list[Any] = []
    for label, value in pairs:
        if value is None or value == "":
            continue
        items += [html.Dt(label), html.Dd(markup.clip(str(value), 400))]
    return html.Dl(items, className="cv-detail-facts")


def _ref(ref: dict[str, dict[str, str]], column: str, code: Any) -> Any:
    return None if code is None else ref.get(column, {}).get(str(code), code)


def _unit_path(ref: dict[str, dict[str, str]], life: Lifecycle) -> str:
    parts = [_ref(ref, c, life.field(c)) for c in ("town_code", "grid_code", "village_code")]
    return " / ".join(str(p) for p in parts if p)


def case_body(ctx: Ctx, life: Lifecycle) -> list[Any]:
    t, f = ctx.t, life.field
    ref = case_ref_data(ctx)
    flags = [t("detail.flag.escalated") if f("escalated") else None,
             t("detail.flag.rework", n=f("rework_count")) if (f("rework_count") or 0) > 0 else None,
             t("detail.flag.cancelled") if f("cancelled") else None,
             t("detail.flag.supervision") if f("supervision_report") else None,
             t("detail.flag.proactive") if f("proactive") else None]
    title = t("detail.case", id=f("case_id"))
    return [
        html.H2(title, className="cv-detail-title"),
        html.Div([html.Span(x, className="cv-detail-flag") for x in flags if x], className="cv-detail-flags"),
        html.Div([
            html.Div([facts([
                (t("detail.f.category"), f("category_name") or f("category_code")),
                (t("detail.f.urgency"), _ref(ref, "urgency", f("urgency"))),
                (t("detail.f.status"), _ref(ref, "status", f("status"))),
                (t("detail.f.source"), _ref(ref, "source", f("source"))),
                (t("detail.f.station"), _ref(ref, "station_code", f("station_code"))),
                (t("detail.f.dept"), _ref(ref, "dept_code", f("dept_code"))),
                (t("detail.f.unit"), _unit_path(ref, life)),
                (t("detail.f.address"), f("address")),
                (t("detail.f.description"), f("description")),
            ])], className="cv-detail-col"),
            html.Div([point_map(life, f("case_id") if f("lon") is not None else t("detail.map_none"))],
                     className="cv-detail-col"),
        ], className="cv-detail-top"),
        html.H3(t("detail.lifecycle")),
        stage_table(ctx, life, {}, {}),
        html.P(t("detail.urgent_rule", a=int(ARRIVE.total_seconds() // 60), r=int(RESULT.total_seconds() // 60)),
               className="cv-muted"),
    ]


def order_body(ctx: Ctx, life: Lifecycle) -> list[Any]:
    t, f = ctx.t, life.field
    ref = hotline_ref_data(ctx)
    closed = next(s for s in life.stages if s.key == "closed")
    ontime = {"met": t("detail.yes"), "late": t("detail.no"), "overdue": t("detail.no")}.get(closed.state)
    agency = f("agency")
    cancelled = f("status") == "cancelled"
    return [
        html.H2(t("detail.order", id=f("order_id")), className="cv-detail-title"),
        html.Div([html.Span(t("detail.flag.cancelled"), className="cv-detail-flag")] if cancelled else [],
                 className="cv-detail-flags"),
        html.Div([
            html.Div([facts([
                (t("detail.f.channel"), _ref(ref, "channel", f("channel"))),
                (t("detail.f.category"), " / ".join(str(x) for x in (f("category"), f("subcategory")) if x)),
                (t("detail.f.urgency"), _ref(ref, "urgency", f("urgency"))),
                (t("detail.f.status"), _ref(ref, "status", f("status"))),
                (t("detail.f.agency"), agency),
                (t("detail.f.due"), _when(f("due_at"))),
                (t("detail.f.ontime"), ontime),
                (t("detail.f.resolution"), _ref(ref, "resolution", f("resolution"))),
                (t("detail.f.satisfaction"), _ref(ref, "satisfaction", f("satisfaction"))),
                (t("detail.f.case"), f("case_id")),
                (t("detail.f.unit"), _unit_path(ref, life)),
                (t("detail.f.name"), f("citizen_name")),
                (t("detail.f.phone"), f("citizen_phone")),
                (t("detail.f.address"), f("address")),
                (t("detail.f.content"), f("content")),
            ])], className="cv-detail-col"),
            html.Div([point_map(life, f("order_id") if f("lon") is not None else t("detail.map_none"))],
                     className="cv-detail-col"),
        ], className="cv-detail-top"),
        html.H3(t("detail.lifecycle")),
        stage_table(ctx, life, {"closed": t("detail.order_closed")},
                    {"dispatched": t("detail.to_agency", a=agency) if agency else t("detail.not_recorded")}),
    ]


def detail_body(kind: Kind, search: str | None, row_id: Any, now_of: Callable[[Ctx], datetime]) -> list[Any]:
    """The panel's content for the row ``row_id`` of the page state ``search`` (scoped, masked) at the
    instant ``now_of(ctx)`` (the page's 'now' of the data: ``cases_view.as_of``)."""
    ctx = context_from_search(search)
    if not isinstance(row_id, str) or not row_id or len(row_id) > ID_MAX:
        return [html.P(ctx.t("detail.missing"), className="cv-message")]
    now = now_of(ctx)
    look = lifecycle.case_lifecycle if kind == "cases" else lifecycle.order_lifecycle
    life = look(ctx.con, row_id, now, unit=ctx.query.unit)
    masked = access.mask_rows(life.row) if life is not None else None
    if life is None or masked is None or masked.empty:
        return [html.P(ctx.t("detail.missing"), className="cv-message", role="alert")]
    life = replace(life, row=masked)
    return case_body(ctx, life) if kind == "cases" else order_body(ctx, life)


def detail_update(kind: Kind, page: str, trigger: Any, cell: Any, search: str | None,
                  now_of: Callable[[Ctx], datetime]) -> tuple[Any, Any]:
    """(panel hidden, panel body) after a row click (``cell``: AG Grid's cellClicked) or a close."""
    if trigger == ids(page)["close"]:
        return True, None
    if not isinstance(cell, dict):
        return no_update, no_update
    try:
        return False, detail_body(kind, search, cell.get("rowId"), now_of)
    except QueryError as exc:
        return False, [html.P(str(exc), className="cv-message", role="alert")]
