"""The cases page (案件分析): trend vs the previous period, categories, hour × weekday, handling time, proactive
share, urgent breaches, a map (unit choropleth + clustered points) and the server-paged case table.

Clicking a category bar, a unit bar or a map unit cross-filters the page; clicking a trend day, a heat
map cell or a handling-time bar drills the table to exactly the rows behind it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from dash import html

import metrics
from dashboard import data
from dashboard.components import detail_view, period_text
from dashboard.components import figures as F
from dashboard.components.code_labels import CASE_GRID_COLUMNS, case_ref_data, labelled
from dashboard.components.drill_labels import drill_label
from dashboard.components.grid import case_headers, paged_grid
from dashboard.components.maps import unit_map, unit_shapes
from dashboard.components.page import Ctx
from dashboard.filters import filter_bar
from metrics import explore
from metrics.case_panels import case_panels
from metrics.stations import breach_totals

PAGE = "cases"


def bar(ctx: Ctx, page: str, *, case_filters: bool = True) -> html.Div:
    """The filter bar of the case pages; ``case_filters=False`` for pages that filter by unit and period
    only (sensors, staffing)."""
    opts = data.per_snapshot("pages.filter_options", explore.filter_options)
    return filter_bar(page, ctx.state, ctx.units, opts["category"], labelled("source", opts["source"], ctx.en),
                      labelled("status", opts["status"], ctx.en), ctx.t,
                      today=data.view_anchor(ctx.state.period), case_filters=case_filters, lang=ctx.lang,
                      level_label=ctx.picker_label)


def drill_banner(ctx: Ctx, page: str) -> html.Div | None:
    if ctx.state.drill is None:
        return None
    return html.Div([html.Span(f"{ctx.t('drill.active')}: {drill_label(ctx, ctx.state.drill)}"),
                     html.A(ctx.t("drill.clear"), href=f"/{page}{ctx.state.with_(drill=None).search(**ctx.extra)}")],
                    className="cv-drill-banner", id=f"{page}-drill")


def as_of(ctx: Ctx) -> datetime:
    """The instant 'now' of the data: the warehouse's recorded now, else the site's clock (earlier wins)."""
    recorded = data.data_now()
    now = data.view_now()
    return min(now, recorded) if recorded else now


def trend_figure(ctx: Ctx, cur: pd.DataFrame, prev: pd.DataFrame) -> F.Figure:
    if cur.empty and prev.empty:
        return F.empty(ctx.t("page.no_data"))
    p = ctx.query.period
    # the line stops at the data's now: days still to come are not zero-case days
    now = as_of(ctx)
    last = min(p.end, now) - pd.Timedelta(seconds=1)
    days = pd.date_range(p.start, max(last, p.start), freq="D")
    # the data's now falls inside the last day: that day is counted so far, not whole (open marker)
    partial = F.running(days[-1], days[-1] + pd.Timedelta(days=1), now) and now != days[-1]
    cur_s = dict(zip(cur["key"], cur["cases"], strict=True))
    pstart = ctx.query.previous().period.start
    prev_s = dict(zip(prev["key"], prev["cases"], strict=True))
    x = [d.strftime("%Y-%m-%d") for d in days]
    # days before the data begins have no value, not zero cases (a year view of a warehouse loaded
    # from last November drew the previous year as a flat zero line)
    first = data.data_start("cases")
    since = f"{first:%Y-%m-%d}" if first is not None else ""
    y = [int(cur_s.get(k, 0)) if k >= since else None for k in x]
    prev_days = [(pstart + (d - p.start)).strftime("%Y-%m-%d") for d in days]
    yp = [int(prev_s.get(k, 0)) if k >= since else None for k in prev_days]
    cur_trace = {"type": "scatter", "x": x, "y": y, "name": ctx.t("cases.current"), "mode": "lines+markers",
                 "line": {"color": "#1f77b4"}, "customdata": [f"drill=day:{k}" for k in x],
                 "hovertemplate": "%{x}: %{y}<extra></extra>"}
    # the data's now falls inside the last day: that day is counted so far (dashed, labelled 未满期)
    shown = F.partial_line(cur_trace, ctx.t("page.partial"),
                           f"{ctx.t('page.partial')} · {ctx.t('cases.partial_day', t=f'{now:%H:%M}')}") \
        if partial else [cur_trace]
    return F.fig([
        {"type": "scatter", "x": x, "y": yp, "mode": "lines",
         # a running month's overlay is the same days of the month before (上月同期), not "上期"
         "name": period_text.previous_name(p, ctx.lang) if p.partial else ctx.t("cases.previous"),
         "line": {"color": "#aab4be", "dash": "dot"}, "hoverinfo": "skip"}, *shown,
    ], showlegend=True, legend={"orientation": "h", "y": 1.1})


def category_figure(df: pd.DataFrame, no_data: str) -> F.Figure:
    df = df.head(15)
    if df.empty:
        return F.empty(no_data)
    df = df.iloc[::-1]
    return F.fig([{"type": "bar", "x": df["cases"].tolist(), "y": df["label"].tolist(), "orientation": "h",
                   "marker": {"color": "#3182bd"}, "customdata": [f"category={k}" for k in df["key"]],
                   "text": df["cases"].tolist(), "textposition": "auto"}], 320,
                 margin={"l": 120, "r": 12, "t": 8, "b": 28})


def unit_figure(ctx: Ctx, df: pd.DataFrame, level: str) -> F.Figure:
    if df.empty:
        return F.empty(ctx.t("page.no_data"))
    df = df.head(20).iloc[::-1]
    action = "unit" if level != "village" or ctx.state.unit is None else "drill"
    custom = [f"unit={k}" if action == "unit" else f"drill=unit:{k}" for k in df["key"]]
    return F.fig([{"type": "bar", "x": df["cases"].tolist(), "y": df["label"].tolist(), "orientation": "h",
                   "marker": {"color": "#6baed6"}, "customdata": custom, "text": df["cases"].tolist(),
                   "textposition": "auto"}], 320,
                 margin={"l": 120, "r": 12, "t": 8, "b": 28})


# more cases = darker (plotly's named "Blues" runs dark → light: busy hours showed as the palest cells)
HEAT_SCALE = [[0.0, "#f7fbff"], [0.25, "#c6dbef"], [0.5, "#6baed6"], [0.75, "#2171b5"], [1.0, "#08306b"]]


def heat_figure(ctx: Ctx, df: pd.DataFrame) -> F.Figure:
    # no case in the period: say so (an all-blank heat map drew a solid block with a −0.4…0.4 scale)
    if df.empty or not df["cases"].fillna(0).astype("float64").any():
        return F.empty(ctx.t("page.no_data"))
    cells = zip(df["dow"].tolist(), df["hour"].tolist(), strict=True)
    got = dict(zip(cells, df["cases"].tolist(), strict=True))
    z = [[got.get((d, h)) for h in range(24)] for d in range(7)]
    custom = [[f"drill=hour_dow:{h}:{d}" for h in range(24)] for d in range(7)]
    return F.fig([{"type": "heatmap", "z": z, "x": list(range(24)),
                   "y": ctx.t("cases.weekdays").split(","), "customdata": custom, "colorscale": HEAT_SCALE,
                   "hovertemplate": f"%{{y}} %{{x}}{ctx.t('cases.hour')}: %{{z}}<extra></extra>"}],
                 yaxis={"autorange": "reversed"})


def handling_figure(df: pd.DataFrame, no_data: str) -> F.Figure:
    if df["cases"].sum() == 0:
        return F.empty(no_data)
    labels = [f"{lo:g}–{hi:g}" if hi == hi and hi else f"≥{lo:g}" for lo, hi in zip(df["lo"], df["hi"], strict=True)]
    return F.fig([{"type": "bar", "x": labels, "y": df["cases"].tolist(), "marker": {"color": "#08519c"},
                   "customdata": [f"drill=hours:{lo:g}" for lo in df["lo"]]}])


KPI_IDS = ("registered", "proactive_rate", "closure_rate", "handling_p50", "urgent_arrival_rate",
           "urgent_result_rate", "overdue_backlog")


def kpis(ctx: Ctx) -> html.Div:
    # one scan; only 立案数 shows its previous value, so only it costs previous-period work
    vals = metrics.indicator_values(ctx.con, KPI_IDS, ctx.query, previous=["registered"], now=data.data_now(),
                                    overrides=data.metrics_config())
    arrival, result = breach_totals(vals)

    def name(k: str) -> str:
        return vals[k].name_en if ctx.en else vals[k].name_zh

    def tile(label: str, text: str, target: str = "") -> html.Div:
        return html.Div([html.Div(label, className="cv-kpi-label"), html.Div(text, className="cv-kpi-value"),
                         html.Div(target, className="cv-kpi-target")], className="cv-kpi")

    def rate(k: str) -> tuple[str, str, str]:
        v = vals[k]
        return name(k), F.pct(v.value), f"{ctx.t('cases.target')} {F.pct(v.target)}" if v.target is not None else ""

    return html.Div([
        tile(name("registered"), F.num(vals["registered"].value),
             ctx.previous_text("cases", F.num(vals["registered"].previous_value))),
        tile(*rate("proactive_rate")), tile(*rate("closure_rate")),
        tile(name("handling_p50"), F.num(vals["handling_p50"].value) + " h"),
        tile(*rate("urgent_arrival_rate")), tile(*rate("urgent_result_rate")),
        tile(ctx.t("cases.breaches"), f"{arrival:,} / {result:,}", ctx.t("cases.breaches_note")),
        tile(name("overdue_backlog"), F.num(vals["overdue_backlog"].value)),
    ], className="cv-kpis", id="cases-kpis")


def render(ctx: Ctx) -> list[Any]:
    panels = case_panels(ctx.con, ctx.query)
    units = panels.units
    level = panels.level
    codes = ctx.units.loc[(ctx.units["level"] == level) & (
        ctx.units["parent_code"] == ctx.state.unit if ctx.state.unit else ctx.units["level"] == level), "unit_code"]
    shapes = unit_shapes(list(codes))
    points = explore.case_points(ctx.con, ctx.query, 3000, now=data.data_now())
    scope = ctx.scope_title()
    no_data = ctx.t("page.no_data")
    return [
        html.H1([ctx.t("cases.title"), html.Span(scope, className="cv-scope")]),
        bar(ctx, PAGE),
        drill_banner(ctx, PAGE),
        kpis(ctx),
        # 立案数 and the panels count different rows on purpose; say so where a reader compares them
        html.P(ctx.t("cases.basis"), className="cv-muted cv-basis", id="cases-basis"),
        html.Div([
            F.panel(ctx.t("cases.trend"), F.graph(PAGE, "trend", trend_figure(ctx, panels.trend, panels.previous)),
                    cls="cv-wide"),
            F.panel(ctx.t("cases.categories"), F.graph(PAGE, "category", category_figure(panels.categories, no_data))),
            F.panel(ctx.t("cases.units"), F.graph(PAGE, "unit", unit_figure(ctx, units, level))),
            F.panel(ctx.t("cases.map"), unit_map(PAGE, shapes, dict(zip(units["key"], units["cases"], strict=True)),
                                                 points)),
            F.panel(ctx.t("cases.heat"), F.graph(PAGE, "heat", heat_figure(ctx, panels.heat))),
            F.panel(ctx.t("cases.handling"), F.graph(PAGE, "handling", handling_figure(panels.handling, no_data))),
        ], className="cv-panels"),
        F.panel(ctx.t("cases.table"), paged_grid(PAGE, "cases", CASE_GRID_COLUMNS, case_headers(ctx.en),
                                                 ctx.state.search(), total_label=ctx.t("rows.total"),
                                                 ref_data=case_ref_data(ctx), en=ctx.en)),
        detail_view.container(PAGE, ctx),
    ]
