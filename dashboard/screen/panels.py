"""Big-screen panel builders: plain values in, Dash components / Plotly figures out. No reads here."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd
from dash import html

from dashboard import data
from dashboard.components import markup
from dashboard.components.period_text import span
from dashboard.components.rankings_model import PEER_EN, peer_label
from dashboard.i18n import age_text, lang_of, t, t_or
from dashboard.screen.model import Dimension, MapView, RankingView, RankItem, StationsView, VitalsView
from metrics import status
from metrics.feed import Backlog
from metrics.query import Period
from metrics.scores import GRADES

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


def freshness(items: Sequence[status.Freshness], lang: str, ended: datetime | None = None) -> list[Any]:
    """A chip per source with its age; for historical data (``ended``: where it ends) one chip saying
    so instead: ages of years measured from today would only say "stale" four times."""
    if ended is not None:
        return [html.Span(t("scr.data_ends", lang, d=f"{ended:%Y-%m-%d %H:%M}"), className="scr-chip is-ended",
                          title=t("scr.data_ends.title", lang))]
    chips = []
    for f in items:
        chips.append(html.Span(
            [html.Span(data.source_label(f.key, lang), className="scr-chip-name"),
             html.Span(age_text(f.age_minutes, lang) if f.rows else t("fresh.empty", lang), className="scr-chip-age"),
             *([html.Span(t("fresh.stale", lang), className="scr-stale")] if f.state == "stale" else [])],
            className=f"scr-chip is-{f.state}", title=t(f"fresh.{f.state}", lang),
        ))
    return chips


# --- vital signs --------------------------------------------------------------------------------


def _delta(delta: float | None, lang: str = "zh", pct: bool = False) -> html.Span:
    """Trend against the previous period; a change that rounds to 0.00 reads "flat", not "▼ 0.00"/"— 0".
    ``pct``: the change of a rate, in percentage points (0.012 → "▲ 1.2 个百分点")."""
    if delta is None:
        return html.Span("", className="scr-delta")
    if round(abs(delta) * (1000 if pct else 1), 2 if not pct else 0) == 0:
        return html.Span("＝ " + t("scr.trend.flat", lang), className="scr-delta flat")
    arrow = "▲" if delta > 0 else "▼"
    text = f"{abs(delta) * 100:.1f} {t('scr.pt', lang)}" if pct else f"{abs(delta):.2f}"
    return html.Span(f"{arrow} {text}", className="scr-delta " + ("up" if delta > 0 else "down"))


def _target(target: float | None) -> str:
    """97%, or 82.5% when a site sets a target between whole percents."""
    if target is None:
        return "—"
    return _fmt(target, 0 if round(target * 100, 6).is_integer() else 1, pct=True)


def vitals(view: VitalsView, lang: str) -> list[Any]:
    counts: dict[str, Any] = {"data-missed": str(view.missed), "data-scored": str(view.scored)}
    overall = html.Div(
        [html.Div(t("scr.overall", lang), className="scr-score-label"),
         html.Div(_fmt(view.overall, 2),
                  className="scr-score-value"),
         _delta(view.delta, lang),
         # a green mean can hide failing signs: say how many miss their target, beside the score
         html.Div(t("scr.missed", lang, n=view.missed, m=view.scored),
                  className="scr-score-missed " + ("is-bad" if view.missed else "is-good"),
                  **counts)],
        className=f"scr-score is-{view.status}",
    )
    def tile(d: Dimension, span: int) -> html.Div:
        rate = d.kind == "rate"
        attrs: dict[str, Any] = {"data-dimension": d.key, "data-value": "" if d.score is None else f"{d.score:.6g}"}
        return html.Div([html.Div(d.label, className="scr-tile-label", title=d.label),
                         html.Div(_fmt(d.score, 1, pct=True) if rate else _fmt(d.score, 2), className="scr-tile-value"),
                         _delta(d.delta, lang, pct=rate)],
                        className=f"scr-tile is-{d.status}", style={"gridColumn": f"span {span}"}, **attrs)

    # a 12-column grid: the CityScore dimensions share one row (three: a 2 × 2 grid left a hole and pushed
    # the below-target list out of the panel; four or more wrap two to a row), the rate tiles (12345, IoT)
    # share the next
    scores = [d for d in view.dimensions if d.kind != "rate"]
    rates = [d for d in view.dimensions if d.kind == "rate"]
    tiles = ([tile(d, 12 // len(scores) if len(scores) <= 3 else 6) for d in scores]
             + [tile(d, 12 // len(rates) if len(rates) <= 3 else 6) for d in rates])
    watch = [html.Div(t("scr.watch", lang), className="scr-watch-title")] + [
        html.Div([html.Span(w.label, className="scr-watch-name", title=w.label),
                  html.Span(_fmt(w.value, 1, pct=True), className="scr-watch-value"),
                  html.Span(f"{t('scr.watch.target', lang)} {_target(w.target)}", className="scr-watch-target")],
                 className=f"scr-watch-row is-{w.status}", **{"data-metric": w.metric_id, "data-value": w.value})
        for w in view.watch
    ] if view.watch else []
    return [window_note(view.window, lang), overall, html.Div(tiles, className="scr-tiles"),
            html.Div(watch, className="scr-watch")]


# --- bar charts (HTML/CSS) ----------------------------------------------------------------------
# The wall's charts are plain HTML bars sized with CSS: no Plotly bundle to fetch and parse before the
# first paint, a few KB per refresh, and text that scales with the wall unit like every other label.
# Each bar carries its value in ``data-value`` (tests compare them with the metrics layer).


def _pct_of(value: float, top: float) -> str:
    return f"{max(0.0, min(100.0, 100 * value / top)) if top > 0 else 0:.1f}%"


def _tone(rate: float, target: float) -> str:
    return "good" if rate >= target else ("warn" if rate >= target - 0.1 else "bad")


def short_label(name: str, limit: int = 8) -> str:
    """A station/unit name that fits a bar label: common suffixes dropped, then cut with an ellipsis."""
    for suffix in ("联勤联动工作站", "联勤联动站", "联勤站", "工作站", "管理处", "街道"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            name = name[: -len(suffix)]
            break
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _hbar(label: str, title: str, value: float, width: str, text: str, tone: str,
          marker: str | None = None, extra: bool = False) -> html.Div:
    track = [html.Div(className=f"scr-bar-fill is-{tone}", style={"width": width})]
    if marker is not None:
        track.append(html.Div(className="scr-bar-target", style={"left": marker}))
    return html.Div([html.Span(label, className="scr-bar-name", title=title),
                     html.Div(track, className="scr-bar-track"),
                     html.Span(text, className="scr-bar-value")],
                    className="scr-bar is-extra" if extra else "scr-bar", **{"data-value": f"{value:.6g}"})


def stations_bars(view: StationsView, lang: str, n: int = 12, n_tall: int = 24) -> html.Div:
    """The worst rated stations, worst on top, against the declared target: ``n`` in the overview's panel, and
    ``n_tall`` in the stations view, whose panel runs the wall's full height (12 bars there were a few
    thick stripes for a district of 43 stations). The bars past ``n`` are drawn with ``is-extra``; the
    wall's CSS shows them in the stations view only."""
    rows = [r for r in view.rows if r.rate is not None][:max(n, n_tall)]
    if not rows:
        return empty_note(t("scr.stations.none", lang))
    target = view.target
    line = _pct_of(target, 1.0) if target is not None else None
    bars = [_hbar(short_label(r.name), f"{r.name} {r.closed}/{r.due}", r.rate or 0.0, _pct_of(r.rate or 0.0, 1.0),
                  f"{(r.rate or 0) * 100:.1f}%", _tone(r.rate or 0.0, target) if target is not None else "warn",
                  line, extra=i >= n)
            for i, r in enumerate(rows)]
    label = [] if target is None else [html.Span(f"{target * 100:.0f}%", className="scr-bar-target-label",
                                                 style={"left": line})]
    head = html.Div([html.Span(className="scr-bar-name"),
                     html.Div(label, className="scr-bar-track is-axis"),
                     html.Span(className="scr-bar-value")], className="scr-bar-head")
    return html.Div([head, *bars], className="scr-bars",
                    style={"--scr-bar-rows": str(min(len(bars), n)), "--scr-bar-rows-tall": str(len(bars))})


