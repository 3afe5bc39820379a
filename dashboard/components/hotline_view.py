"""The hotline page (12345 热线): the four rates against their targets, a 12-month rate trend, categories,
repeat-complaint hotspots (顽症) on a map and as a list, and the server-paged order table (PII masked).

URL: the shared filter bar (category = the hotline's own category text), plus ``sel=unit`` (hotspots
per 村居/unit instead of ~100 m cells). Clicking a category bar sets ``category=`` (every panel narrows);
with a category chosen the bars are its subcategories and a click drills the table
(``drill=subcategory:…``). A hotspot (map marker or list link) sets its category and drills the table to
its orders in the period (``drill=cell:ix:iy:metres`` or ``drill=place:<unit>``). Component ids carry
only indices and codes: category text lives in ``customdata`` / hrefs, never in an id.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import quote_plus, urlencode

import dash_leaflet as dl
import pandas as pd
from dash import dcc, html

import metrics
from dashboard import data
from dashboard.components import detail_view, markup
from dashboard.components import figures as F
from dashboard.components.cases_view import as_of
from dashboard.components.code_labels import hotline_ref_data, labelled
from dashboard.components.drill_labels import drill_label
from dashboard.components.grid import HOTLINE_HEADERS, HOTLINE_HEADERS_EN, paged_grid
from dashboard.components.labels import HOTLINE_CODE_LABELS
from dashboard.components.maps import unit_shapes
from dashboard.components.page import Ctx
from dashboard.filters import HOT_M, HOT_N, filter_bar, hotspot_params
from metrics import explore
from metrics import hotline_explore as HX
from metrics.query import Period, QueryError

PAGE = "hotline"
KPIS_ID = "hotline-kpis"
HOT_LIST_ID = "hotline-hotspots"
HOT_MAP_ID = "hotline-map"
HOT_ACTIONS = {"type": "cv-hot-actions", "page": PAGE}
HOT_LAYER = {"type": "cv-hot", "page": PAGE}  # the hotspot points: one GeoJSON layer
MAP_MAX = 150  # hotspot markers on the map (most recurrent first)
LIST_MAX = 50
HEADERS = {**HOTLINE_HEADERS, "citizen_name": "来电人", "citizen_phone": "联系电话"}
HEADERS_EN = {**HOTLINE_HEADERS_EN, "citizen_name": "Caller", "citizen_phone": "Phone"}
STATUS_COLOR = {"green": "#1b7f3b", "amber": "#d99a00", "red": "#b02a37", None: "#5d7fa6"}


def _place(ctx: Ctx) -> HX.Place:
    sel = ctx.extra.get("sel")
    if sel not in (None, "", "unit", "cell"):
        raise QueryError(f"“sel={sel}” is not one of unit, cell")
    return "unit" if sel == "unit" else "cell"


def _rule(ctx: Ctx, place: HX.Place) -> HX.HotspotRule:
    """The repeat-complaint rule of the view: ``hot_n=`` orders within ``hot_m=`` days (validated: a bad
    value is a message on the page)."""
    n, m = hotspot_params(ctx.extra, HX.HOT_MIN_COUNT, HX.HOT_WITHIN_DAYS)
    return HX.HotspotRule(min_count=n, within_days=m, place=place)


def _href(ctx: Ctx, **changes: Any) -> str:
    extra = {k: v for k, v in {**ctx.extra, **changes.pop("extra", {})}.items() if v}
    return f"/{PAGE}{ctx.state.with_(**changes).search(**extra)}"


def bar(ctx: Ctx) -> html.Div:
    opts = data.per_snapshot("hotline.filter_options", HX.filter_options)
    statuses = labelled("status", opts["status"], ctx.en, HOTLINE_CODE_LABELS)
    channels = labelled("channel", opts["source"], ctx.en, HOTLINE_CODE_LABELS)
    return filter_bar(PAGE, ctx.state, ctx.units, opts["category"], channels, statuses, ctx.t,
                      today=data.view_anchor(ctx.state.period), lang=ctx.lang, level_label=ctx.picker_label)


def present_rates(ctx: Ctx) -> tuple[str, ...]:
    """The rates whose field the loaded orders carry (``HX.fields_present``, per snapshot)."""
    have = data.per_snapshot("hotline.fields_present", HX.fields_present)
    return tuple(k for k in HX.RATE_IDS if HX.RATE_FIELDS[k] in have)


def kpis(ctx: Ctx, vals: dict[str, metrics.IndicatorValue]) -> html.Div:
    def tile(v: metrics.IndicatorValue, text: str, sub: str) -> html.Div:
        return html.Div([html.Div(v.name_zh if not ctx.en else v.name_en, className="cv-kpi-label"),
                         html.Div(text, className="cv-kpi-value", style={"color": STATUS_COLOR[v.status]}),
                         html.Div(sub, className="cv-kpi-target")], className="cv-kpi", id=f"hotline-kpi-{v.metric_id}")

    orders, backlog = vals["hotline_orders"], vals["hotline_backlog"]
    tiles = [tile(orders, F.num(orders.value), ctx.previous_text("hotline", F.num(orders.previous_value)))]
    shown = present_rates(ctx)
    for k in (*shown, "hotline_closure_rate"):
        v = vals[k]
        tiles.append(tile(v, F.pct(v.value), f"{ctx.t('hotline.target')} {F.pct(v.target)} · "
                                             f"{F.num(v.numerator)} / {F.num(v.denominator)}"))
    p50 = vals["hotline_close_p50"]
    tiles.append(tile(p50, "—" if p50.value is None else ctx.t("hotline.hours", h=f"{p50.value:,.1f}"),
                      ctx.t("hotline.closed_n", n=F.num(p50.denominator))))
    tiles.append(tile(backlog, F.num(backlog.value), ""))
    lacking = [vals[k] for k in HX.RATE_IDS if k not in shown]
    note = ([html.P(ctx.t("hotline.lacking", names="、".join(v.name_en if ctx.en else v.name_zh for v in lacking)),
                    className="cv-note", id=f"{KPIS_ID}-lacking")] if lacking else [])
    return html.Div([html.Div(tiles, className="cv-kpis", id=KPIS_ID), *note])


def rates_figure(ctx: Ctx, vals: dict[str, metrics.IndicatorValue]) -> F.Figure:
    vs = [vals[k] for k in (*present_rates(ctx), "hotline_closure_rate")]
    names = [v.name_en if ctx.en else v.name_zh for v in vs]
    return F.fig([
        {"type": "bar", "x": [v.value for v in vs], "y": names, "orientation": "h", "name": ctx.t("hotline.actual"),
         "marker": {"color": [STATUS_COLOR[v.status] for v in vs]}, "text": [F.pct(v.value) for v in vs],
         # the value reads at the bar's start: at its end the target mark (90–97%) crossed "98.0%"
         "textposition": "inside", "insidetextanchor": "start", "hovertemplate": "%{y}: %{x:.1%}<extra></extra>"},
        {"type": "scatter", "x": [v.target for v in vs], "y": names, "mode": "markers", "name": ctx.t("hotline.target"),
         "marker": {"symbol": "line-ns-open", "size": 26, "line": {"width": 3}, "color": "#222"},
         "hovertemplate": "%{y} " + ctx.t("hotline.target") + ": %{x:.0%}<extra></extra>"},
    ], 240, xaxis={"range": [0, 1.02], "tickformat": ".0%"}, yaxis={"autorange": "reversed", "automargin": True},
        # automargin: the English rate names are wider than 90 px and were cut at the left edge
        margin={"l": 90, "r": 12, "t": 8, "b": 28}, showlegend=True, legend={"orientation": "h", "y": 1.15})


def live_month(ctx: Ctx) -> Period | None:
    """The month the trend computes per render: the current one, if the trend reaches it (months up to
    the period's last one, never past the current month: a future month has no orders yet and its due
    orders would all count as late); None when the trend ends before it (all its months are kept)."""
    now = data.view_now()
    last = min(ctx.query.period.end - timedelta(seconds=1), now)
    current = Period.containing("month", now.date())
    return current if last >= current.start else None


def trend_frame(ctx: Ctx, live: pd.DataFrame | None) -> pd.DataFrame:
    """The 12-month rate trend. Months before the current one only change with a load, so they are kept
    per snapshot and filter set (a few KB each); the current month (``live``) comes with the KPI scan
    (``hotline_explore.kpis_and_month``)."""
    now = data.view_now()
    last = min(ctx.query.period.end - timedelta(seconds=1), now)
    q = ctx.query
    current = Period.containing("month", now.date())
    key = f"hotline.trend.{q.unit}.{q.category}.{q.source}.{q.urgency}.{q.status}"
    cfg = data.metrics_config()
    if live is None:
        query = replace(q, period=Period.containing("month", last.date()))
        return data.per_snapshot(f"{key}.{query.period.start:%Y-%m}",
                                 lambda con: HX.rate_trend(con, query, 12, overrides=cfg))
    prev = replace(q, period=Period.containing("month", (current.start - timedelta(days=1)).date()))
    past = data.per_snapshot(f"{key}.{prev.period.start:%Y-%m}.11",
                             lambda con: HX.rate_trend(con, prev, 11, overrides=cfg))
    return pd.concat([past, live], ignore_index=True)


def trend_figure(ctx: Ctx, live: pd.DataFrame | None) -> F.Figure:
    df = trend_frame(ctx, live)
    if df.loc[df["metric_id"].isin(present_rates(ctx)), "value"].isna().all():
        return F.empty(ctx.t("page.no_data"))
    colors = ("#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd")
    traces: list[dict[str, Any]] = []
    shown = present_rates(ctx)
    # the running month (orders so far, not all due yet) is drawn apart: dashed and labelled 未满期
    running = F.last_running(sorted(set(df["month"])), as_of(ctx), "month")
    for k, color in zip(HX.RATE_IDS, colors, strict=True):
        if k not in shown:
            continue
        d = df[df["metric_id"] == k]
        ind = metrics.BY_ID[k]
        line = {"type": "scatter", "mode": "lines+markers", "name": ind.en if ctx.en else ind.zh,
                "x": [m.strftime("%Y-%m") for m in d["month"]],
                "y": [None if v is None or v != v else float(v) for v in d["value"]],
                "line": {"color": color}, "legendgroup": k,
                "hovertemplate": "%{x}: %{y:.1%}<extra></extra>"}
        traces += F.partial_line(line, ctx.t("page.partial"), legend=False) if running else [line]
    if running and traces:
        traces.append(F.partial_legend(ctx.t("page.partial")))
    # four names wrap to two rows in a third-width panel: below the axis they cannot cover the lines
    return F.fig(traces, 300, yaxis={"tickformat": ".0%"}, showlegend=True,
                 legend={"orientation": "h", "y": -0.14, "yanchor": "top"},
                 margin={"l": 48, "r": 12, "t": 12, "b": 72})


def category_figure(ctx: Ctx, counts: pd.DataFrame) -> F.Figure:
    if ctx.state.category:
        df = counts[(counts["category"] == ctx.state.category) & counts["subcategory"].notna()]
        keys, labels = df["subcategory"].tolist(), df["subcategory"].tolist()
        custom = [f"drill=subcategory:{k}" for k in keys]
        chosen = ctx.state.drill.value if ctx.state.drill and ctx.state.drill.kind == "subcategory" else None
    else:
        df = counts[counts["subcategory"].isna()]
        keys, labels = df["category"].tolist(), df["category"].tolist()
        custom = [f"category={k}" for k in keys]
        chosen = None
    if not keys:
        return F.empty(ctx.t("page.no_data"))
    n = min(len(keys), 15)
    keys, labels, custom, vals = keys[:n][::-1], labels[:n][::-1], custom[:n][::-1], df["orders"].tolist()[:n][::-1]
    colors = ["#08519c" if chosen in (None, k) else "#c6dbef" for k in keys]
    return F.fig([{"type": "bar", "x": vals, "y": labels, "orientation": "h", "marker": {"color": colors},
                   "customdata": custom, "text": vals, "textposition": "auto"}], max(240, 22 * n + 40),
                 margin={"l": 110, "r": 12, "t": 8, "b": 28})


def hotspot_rows(ctx: Ctx, hot: pd.DataFrame, place: str) -> list[dict[str, Any]]:
    """Plain rows (arrow-backed iteration is slow) with their label and drill URL, built once for the
    list and the map."""
    names = data.per_snapshot("hotline.unit_names", lambda _con: dict(zip(
        ctx.units["unit_code"].tolist(), ctx.units["name_zh"].tolist(), strict=True)))
    base = {k: v for k, v in ctx.state.params().items() if k not in ("category", "drill")}
    extra = {k: v for k, v in ctx.extra.items() if v}
    top = hot.head(max(MAP_MAX, LIST_MAX))
    # column lists zipped into dicts: DataFrame.to_dict("records") boxed every cell one by one
    cols = list(top.columns)
    rows = [dict(zip(cols, vals, strict=True)) for vals in zip(*(top[c].tolist() for c in cols), strict=True)]
    # the same query string as urlencode({**base, category, drill, **extra}): the fixed parts encoded once,
    # each category once (a few dozen distinct ones among 150 rows)
    head = urlencode(base) + "&" if base else ""
    tail = "&" + urlencode(extra) if extra else ""
    cats: dict[str, str] = {}
    for r in rows:
        where = names.get(r["place"], r["place"]) if place == "unit" else \
            f"{names.get(r['town_code'], r['town_code'] or '')} ~100 m"
        cat = r["category"]
        r["label"] = f"{cat} · {where}"
        qcat = cats.get(cat) or cats.setdefault(cat, quote_plus(str(cat)))
        r["href"] = f"/{PAGE}?{head}category={qcat}&drill={quote_plus(str(r['drill']))}{tail}"
    return rows


def hotspot_list(ctx: Ctx, rows: list[dict[str, Any]], total: int) -> html.Ol:
    items = [html.Li([dcc.Link(r["label"], href=r["href"]),
                      html.Span(f" · {ctx.t('hotline.max_window', n=int(r['max_in_window']))} · "
                                f"{ctx.t('hotline.in_period', n=int(r['orders_in_period']))} · "
                                f"{r['first_at']:%m-%d} – {r['last_at']:%m-%d}", className="cv-muted")])
             for r in rows[:LIST_MAX]]
    more = [html.Li(f"… +{total - LIST_MAX:,}")] if total > LIST_MAX else []
    return html.Ol(items + more or [html.Li(ctx.t("hotline.no_hotspots"))], className="cv-overdue",
                   id=HOT_LIST_ID, style={"maxHeight": "340px"})


def hotspot_map(ctx: Ctx, rows: list[dict[str, Any]]) -> html.Div:
    """Child-unit outlines (parsed once per snapshot) and the hotspots as ONE GeoJSON layer of points
    (plain feature dicts, drawn by ``cityVitalsHotline.hotPoint`` in assets/hotline.js): 150 CircleMarker
    components with a Tooltip each, plus the outlines read and parsed per render, cost ~14 ms CPU a
    quarter render (now ~2 ms). A click sends the feature (its index ``i``) to ``callbacks.hotline``,
    which opens that hotspot's URL from the ``cv-hot-actions`` store."""
    level = explore.child_level(ctx.con, ctx.query)
    codes = ctx.units.loc[(ctx.units["level"] == level) & (
        ctx.units["parent_code"] == ctx.state.unit if ctx.state.unit else ctx.units["level"] == level), "unit_code"]
    feats, lons, lats = [], [], []
    for _code, name, geom, ext in unit_shapes(list(codes)):
        if ext:
            lons.extend(ext[:2])
            lats.extend(ext[2:])
        feats.append({"type": "Feature", "geometry": geom, "properties": {"tooltip": markup.text(name)}})
    layers: list[Any] = [dl.GeoJSON(data={"type": "FeatureCollection", "features": feats},
                                    style={"color": "#7b8790", "weight": 1, "fillOpacity": 0.03})]
    shown = [r for r in rows[:MAP_MAX] if r["lon"] == r["lon"] and r["lon"] is not None]
    top = max((int(r["max_in_window"]) for r in shown), default=1)
    points = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(r["lon"]), float(r["lat"])]},
               "properties": {"i": i, "r": 5 + 9 * int(r["max_in_window"]) / top,
                              "tooltip": markup.tooltip(f"{r['label']}:",
                                                        ctx.t("hotline.max_window", n=int(r["max_in_window"])))}}
              for i, r in enumerate(shown)]
    layers.append(dl.GeoJSON(id=HOT_LAYER, data={"type": "FeatureCollection", "features": points},
                             pointToLayer={"variable": "cityVitalsHotline.hotPoint"}))
    if not lons:
        lons, lats = [float(r["lon"]) for r in shown], [float(r["lat"]) for r in shown]
    center = [(min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2] if lons else [31.15, 121.1]
    span = max(max(lats) - min(lats), max(lons) - min(lons)) if lons else 0.3
    zoom = 14 if span < 0.02 else 13 if span < 0.05 else 12 if span < 0.12 else 11 if span < 0.25 else 10
    return html.Div([
        dcc.Store(id=HOT_ACTIONS, data=[r["href"] for r in shown]),
        dl.Map(layers, center=center, zoom=zoom, id=HOT_MAP_ID, attributionControl=False, className="cv-map",
               style={"height": "380px", "width": "100%", "background": "#f4f6f8"}),
    ])


def rule_controls(ctx: Ctx, rule: HX.HotspotRule) -> html.Div:
    """Two number fields of the filter bar's kind (the shared filter callback writes them to the URL)."""
    def field(name: str, value: int, bounds: tuple[int, int]) -> html.Label:
        return html.Label([html.Span(ctx.t(f"hotline.{name}"), className="cv-filter-label"),
                           dcc.Input(id={"type": "cv-filter", "page": PAGE, "field": name}, type="number",
                                     value=value, min=bounds[0], max=bounds[1], step=1, debounce=True,
                                     style={"width": "5em"})], className="cv-filter-field")

    return html.Div([field("hot_n", rule.min_count, HOT_N), field("hot_m", rule.within_days, HOT_M)],
                    className="cv-hot-rule", style={"display": "flex", "gap": "12px"})


def place_switch(ctx: Ctx, place: str, rule: HX.HotspotRule) -> html.Div:
    def link(kind: str) -> Any:
        label = ctx.t(f"hotline.place.{kind}")
        if kind == place:
            return html.B(label)
        return dcc.Link(label, href=_href(ctx, drill=None, extra={"sel": "unit" if kind == "unit" else None}))

    return html.Div([rule_controls(ctx, rule), link("cell"), html.Span(" | "), link("unit")], className="cv-muted")


def banner(ctx: Ctx) -> html.Div | None:
    """The drill in force and how many orders it lists (also validates it: a bad drill is a message)."""
    if ctx.state.drill is None:
        return None
    n = HX.drill_count(ctx.con, ctx.query, ctx.state.drill)
    what = drill_label(ctx, ctx.state.drill)
    return html.Div([html.Span(f"{ctx.t('drill.active')}: {what} · {ctx.t('hotline.drilled', n=n)} "),
                     dcc.Link(ctx.t("drill.clear"), href=_href(ctx, drill=None))],
                    className="cv-drill-banner", id=f"{PAGE}-drill")


def render(ctx: Ctx) -> list[Any]:
    place = _place(ctx)
    # one scan: the KPIs (only the order count shows its previous value) and the trend's current month
    vals, live = HX.kpis_and_month(ctx.con, ctx.query, live_month(ctx), overrides=data.metrics_config())
    counts = HX.category_counts(ctx.con, ctx.query)
    rule = _rule(ctx, place)
    hot = HX.hotspots(ctx.con, ctx.query, rule)
    hot_rows = hotspot_rows(ctx, hot, place)
    scope = ctx.scope_title()
    cat_title = (f"{ctx.t('hotline.subcategories')}: {ctx.state.category}" if ctx.state.category
                 else ctx.t("hotline.categories"))
    return [
        html.H1([data.hotline_name("en" if ctx.en else "zh"), html.Span(scope, className="cv-scope")]),
        bar(ctx),
        banner(ctx),
        kpis(ctx, vals),
        html.Div([
            F.panel(ctx.t("hotline.rates"), F.graph(PAGE, "rates", rates_figure(ctx, vals))),
            F.panel(ctx.t("hotline.trend"), F.graph(PAGE, "trend", trend_figure(ctx, live))),
            F.panel(cat_title, F.graph(PAGE, "category", category_figure(ctx, counts))),
        ], className="cv-panels"),
        html.Div([
            F.panel(f"{ctx.t('hotline.hotspots')} · {ctx.t('hotline.rule', n=rule.min_count, m=rule.within_days)} "
                    f"({len(hot):,})", place_switch(ctx, place, rule),
                    hotspot_list(ctx, hot_rows, len(hot))),
            F.panel(ctx.t("hotline.map"), hotspot_map(ctx, hot_rows)),
        ], className="cv-panels", style={"gridTemplateColumns": "minmax(360px, 1fr) 2fr", "marginTop": "10px"}),
        F.panel(ctx.t("hotline.table"), paged_grid(PAGE, "hotline_orders", explore.HOTLINE_COLUMNS,
                                                   HEADERS_EN if ctx.en else HEADERS,
                                                   ctx.state.search(**ctx.extra), total_label=ctx.t("rows.total"),
                                                   ref_data=hotline_ref_data(ctx), en=ctx.en)),
        detail_view.container(PAGE, ctx),
    ]
