"""The liaison stations page (联勤联动工作站): each station's closure rate against its target, how many
meet it, the monthly trend, station cases by category and department, open and overdue cases.

The shared filter bar (unit, period, category, source, urgency, status) narrows every panel; ``sel=``
picks one station (every panel then shows that station). Clicking a month of the trend drills
(``drill=due_month:YYYY-MM[:station]``) into a server-paged table of exactly the station cases due that
month — the denominator of that month's rate — and the category/department panels follow the drill.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd
from dash import html

import metrics
from dashboard import access, data
from dashboard.components import figures as F
from dashboard.components.cases_view import as_of, bar
from dashboard.components.code_labels import CASE_GRID_COLUMNS, case_ref_data, code_name
from dashboard.components.grid import case_headers, paged_grid
from dashboard.components.page import Ctx
from metrics import explore
from metrics.case_panels import category_department_counts
from metrics.explore import DUE_MONTH, Drill
from metrics.query import QueryError

PAGE = "stations"
GREEN, RED, GREY, FADED = "#1b7f3b", "#b02a37", "#aab4be", "#dfe3e8"


def _drill(ctx: Ctx) -> Drill | None:
    d = ctx.state.drill
    if d is not None and d.kind != DUE_MONTH:
        raise QueryError(f"cannot drill into {d.text()!r} on this page (use a month of the trend)")
    return d


def closure_figure(df: pd.DataFrame, target: float | None, sel: str | None, no_data: str) -> F.Figure:
    # stations with no case due in scope have no rate: listed in the KPI's total, not as empty bars
    df = df[df["denominator"].fillna(0).gt(0) | df["key"].eq(sel)]
    if df.empty:
        return F.empty(no_data)
    colors = [GREY if pd.isna(m) else GREEN if bool(m) else RED for m in df["meets_target"]]
    if sel:  # the chosen station stands out, the others stay for comparison
        colors = [c if k == sel else FADED for c, k in zip(colors, df["key"], strict=True)]
    names = df["name"].tolist()
    many = len(df) > 15
    return F.fig([
        {"type": "bar", "x": df["key"].tolist(), "y": [None if v != v else float(v) for v in df["value"]],
         "marker": {"color": colors}, "customdata": [f"sel={k}" for k in df["key"]], "hovertext": names,
         "text": [f"{F.pct(v)} ({F.num(n)}/{F.num(d)})" for v, n, d in
                  zip(df["value"], df["numerator"], df["denominator"], strict=True)],
         # beyond ~15 bars the outside labels shrink to unreadable specks: then on hover only
         "textposition": "none" if many else "outside", "hovertemplate": "%{hovertext}<br>%{text}<extra></extra>"},
    ], 340, yaxis={"tickformat": ".0%", "range": [0, 1.1]},
        # 43 full names overlapped into an unreadable band: with many bars the ticks drop the suffix every
        # name shares ("…联勤联动工作站")
        xaxis=F.name_ticks(df["key"].tolist(), names, many),
        shapes=[] if target is None else [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": target,
                                           "y1": target, "line": {"color": RED, "dash": "dash"}}])


def trend_figure(trend: pd.DataFrame, sel: str | None, drill: Drill | None, no_data: str,
                 partial: str | None = None) -> F.Figure:
    """Monthly rate; each point carries its drill (the month's due station cases, of ``sel`` if chosen).
    ``partial``: the label of a running last month (drawn apart, ``figures.partial_line``)."""
    if trend.empty:
        return F.empty(no_data)
    months = [f"{m:%Y-%m}" for m in trend["month"]]
    suffix = f":{sel}" if sel else ""
    chosen = drill.value.split(":", 1)[0] if drill else None
    line = {
        "type": "scatter", "mode": "lines+markers", "x": months,
        "y": [None if v != v else float(v) for v in trend["value"].astype("float64")],
        "customdata": [f"drill={DUE_MONTH}:{m}{suffix}" for m in months],
        "text": [f"{F.num(n)}/{F.num(d)}" for n, d in zip(trend["numerator"], trend["denominator"], strict=True)],
        "hovertemplate": "%{x}: %{y:.1%} (%{text})<extra></extra>",
        "marker": {"size": [14 if m == chosen else 8 for m in months]}, "line": {"color": "#1f77b4"},
    }
    traces = F.partial_line(line, partial) if partial else [line]
    # automargin: the last month's angled tick ("2026-12") was cut at the panel's right edge at 1366 px
    return F.fig(traces, 240, yaxis={"tickformat": ".0%"}, xaxis={"type": "category", "automargin": True},
                 showlegend=bool(partial), legend={"orientation": "h", "y": 1.15})


def trend_of(q: Any, sel: str | None) -> pd.DataFrame:
    """The 12-month trend, kept per snapshot and per (scope, filters, last month, station): only a load
    changes it, and it is the page's largest read (station cases of 12 months). Read-only for callers."""
    last = (q.period.end - timedelta(seconds=1)).strftime("%Y-%m")
    key = f"stations.trend:{q.unit}:{q.category}:{q.source}:{q.urgency}:{q.status}:{last}:{sel or ''}"
    cfg = data.metrics_config()
    return data.per_snapshot(key, lambda con: metrics.station_trend(con, q, 12, by_station=bool(sel), station=sel,
                                                                    overrides=cfg))


def hbar(d: pd.DataFrame, no_data: str) -> F.Figure:
    d = d.head(12).iloc[::-1]
    return F.fig([{"type": "bar", "orientation": "h", "x": d["cases"].tolist(), "y": d["label"].tolist(),
                   "text": d["cases"].tolist(), "textposition": "auto"}], 260,
                 margin={"l": 110, "r": 12, "t": 8, "b": 28}) if len(d) else F.empty(no_data)


def banner(ctx: Ctx, drill: Drill | None) -> html.Div | None:
    if drill is None:
        return None
    month, _, station = drill.value.partition(":")
    text = f"{ctx.t('drill.active')}: {month} {ctx.t('stations.table')}" + (f" · {station}" if station else "")
    return html.Div([html.Span(text),
                     html.A(ctx.t("drill.clear"), href=f"/{PAGE}{ctx.state.with_(drill=None).search(**ctx.extra)}")],
                    className="cv-drill-banner", id=f"{PAGE}-drill")


def _kpi(label: str, value: str, note: str = "", kid: str | None = None) -> html.Div:
    v = html.Div(value, className="cv-kpi-value", id=kid) if kid else html.Div(value, className="cv-kpi-value")
    return html.Div([html.Div(label, className="cv-kpi-label"), v, html.Div(note, className="cv-kpi-target")],
                    className="cv-kpi")


def render(ctx: Ctx) -> list[Any]:
    q = ctx.query
    sel = ctx.extra.get("sel") or None
    drill = _drill(ctx)
    # the page shows no previous values
    sc = metrics.station_closure(ctx.con, q, previous=False, overrides=data.metrics_config())
    df = sc.stations.sort_values("value", na_position="last")
    if sel and sel not in set(df["key"]):
        raise QueryError(f"unknown station {sel!r} in this scope")
    target = sc.district.target  # the declared target with the site's override
    trend = trend_of(q, sel)
    if sel:
        trend = trend[trend["key"] == sel]
    # without a station the panels count station cases only (any station); a month drill narrows further
    scope = drill or Drill("station", sel or "*")
    cats, depts = category_department_counts(ctx.con, q, scope)  # one scan for both panels
    overdue, n_overdue = explore.overdue_cases(ctx.con, q, Drill("station", sel or "*"), 20, now=data.data_now(),
                                               kept=data.open_overdue())
    overdue = access.mask_rows(overdue)
    name = dict(zip(df["key"], df["name"], strict=True)).get(sel, sel) if sel else None
    if sel:
        row = df[df["key"] == sel].iloc[0]
        head = _kpi(ctx.t("stations.rate"), F.pct(row["value"]),
                    f"{F.num(row['numerator'])}/{F.num(row['denominator'])} · {ctx.t('cases.target')} {F.pct(target)}",
                    "stations-rate")
    else:
        head = _kpi(sc.district.name_en if ctx.en else sc.district.name_zh, F.pct(sc.district.value),
                    f"{F.num(sc.district.numerator)}/{F.num(sc.district.denominator)}", "stations-rate")
    title = f"{ctx.t('stations.title')} · {name}" if sel else ctx.t("stations.title")
    deadline = ctx.t("stations.deadline")
    table = (F.panel(f"{ctx.t('stations.table')} · {drill.value}",
                     paged_grid(PAGE, "cases", CASE_GRID_COLUMNS, case_headers(ctx.en),
                                ctx.state.search(**ctx.extra), total_label=ctx.t("rows.total"),
                                ref_data=case_ref_data(ctx), en=ctx.en),
                     cls="cv-wide")
             if drill else html.P(ctx.t("stations.drill_hint"), className="cv-muted", id="stations-drill-hint"))
    no_data = ctx.t("page.no_data")
    return [
        html.H1([title, html.Span(ctx.scope_title(), className="cv-scope")]),
        bar(ctx, PAGE),
        banner(ctx, drill),
        html.Div([
            _kpi(ctx.t("stations.meeting"), f"{sc.meeting_target} / {sc.stations_with_value}",
                 # stations without a case due in scope have no rate: say how many have one
                 ctx.t("stations.meeting_note", total=sc.stations_total, due=sc.stations_with_value,
                       meeting=sc.meeting_target, target=F.pct(target)), "stations-meeting"),
            head,
        ], className="cv-kpis"),
        html.Div([
            F.panel(ctx.t("stations.closure", target=F.pct(target)),
                    F.graph(PAGE, "closure", closure_figure(df, target, sel, no_data)),
                    cls="cv-wide"),
            F.panel(ctx.t("stations.trend"), F.graph(PAGE, "trend", trend_figure(
                trend, sel, drill, no_data,
                ctx.t("page.partial") if F.last_running(list(trend["month"]), as_of(ctx), "month") else None))),
            F.panel(ctx.t("stations.category"), F.graph(PAGE, "category", hbar(cats, no_data))),
            F.panel(ctx.t("stations.department"), F.graph(PAGE, "department", hbar(depts, no_data))),
            F.panel(f"{ctx.t('stations.open')} ({n_overdue:,})", html.Ul(
                [html.Li(f"{r.case_id} · {code_name('station_code', r.station_code)} · "
                         f"{code_name('category_code', r.category_code)} · {deadline} {r.deadline_at:%Y-%m-%d}")
                 for r in overdue.itertuples()], className="cv-overdue")),
        ], className="cv-panels"),
        table,
        html.A(ctx.t("stations.all"), href=f"/{PAGE}{ctx.state.with_(drill=None).search(lang=ctx.extra.get('lang'))}")
        if sel else None,
    ]