def scale_top(peak: float) -> float:
    """The hourly chart's top gridline: the first of 1, 2, 4, 6, 8, 10 × 10ᵏ at or above ``peak`` (54 → 60,
    9 → 10, 130 → 200), never below 2, so the top and the half-way line are whole counts."""
    if peak <= 2:
        return 2.0
    k = 10.0 ** math.floor(math.log10(peak))
    return next(m * k for m in (1, 2, 4, 6, 8, 10) if m * k >= peak and (m > 1 or k >= 10))


def hourly_bars(df: pd.DataFrame, lang: str) -> html.Div:
    """Today's count per hour (columns) with the typical day as a tick on each hour, against a scale: two
    labelled gridlines (the top and half of it, ``scale_top``), so a column reads as a count from across
    the hall and a quiet day's tall columns are not taken for a busy one."""
    today = [None if v != v else float(v) for v in df["today"]]
    typical = [float(v) for v in df["typical"]]
    top = scale_top(max([v for v in today if v is not None] + typical + [1.0]))
    cols = []
    for hour, v, typ in zip(df["hour"], today, typical, strict=True):
        kids = [html.Div(className="scr-col-typ", style={"bottom": _pct_of(typ, top)}, title=f"{typ:.1f}")]
        if v is not None:
            kids.insert(0, html.Div(className="scr-col-fill" + (" is-high" if v > typ * 1.5 and v >= 3 else ""),
                                    style={"height": _pct_of(v, top)}))
        cols.append(html.Div(kids, className="scr-col" + ("" if v is not None else " is-future"),
                             title=f"{int(hour):02d}:00 {'' if v is None else int(v)}",
                             **{"data-hour": str(int(hour)), "data-value": "" if v is None else f"{v:g}"}))
    labels = [html.Span(f"{h:02d}" if h % 3 == 0 else "", className="scr-col-label") for h in range(24)]
    legend = html.Div([html.Span([html.Span(className="scr-key is-today"), t("scr.hourly.today", lang)]),
                       html.Span([html.Span(className="scr-key is-typical"), t("scr.hourly.typical", lang)]),
                       html.Span(f"{t('scr.hourly.total', lang)} {int(sum(v for v in today if v is not None)):,}",
                                 className="scr-cols-total")],
                      className="scr-cols-legend")
    ticks = [f"{v:,g}" for v in (top / 2, top)]
    grid = [html.Div(html.Span(text, className="scr-cols-tick"), className="scr-cols-grid",
                     style={"bottom": _pct_of(v, top)}, **{"data-value": f"{v:g}"})
            for v, text in zip((top / 2, top), ticks, strict=True)]
    scale = html.Span(t("scr.hourly.scale", lang), className="scr-cols-unit")
    return html.Div([html.Div([scale, legend], className="scr-cols-head"),
                     html.Div([*grid, *cols], className="scr-cols-plot"),
                     html.Div(labels, className="scr-cols-axis")],
                    className="scr-cols", style={"--scr-gutter": f"calc(var(--u) * {tick_gutter(ticks)})"},
                    **{"data-top": f"{top:g}"})


