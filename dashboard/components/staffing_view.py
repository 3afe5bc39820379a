"""The staffing page (力量配置): people on duty by sub-unit and shift (day / night / on call), on duty per
day, 责任网格 without night cover (a bar per grid, uncovered ones in red, and the list), and cases per
on-duty person by sub-unit. Clicking a unit bar or a grid cross-filters the page (``unit=``, shared
click callback). Only the unit and the period of the filter bar apply here."""

from __future__ import annotations

from typing import Any

import pandas as pd
from dash import dcc, html

from dashboard.components import figures as F
from dashboard.components.cases_view import bar
from dashboard.components.page import Ctx
from metrics import staffing_explore as TX

PAGE = "staffing"
KPIS_ID = "staffing-kpis"
NIGHT_LIST_ID = "staffing-night-list"
SHIFT_COLORS = {"day": "#f2b134", "night": "#2c3e73", "on_call": "#8c9bab"}


def _unit_action(key: str) -> str:
    return f"unit={key}"


def duty_figure(ctx: Ctx, df: pd.DataFrame) -> F.Figure:
    if df.empty or int(df["total"].sum()) == 0:
        return F.empty(ctx.t("page.no_data"))
    custom = [_unit_action(k) for k in df["key"]]
    traces = [{"type": "bar", "name": ctx.t(f"staffing.shift.{s}"), "x": df["label"].tolist(), "y": df[s].tolist(),
               "marker": {"color": SHIFT_COLORS[s]}, "customdata": custom} for s in TX.SHIFTS]
    return F.fig(traces, 300, barmode="group", showlegend=True, legend={"orientation": "h", "y": 1.12},
                 margin={"l": 48, "r": 12, "t": 12, "b": 70})


def daily_figure(ctx: Ctx) -> F.Figure:
    df = TX.duty_by_day(ctx.con, ctx.query)
    if df.empty:
        return F.empty(ctx.t("page.no_data"))
    wide = df.pivot(index="day", columns="shift", values="persons").fillna(0)
    x = [pd.Timestamp(d).strftime("%Y-%m-%d") for d in wide.index]
    return F.fig([{"type": "scatter", "mode": "lines+markers", "name": ctx.t(f"staffing.shift.{s}"), "x": x,
                   "y": [int(v) for v in wide[s]], "line": {"color": SHIFT_COLORS[s]}}
                  for s in TX.SHIFTS if s in wide.columns], 280, showlegend=True,
                 legend={"orientation": "h", "y": 1.12})


def night_figure(ctx: Ctx, gaps: pd.DataFrame, rostered: bool = True) -> F.Figure:
    """Night cover per grid, the worst first: one wide row of bars, like /stations' closure bars (a
    horizontal bar per grid made a panel 900 px tall beside two 300 px charts). ``rostered``: whether
    the period has any roster at all (without one, no grid is "uncovered": the data is missing)."""
    if gaps.empty or not rostered:
        return F.empty(ctx.t("page.no_data"))
    df = gaps.sort_values(["nights_uncovered", "key"], ascending=[False, True]).head(60)  # 60 still readable
    colors = ["#b02a37" if u else "#1b7f3b" for u in df["uncovered"]]
    share = [c / n if n else None for c, n in zip(df["nights_covered"], df["nights"], strict=True)]
    names = df["name"].tolist()
    many = len(df) > 15
    return F.fig([{"type": "bar", "x": df["key"].tolist(), "y": share, "hovertext": names,
                   "marker": {"color": colors}, "customdata": [_unit_action(k) for k in df["key"]],
                   "text": [f"{c}/{n}" for c, n in zip(df["nights_covered"], df["nights"], strict=True)],
                   "textposition": "none" if many else "auto",
                   "hovertemplate": "%{hovertext}: %{text}<extra></extra>"}],
                 300, yaxis={"tickformat": ".0%", "range": [0, 1.05]},
                 xaxis=F.name_ticks(df["key"].tolist(), names, many))


