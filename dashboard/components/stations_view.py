"""The liaison stations page (联勤联动工作站): each station's closure rate against the 85% line, how many
meet it, the monthly trend, cases by category and department, open and overdue cases; ``sel=`` shows one
station (its trend, categories and overdue cases)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from dash import html

import metrics
from dashboard import access
from dashboard.components import figures as F
from dashboard.components.page import Ctx
from metrics import explore
from metrics.explore import Drill

PAGE = "stations"


def render(ctx: Ctx) -> list[Any]:
    sc = metrics.station_closure(ctx.con, ctx.query)
    df = sc.stations.sort_values("value", na_position="last")
    target = float(df["target"].dropna().iloc[0]) if df["target"].notna().any() else 0.85
    colors = ["#aab4be" if pd.isna(m) else "#1b7f3b" if bool(m) else "#b02a37" for m in df["meets_target"]]
    closure = F.fig([
        {"type": "bar", "x": df["name"].tolist(), "y": [None if v != v else float(v) for v in df["value"]],
         "marker": {"color": colors}, "customdata": [f"sel={k}" for k in df["key"]],
         "text": [f"{F.pct(v)} ({F.num(n)}/{F.num(d)})" for v, n, d in
                  zip(df["value"], df["numerator"], df["denominator"], strict=True)], "textposition": "outside"},
    ], 320, yaxis={"tickformat": ".0%", "range": [0, 1.1]},
        shapes=[{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": target, "y1": target,
                 "line": {"color": "#b02a37", "dash": "dash"}}])
    sel = ctx.extra.get("sel")
    trend = metrics.station_trend(ctx.con, ctx.query, 12, by_station=bool(sel))
    if sel:
        trend = trend[trend["key"] == sel]
    tfig = F.fig([{"type": "scatter", "mode": "lines+markers", "x": [str(m) for m in trend["month"]],
                   "y": [None if v != v else float(v) for v in trend["value"].astype("float64")]}], 240,
                 yaxis={"tickformat": ".0%"})
    drill = Drill("station", sel) if sel else None
    q = ctx.query
    cats = explore.case_counts(ctx.con, q, "major", drill)
    depts = explore.case_counts(ctx.con, q, "department", drill)
    overdue, n_overdue = explore.overdue_cases(ctx.con, q, drill, 20)
    overdue = access.mask_rows(overdue)
    if sel is None:
        overdue = overdue[overdue["station_code"].notna()]

    def hbar(d: Any) -> F.Figure:
        d = d.head(12).iloc[::-1]
        return F.fig([{"type": "bar", "orientation": "h", "x": d["cases"].tolist(), "y": d["label"].tolist()}], 260,
                     margin={"l": 110, "r": 12, "t": 8, "b": 28}) if len(d) else F.empty()

    title = f"{ctx.t('stations.title')} · {sel}" if sel else ctx.t("stations.title")
    return [
        html.H1(title),
        html.Div([
            html.Div([html.Div(ctx.t("stations.meeting"), className="cv-kpi-label"),
                      html.Div(f"{sc.meeting_target} / {sc.stations_with_value}", className="cv-kpi-value",
                               id="stations-meeting"),
                      html.Div(f"共 {sc.stations_total} 站 · 目标 {F.pct(target)}", className="cv-kpi-target")],
                     className="cv-kpi"),
            html.Div([html.Div(sc.district.name_zh, className="cv-kpi-label"),
                      html.Div(F.pct(sc.district.value), className="cv-kpi-value")], className="cv-kpi"),
        ], className="cv-kpis"),
        html.Div([
            F.panel(ctx.t("stations.closure"), F.graph(PAGE, "closure", closure), cls="cv-wide"),
            F.panel(ctx.t("stations.trend"), F.graph(PAGE, "trend", tfig)),
            F.panel(ctx.t("stations.category"), F.graph(PAGE, "category", hbar(cats))),
            F.panel(ctx.t("stations.department"), F.graph(PAGE, "department", hbar(depts))),
            F.panel(f"{ctx.t('stations.open')} ({n_overdue:,})", html.Ul(
                [html.Li(f"{r.case_id} · {r.station_code} · {r.category_code} · 时限 {r.deadline_at:%Y-%m-%d}")
                 for r in overdue.itertuples()], className="cv-overdue")),
        ], className="cv-panels"),
        html.A("全部站点", href="/stations") if sel else None,
    ]