def tick_gutter(ticks: Sequence[str]) -> int:
    """Width of the scale's gutter in design units: room for the widest label (a city's 2,000 an hour
    was cut to ",000" in the fixed gutter a district's 600 fits)."""
    return max(46, 12 * max((len(x) for x in ticks), default=0) + 10)


def water_bars(df: pd.DataFrame, lang: str) -> html.Div:
    """Latest level of each sensor as a share of its alarm line (the line sits at the same place on every row)."""
    if df.empty:
        return empty_note(t("scr.water.empty", lang))
    span = 1.25  # the alarm line at 80% of the track leaves room to show how far above it a level is
    bars = []
    for r in df.to_dict("records"):
        ratio = r["ratio"] if r["ratio"] == r["ratio"] and r["ratio"] is not None else 0.0
        warn = r["threshold_warning"]
        tone = "bad" if ratio >= 1 else ("warn" if warn == warn and warn is not None and r["value"] >= warn
                                         else "good")
        unit = r.get("unit_en") if lang == "en" and r.get("unit_en") else r.get("unit_zh")
        name = str(unit or r["name"])
        bars.append(_hbar(short_label(name), f"{r['name']} · {name}", float(r["value"]), _pct_of(ratio, span),
                          f"{r['value']:.2f} {r['uom'] or ''}".strip(), tone, _pct_of(1.0, span)))
    head = html.Div([html.Span(className="scr-bar-name"),
                     html.Div(html.Span(t("scr.water.alarm", lang), className="scr-bar-target-label is-bad",
                                        style={"left": _pct_of(1.0, span)}), className="scr-bar-track is-axis"),
                     html.Span(className="scr-bar-value")], className="scr-bar-head")
    return html.Div([head, *bars], className="scr-bars is-water", style={"--scr-bar-rows": str(len(bars))})


