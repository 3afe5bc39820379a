"""Big-screen panel builders: plain values in, Dash components / Plotly figures out. No reads here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import html

from dashboard.i18n import age_text, t
from dashboard.screen.model import MapView, RankingView, StationsView, VitalsView
from metrics import status
from metrics.feed import Backlog

FONT = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, Microsoft YaHei, sans-serif"
FG = "#d8e6f5"
MUTED = "#7f93aa"
GRID = "rgba(127,147,170,.18)"
OK, WARN, BAD = "#2bd17e", "#f2b632", "#ff5a4e"
ACCENT = "#35c2ff"


def _fmt(value: float | None, digits: int = 0, pct: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%" if pct else f"{value:,.{digits}f}"


def empty_note(text: str) -> html.Div:
    return html.Div(text, className="scr-empty")


# --- header -------------------------------------------------------------------------------------


def freshness(items: Sequence[status.Freshness], lang: str) -> list[Any]:
    chips = []
    for f in items:
        chips.append(html.Span(
            [html.Span(t(f"source.{f.key}", lang), className="scr-chip-name"),
             html.Span(age_text(f.age_minutes, lang) if f.rows else t("fresh.empty", lang), className="scr-chip-age"),
             *([html.Span(t("fresh.stale", lang), className="scr-stale")] if f.state == "stale" else [])],
            className=f"scr-chip is-{f.state}", title=t(f"fresh.{f.state}", lang),
        ))
    return chips


# --- vital signs --------------------------------------------------------------------------------


def _delta(delta: float | None) -> html.Span:
    if delta is None:
        return html.Span("", className="scr-delta")
    arrow = "▲" if delta > 0 else ("▼" if delta < 0 else "■")
    return html.Span(f"{arrow} {abs(delta):.2f}", className="scr-delta " + ("up" if delta > 0 else "down"))


def vitals(view: VitalsView, lang: str) -> list[Any]:
    overall = html.Div(
        [html.Div(t("scr.overall", lang), className="scr-score-label"),
         html.Div(_fmt(view.overall, 2),
                  className="scr-score-value"),
         _delta(view.delta)],
        className=f"scr-score is-{view.status}",
    )
    tiles = [
        html.Div([html.Div(d.label, className="scr-tile-label"),
                  html.Div(_fmt(d.score, 2), className="scr-tile-value"),
                  _delta(d.delta)],
                 className=f"scr-tile is-{d.status}")
        for d in view.dimensions
    ]
    return [overall, html.Div(tiles, className="scr-tiles")]


# --- figures ------------------------------------------------------------------------------------


def _layout(fig: go.Figure, u: float, **kw: Any) -> go.Figure:
    base: dict[str, Any] = {
        "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": FONT, "color": FG, "size": round(13 * u)},
        "margin": {"l": round(8 * u), "r": round(12 * u), "t": round(6 * u), "b": round(6 * u)},
        "showlegend": False, "uirevision": "screen",
    }
    fig.update_layout(**{**base, **kw})
    fig.update_xaxes(gridcolor=GRID, zeroline=False, automargin=True)
    fig.update_yaxes(gridcolor=GRID, zeroline=False, automargin=True)
    return fig


def stations_figure(view: StationsView, u: float, lang: str, n: int = 12) -> go.Figure:
    """Horizontal bars of the worst ``n`` rated stations against the 85% line."""
    rows = [r for r in view.rows if r.rate is not None][:n][::-1]
    colors = [OK if r.rate >= view.target else (WARN if r.rate >= view.target - 0.1 else BAD) for r in rows]
    fig = go.Figure(go.Bar(
        x=[r.rate for r in rows], y=[r.name for r in rows], orientation="h", marker_color=colors,
        text=[f"{r.rate * 100:.1f}%" for r in rows], textposition="inside", insidetextanchor="end",
        customdata=[[r.closed, r.due] for r in rows],
        hovertemplate="%{y}: %{x:.1%} (%{customdata[0]}/%{customdata[1]})<extra></extra>",
    ))
    fig.add_vline(x=view.target, line={"color": ACCENT, "width": max(1, round(2 * u)), "dash": "dash"},
                  annotation_text="85%", annotation_position="top", annotation_font_color=ACCENT)
    _layout(fig, u, bargap=0.25, margin={"l": round(8 * u), "r": round(12 * u), "t": round(22 * u), "b": round(6 * u)})
    fig.update_xaxes(range=[0, 1], tickformat=".0%")
    return fig


def hourly_figure(df: pd.DataFrame, u: float, lang: str) -> go.Figure:
    fig = go.Figure([
        go.Bar(x=df["hour"], y=df["today"], name=t("scr.hourly.today", lang), marker_color=ACCENT,
               hovertemplate="%{x}:00 %{y}<extra></extra>"),
        go.Scatter(x=df["hour"], y=df["typical"].round(1), name=t("scr.hourly.typical", lang), mode="lines",
                   line={"color": WARN, "width": max(1, round(2.5 * u)), "shape": "spline"},
                   hovertemplate="%{x}:00 %{y}<extra></extra>"),
    ])
    _layout(fig, u, bargap=0.2, showlegend=True,
            legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1.0, "yanchor": "bottom",
                    "font": {"size": round(12 * u)}})
    fig.update_xaxes(dtick=3, range=[-0.5, 23.5], ticksuffix=":00")
    return fig


def water_figure(df: pd.DataFrame, u: float, lang: str) -> go.Figure:
    df = df.iloc[::-1]
    ratio = df["ratio"].fillna(0)
    colors = [BAD if r >= 1 else (WARN if v >= (w if w == w else 1e9) else OK)
              for r, v, w in zip(ratio, df["value"], df["threshold_warning"], strict=True)]
    names = df["unit_en" if lang == "en" else "unit_zh"].fillna(df["name"])
    fig = go.Figure(go.Bar(
        x=df["value"], y=names, orientation="h", marker_color=colors,
        text=[f"{v:.2f} {m or ''}" for v, m in zip(df["value"], df["uom"], strict=True)], textposition="inside",
        hovertemplate="%{y}: %{x}<extra></extra>",
    ))
    alarm = df["threshold_alarm"].dropna()
    if not alarm.empty:
        fig.add_vline(x=float(alarm.median()), line={"color": BAD, "dash": "dash", "width": max(1, round(2 * u))},
                      annotation_text=t("scr.water.alarm", lang), annotation_position="top",
                      annotation_font_color=BAD)
    return _layout(fig, u, bargap=0.25,
                   margin={"l": round(8 * u), "r": round(12 * u), "t": round(22 * u), "b": round(6 * u)})


# --- lists and numbers --------------------------------------------------------------------------


def stations_summary(view: StationsView, lang: str) -> list[Any]:
    return [
        html.Span(t("scr.stations.meeting", lang, n=view.meeting, m=view.rated), className="scr-big-note"),
        html.Span(t("scr.stations.worst", lang) + "：" + "、".join(r.name for r in view.rows[:5] if r.rate is not None),
                  className="scr-worst"),
    ]


def ranking(view: RankingView, lang: str) -> list[Any]:
    def col(title: str, items: Sequence[tuple[str, float | None]], cls: str, start: int, step: int) -> html.Div:
        return html.Div([
            html.Div(title, className="scr-rank-title"),
            html.Ol([html.Li([html.Span(str(start + step * i), className="scr-rank-n"),
                              html.Span(name, className="scr-rank-name"),
                              html.Span(_fmt(score, 1), className="scr-rank-score")])
                     for i, (name, score) in enumerate(items)], className="scr-rank-list"),
        ], className=f"scr-rank-col {cls}")

    n = view.total or (len(view.top) + len(view.bottom))
    return [col(t("scr.ranking.top", lang), view.top, "is-top", 1, 1),
            col(t("scr.ranking.bottom", lang), view.bottom, "is-bottom", max(n, 1), -1)]


def feed(df: pd.DataFrame, lang: str) -> list[Any]:
    if df.empty:
        return [empty_note(t("scr.feed.empty", lang))]
    items = []
    for r in df.to_dict("records"):
        title = t(f"sensor.{r['title']}", lang) if r["kind"] == "alarm" else r["title"]
        if title.startswith("sensor."):
            title = r["title"]
        unit = r.get("unit_en") if lang == "en" and r.get("unit_en") else r.get("unit_zh")
        items.append(html.Li([
            html.Span(t(f"sev.{r['severity']}", lang), className=f"scr-sev is-{r['severity']}"),
            html.Span(f"{title} · {unit or ''}", className="scr-feed-text"),
            html.Span(t(f"state.{r['state']}", lang), className=f"scr-state is-{r['state']}"),
            html.Span(age_text(r["age_minutes"], lang), className="scr-age"),
        ], className=f"scr-feed-item is-{r['kind']}"))
    # The list is rendered twice so the CSS scroll loops without a jump.
    loop = len(items) > 6
    return [html.Div([html.Ul(items, className="scr-feed-list"),
                      *([html.Ul(items, className="scr-feed-list", **{"aria-hidden": "true"})] if loop else [])],
                     className="scr-feed-track" + (" is-scrolling" if loop else ""),
                     style={"--scr-feed-seconds": f"{max(20, 3 * len(items))}s"})]


def backlog(b: Backlog, lang: str, keys: Sequence[str] = ("open", "overdue", "urgent", "alarms")) -> list[Any]:
    values = {"open": b.open_cases, "overdue": b.overdue_cases, "urgent": b.open_urgent, "alarms": b.active_alarms,
              "hotline_open": b.open_hotline, "hotline_overdue": b.overdue_hotline}
    bad = {"overdue", "urgent", "alarms", "hotline_overdue"}
    return [html.Div([html.Div(f"{values[k]:,}", className="scr-kpi-value"),
                      html.Div(t(f"scr.backlog.{k}", lang), className="scr-kpi-label")],
                     className="scr-kpi" + (" is-bad" if k in bad and values[k] > 0 else ""))
            for k in keys]


def duty(df: pd.DataFrame, lang: str) -> list[Any]:
    name_col = "name_en" if lang == "en" else "name_zh"
    uncovered = int((df["on_duty"] == 0).sum()) if not df.empty else 0
    rows = [html.Tr([html.Td(r[name_col] or r["name_zh"]), html.Td(str(r["on_duty"]), className="num"),
                     html.Td(str(r["open_urgent"]), className="num" + (" is-bad" if r["open_urgent"] else "")),
                     html.Td(str(r["active_alarms"]), className="num" + (" is-bad" if r["active_alarms"] else ""))],
                    className="is-uncovered" if r["on_duty"] == 0 else "")
            for r in df.head(14).to_dict("records")]
    head = html.Tr([html.Th(t(f"scr.duty.{k}", lang)) for k in ("grid", "on_duty", "urgent", "alarms")])
    note = [html.Div(t("scr.duty.uncovered", lang, n=uncovered), className="scr-big-note is-bad")] if uncovered else []
    return [*note, html.Table([html.Thead(head), html.Tbody(rows)], className="scr-duty")]


def legend(view: MapView, indicator: str, lang: str) -> list[Any]:
    b = view.breaks
    labels = [f"< {b[0]:g}"] + [f"{b[i]:g}–{b[i + 1] - 1:g}" if b[i + 1] - 1 > b[i] else f"{b[i]:g}"
                                for i in range(len(b) - 1)] + [f"≥ {b[-1]:g}"]
    return [html.Div(t(f"ind.{indicator}", lang), className="scr-legend-title"),
            *[html.Div([html.Span(className="scr-swatch", style={"background": c}), html.Span(label)],
                       className="scr-legend-row") for c, label in zip(view.colors, labels, strict=True)],
            *([html.Div(t("scr.map.approx", lang), className="scr-legend-note")] if view.approximate else [])]


def unit_tooltip(props: dict[str, Any], lang: str) -> str:
    """HTML tooltip (Leaflet binds ``properties.tooltip``): the unit's key live figures."""
    rows = "".join(f"<tr><td>{t('ind.' + k, lang)}</td><td>{props.get(k, 0):,}</td></tr>"
                   for k in ("open_cases", "overdue_cases", "open_urgent", "active_alarms", "on_duty"))
    approx = f"<div class='scr-tt-note'>{t('scr.map.approx', lang)}</div>" if props.get("approximate") else ""
    return f"<div class='scr-tt'><b>{props.get('name', '')}</b><table>{rows}</table>{approx}</div>"