def workload_figure(ctx: Ctx, df: pd.DataFrame) -> F.Figure:
    d = df.dropna(subset=["cases_per_person"])
    if d.empty:
        return F.empty(ctx.t("page.no_data"))
    d = d.sort_values("cases_per_person").tail(25)
    return F.fig([{"type": "bar", "orientation": "h", "x": d["cases_per_person"].round(2).tolist(),
                   "y": d["label"].tolist(), "marker": {"color": "#6baed6"},
                   "customdata": [_unit_action(k) for k in d["key"]],
                   "text": [f"{F.num(v)} ({c:,}/{p:,})" for v, c, p in
                            zip(d["cases_per_person"], d["cases"], d["persons"], strict=True)],
                   "textposition": "auto"}], max(240, 22 * len(d) + 40), margin={"l": 120, "r": 12, "t": 8, "b": 28})


def _kpis(ctx: Ctx, duty: TX.Duty, gaps: pd.DataFrame, load: TX.Workload) -> html.Div:
    def tile(label: str, text: str, note: str = "") -> html.Div:
        return html.Div([html.Div(label, className="cv-kpi-label"), html.Div(text, className="cv-kpi-value"),
                         html.Div(note, className="cv-kpi-target")], className="cv-kpi")

    # no roster in the period: night cover is unknown, not "every grid uncovered every night"
    night = (f"{int(gaps['uncovered'].sum()):,} / {len(gaps):,}", ctx.t("staffing.nights_note")) if duty.total \
        else ("—", ctx.t("staffing.no_roster"))
    return html.Div([
        tile(ctx.t("staffing.persons"), F.num(duty.total),
             f"{ctx.t('staffing.shift.day')} {duty.day:,} · {ctx.t('staffing.shift.night')} {duty.night:,}"),
        tile(ctx.t("staffing.night"), *night),
        tile(ctx.t("staffing.load"), F.num(load.cases_per_person), f"{load.cases:,} / {load.persons:,}"),
    ], className="cv-kpis", id=KPIS_ID)


def _night_list(ctx: Ctx, gaps: pd.DataFrame, rostered: bool = True) -> html.Ul:
    if not rostered:
        return html.Ul([html.Li(ctx.t("staffing.no_roster"))], className="cv-overdue", id=NIGHT_LIST_ID)
    bad = gaps[gaps["uncovered"]]
    items = [html.Li([dcc.Link(str(r.name), href=f"/{PAGE}{ctx.state.with_(unit=str(r.key)).search()}"),
                      html.Span(f" · {r.nights_uncovered} / {r.nights} {ctx.t('staffing.nights_without')}",
                                className="cv-muted")]) for r in bad.itertuples()]
    return html.Ul(items or [html.Li(ctx.t("staffing.all_covered"))], className="cv-overdue", id=NIGHT_LIST_ID)


def render(ctx: Ctx) -> list[Any]:
    duty = TX.duty_by_unit(ctx.con, ctx.query)
    gaps = TX.night_gaps(ctx.con, ctx.query)
    load = TX.workload(ctx.con, ctx.query, duty)
    rostered = duty.total > 0
    scope = ctx.scope_title()
    return [
        html.H1([ctx.t("staffing.title"), html.Span(scope, className="cv-scope")]),
        bar(ctx, PAGE, case_filters=False),
        _kpis(ctx, duty, gaps, load),
        html.Div([
            F.panel(ctx.t("staffing.duty"), F.graph(PAGE, "duty", duty_figure(ctx, duty.by_unit))),
            F.panel(ctx.t("staffing.daily"), F.graph(PAGE, "daily", daily_figure(ctx))),
            F.panel(f"{ctx.t('staffing.night')}" + (f" ({int(gaps['uncovered'].sum()):,})" if rostered else ""),
                    _night_list(ctx, gaps, rostered)),
            F.panel(ctx.t("staffing.night_cover"), F.graph(PAGE, "night", night_figure(ctx, gaps, rostered)),
                    cls="cv-wide"),
            F.panel(ctx.t("staffing.load"), F.graph(PAGE, "load", workload_figure(ctx, load.by_unit)), cls="cv-wide"),
        ], className="cv-panels"),
    ]