# --- lists and numbers --------------------------------------------------------------------------


def stations_summary(view: StationsView, lang: str) -> list[Any]:
    return [
        window_note(view.window, lang),
        html.Span(t("scr.stations.meeting", lang, n=view.meeting, m=view.rated), className="scr-big-note"),
        html.Span(t("scr.stations.worst", lang) + "："
                  + "、".join(short_label(r.name) for r in view.rows[:5] if r.rate is not None),
                  className="scr-worst"),
    ]


def rank_baseline(scores: Sequence[float]) -> float:
    """Where the ranking bars start: the highest grade line (A 90, B 75, C 60, D 40) at or below the
    lowest score shown, so bars of 82.8 and 91.0 differ visibly instead of both filling a 0–100 track."""
    low = min(scores, default=0.0)
    return next((float(b) for b, _ in GRADES if b <= low), 0.0)


def _group(code: str, lang: str) -> str:
    label = peer_label(code)
    return PEER_EN.get(label, label) if lang_of(lang) == "en" else label


def ranking(view: RankingView, lang: str) -> list[Any]:
    """Best places on the left, the 末位 units /rankings marks on the right, each with its place within its
    peer group ("2/3 街道" when there are several groups, as /rankings ranks them)."""
    def col(title: str, items: Sequence[RankItem], cls: str) -> html.Div:
        return html.Div([
            html.Div(title, className="scr-rank-title"),
            html.Ol([html.Li([html.Span(f"{i.place}/{i.of}", className="scr-rank-n",
                                        title=_group(i.group, lang)),
                              html.Span(name_text(i), className="scr-rank-name", title=name_text(i)),
                              html.Div(html.Div(className="scr-rank-fill",
                                                style={"width": _pct_of((i.score or base) - base, top - base)}),
                                       className="scr-rank-track"),
                              html.Span(_fmt(i.score, 1), className="scr-rank-score")],
                             **{"data-value": "" if i.score is None else f"{i.score:.6g}",
                                "data-place": f"{i.place}/{i.of}", "data-bottom": "1" if i.bottom else "0"})
                     for i in items], className="scr-rank-list"),
        ], className=f"scr-rank-col {cls}")

    def name_text(i: RankItem) -> str:
        # several peer groups: say which one the place is in, unless the name says it (金泽镇 is a 镇)
        group = _group(i.group, lang)
        said = i.name.endswith((group, peer_label(i.group)))  # 金泽镇 says 镇 in either language
        return f"{i.name} · {group}" if view.groups > 1 and not said else i.name

    if not view.top and not view.bottom:
        return [empty_note(t("scr.ranking.empty", lang))]
    shown = [i.score for i in (*view.top, *view.bottom) if i.score is not None]
    # one line above the lists: the window, then how the bars are drawn or what is ranked
    if view.measure == "region_composite":  # a 0–100 score: bars from a grade line
        top, base = max([*shown, 100.0]), rank_baseline(shown)
        how, cls = t("scr.ranking.base", lang, v=f"{base:g}"), "scr-rank-base"
    else:  # a rate (a city with hotline data only): bars from zero, the note says what is ranked
        top, base = max([*shown, 1e-9]), 0.0
        how, cls = t(f"scr.ranking.by.{view.measure}", lang), "scr-rank-note"
    note = window_note(view.window, lang, how)
    note.className = f"scr-window {cls}"
    titles = [t("scr.ranking.base.title", lang, v=f"{base:g}")] if cls == "scr-rank-base" else []
    if view.groups > 1:
        titles.append(t("scr.ranking.groups", lang))
    if titles:
        note.title = "；".join(titles) if lang_of(lang) == "zh" else "; ".join(titles)
    return [note, col(t("scr.ranking.top", lang), view.top, "is-top"),
            col(t("scr.ranking.bottom", lang), view.bottom, "is-bottom")]


def window_note(period: Period | None, lang: str, extra: str = "") -> html.Div:
    """The days a panel judges ("近30天 11-08–12-07"): the wall's window named, so a page can show the
    same numbers for the same days (period=custom) and a different window reads as one."""
    text = t("period.rolling", lang, n=round(period.days), range=span(period, lang)) if period is not None else ""
    return html.Div(" · ".join(x for x in (text, extra) if x), className="scr-window")


def feed(df: pd.DataFrame, lang: str) -> list[Any]:
    if df.empty:
        return [empty_note(t("scr.feed.empty", lang))]
    items = []
    for r in df.to_dict("records"):
        title = t_or(f"sensor.{r['title']}", r["title"], lang) if r["kind"] == "alarm" else r["title"]
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


def backlog(b: Backlog, lang: str, keys: Sequence[str] = ("open", "overdue", "urgent", "alarms"),
            at: datetime | None = None) -> list[Any]:
    """The stock tiles; ``at``: the data's instant they are taken at, named under them ("数据时刻 12-07 10:00"),
    its hover saying what the tiles count: registered cases, or the hotline's orders under its 12345 panel."""
    orders = all(k.startswith("hotline_") for k in keys)
    at_title = (t("scr.backlog.at.title.hotline", lang, name=data.hotline_short(lang)) if orders
                else t("scr.backlog.at.title", lang))
    values = {"open": b.open_cases, "overdue": b.overdue_cases, "urgent": b.open_urgent, "alarms": b.active_alarms,
              "hotline_open": b.open_hotline, "hotline_overdue": b.overdue_hotline}
    bad = {"overdue", "urgent", "alarms", "hotline_overdue"}
    return [html.Div([html.Div(f"{values[k]:,}", className="scr-kpi-value"),
                      html.Div(t(f"scr.backlog.{k}", lang), className="scr-kpi-label")],
                     className="scr-kpi" + (" is-bad" if k in bad and values[k] > 0 else ""))
            for k in keys] + ([html.Div(t("scr.backlog.at", lang, d=f"{at:%m-%d %H:%M}"), className="scr-window",
                                        title=at_title)] if at is not None else [])


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


# the map's marker kinds (assets/screen.js markerPoint): open urgent case, alarm, warning; a cluster of them
MARKER_KINDS = ("case", "alarm", "warning", "cluster")


def legend(view: MapView, indicator: str, lang: str) -> list[Any]:
    """Colour classes of the map (counts per km²); with few distinct values only the classes in use, each
    labelled with the values it holds (five classes for two towns read as a scale that is not there)."""
    b = view.breaks
    labels = [f"< {b[0]:g}"] + [f"{b[i]:g}–{b[i + 1]:g}" for i in range(len(b) - 1)] + [f"≥ {b[-1]:g}"]
    values: dict[str, set[float]] = {}
    for f in view.units.get("features", []):
        props = f.get("properties", {})
        if props.get("value") is not None:
            values.setdefault(props.get("fill", ""), set()).add(props["value"])
    distinct = {v for vs in values.values() for v in vs}
    rows = list(zip(view.colors, labels, strict=True))
    if 0 < len(distinct) <= len(view.colors):
        rows = [(c, "、".join(f"{v:.3g}" for v in sorted(values[c]))) for c in view.colors if c in values]
    title = f"{t(f'ind.{indicator}', lang)} · {t('scr.map.per_km2', lang)}"
    return [html.Div(title, className="scr-legend-title"),
            *[html.Div([html.Span(className="scr-swatch", style={"background": c}), html.Span(label)],
                       className="scr-legend-row") for c, label in rows],
            *([html.Div(t("scr.map.approx", lang), className="scr-legend-note")] if view.approximate else []),
            *([html.Div(t("scr.map.skipped", lang, drawn=view.level_label,
                          missing=("、" if lang_of(lang) == "zh" else ", ").join(view.skipped)),
                        className="scr-legend-note scr-map-skipped")] if view.skipped else []),
            html.Div(className="scr-legend-sep"),
            *[html.Div([html.Span(className=f"scr-dot is-{kind}"), html.Span(t(f"scr.map.marker.{kind}", lang))],
                       className="scr-legend-row is-marker") for kind in MARKER_KINDS]]


def unit_tooltip(props: dict[str, Any], lang: str) -> str:
    """HTML tooltip (Leaflet binds ``properties.tooltip``): the unit's key live figures."""
    rows = "".join(f"<tr><td>{markup.text(t('ind.' + k, lang))}</td><td>{markup.text(f'{props.get(k, 0):,}')}</td></tr>"
                   for k in ("open_cases", "overdue_cases", "open_urgent", "active_alarms", "on_duty", "open_hotline"))
    approx = (f"<div class='scr-tt-note'>{markup.text(t('scr.map.approx', lang))}</div>"
              if props.get("approximate") else "")
    return f"<div class='scr-tt'><b>{markup.text(props.get('name', ''))}</b><table>{rows}</table>{approx}</div>"
