"""Figure helpers: one calm style; every clickable element carries the URL action it stands for in
``customdata`` ("category=E01" cross-filters, "drill=day:2026-11-03" drills the table)."""

from __future__ import annotations

import re
from datetime import date, datetime
from html import escape as html_escape
from typing import Any

from dash import dcc, html

from dashboard.components import markup

FONT = "Noto Sans CJK SC, Noto Sans SC, sans-serif"


Figure = dict[str, Any]  # plain plotly JSON: building go.Figure objects costs ~25 ms each


# Loaded text becomes axis labels and hover text, which Plotly parses for a few HTML tags (<b>, <a
# href>, <br>) and entities: the text is escaped so it shows as typed (Plotly decodes the entities
# back), and clipped — a 100 kB category name as a tick label hung the page (issue 16 corpus); the
# full text stays in the tables.
LABEL_KEYS = ("x", "y", "text", "hovertext", "labels")


def _clip(value: Any) -> Any:
    return html_escape(markup.clip(value), quote=False) if isinstance(value, str) else value


def _clipped(trace: dict[str, Any]) -> dict[str, Any]:
    out = dict(trace)
    for key in LABEL_KEYS:
        v = out.get(key)
        if isinstance(v, list):
            out[key] = [_clip(x) for x in v]
        elif isinstance(v, str):
            out[key] = _clip(v)
    return out


# Date axes say dates in figures, not in English words: Plotly's own ticks read "Dec 1 2026" / "Jan 2026"
# in the Chinese UI (its zh-CN locale is no part of the plotly package, and nothing comes from a CDN).
# ISO numbers by tick spacing read the same in both languages: 12-01 for days, 2026-12 for months.
DAY_MS = 86_400_000
DATE_TICKS = [  # Plotly's tick spacings: hours up to 12 h, days up to 14, months up to 6; ranges are inclusive
    {"dtickrange": [None, DAY_MS // 2], "value": "%m-%d %H:%M"},
    {"dtickrange": [DAY_MS, 14 * DAY_MS], "value": "%m-%d"},
    {"dtickrange": ["M1", "M6"], "value": "%Y-%m"},
    {"dtickrange": ["M12", None], "value": "%Y"},
]
_ISO_DATE = re.compile(r"\d{4}-\d{2}(-\d{2})?([ T]\d{2}:\d{2}(:\d{2})?)?$")


def _date_kind(traces: list[dict[str, Any]]) -> str | None:
    """"month", "day" or "time" when the traces' x values are dates (ISO strings or datetimes), else None."""
    for t in traces:
        xs = t.get("x")
        first = next((x for x in xs if x is not None), None) if isinstance(xs, list) else None
        if isinstance(first, (date, datetime)):
            with_time = any(isinstance(x, datetime) and (x.hour or x.minute) for x in xs)  # type: ignore[union-attr]
            return "time" if with_time else "day"
        if isinstance(first, str) and _ISO_DATE.match(first):
            lengths = {len(x) for x in xs if isinstance(x, str)}  # type: ignore[union-attr]
            return "month" if lengths == {7} else "time" if max(lengths) > 10 else "day"
    return None


def _date_axis(traces: list[dict[str, Any]], layout: dict[str, Any]) -> dict[str, Any]:
    """The caller's x axis with ISO date ticks and hover added when x holds dates (a caller's own
    tick format or a category axis wins)."""
    axis = dict(layout.get("xaxis") or {})
    kind = _date_kind(traces)
    if kind is None or "tickformat" in axis or axis.get("type") == "category":
        return axis
    axis.setdefault("tickformatstops", DATE_TICKS)
    axis.setdefault("hoverformat", {"time": "%Y-%m-%d %H:%M", "month": "%Y-%m"}.get(kind, "%Y-%m-%d"))
    if kind != "time":
        # a day (or month) or two: Plotly pads the range with hours and ticks "12-06 23:59" twice; tick the
        # values themselves
        values = sorted({str(x)[:10] for t in traces for x in (t.get("x") or []) if x is not None})
        if len(values) <= 2:
            axis.setdefault("tickvals", values)
    return axis


def _flat_value_axis(traces: list[dict[str, Any]], layout: dict[str, Any]) -> dict[str, Any] | None:
    """The y axis of traces whose values are all zero (or missing), given a range from zero: Plotly
    autoranges a flat zero line to −1…4, which a percent axis labels −100%…400%. None: nothing to fix
    (a caller's own range wins; horizontal bars carry their values on x)."""
    axis = dict(layout.get("yaxis") or {})
    if not traces or "range" in axis or any(t.get("orientation") == "h" for t in traces):
        return None
    values = [v for t in traces for v in (t.get("y") or []) if v is not None and v == v]
    if not values or any(not isinstance(v, (int, float)) or v != 0 for v in values):
        return None
    percent = str(axis.get("tickformat", "")).endswith("%")
    return {**axis, "range": [0, 1.05] if percent else [0, 1], **({} if percent else {"dtick": 1})}


def _count_axis(traces: list[dict[str, Any]], layout: dict[str, Any], horizontal: bool) -> dict[str, Any] | None:
    """The value axis of count series (every value a Python int: cases, alarms, orders): from zero, as a
    count axis starting at 50 drew a day of 60 cases as a collapse (/cases); and ticked at whole numbers
    when the top is small, as Plotly ticked a day of two alarms 0, 0.5, 1, 1.5, 2 (/sensors). None: not
    counts, or the caller set the axis."""
    name, key = ("xaxis", "x") if horizontal else ("yaxis", "y")
    axis = dict(layout.get(name) or {})
    mine = [t for t in traces if (t.get("orientation") == "h") == horizontal and t.get("type") in ("bar", "scatter")]
    if not mine or len(mine) != len(traces) or {"range", "dtick", "tickformat", "rangemode"} & set(axis):
        return None
    cols = [[v for v in (t.get(key) or []) if v is not None] for t in mine]
    values = [v for c in cols for v in c]
    if not values or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values):
        return None
    if layout.get("barmode") == "stack":  # the stack's height, summed per category
        sums: dict[Any, int] = {}
        for t in mine:
            for cat, v in zip(t.get("y" if horizontal else "x") or [], t.get(key) or [], strict=False):
                sums[cat] = sums.get(cat, 0) + (v or 0)
        top = max(sums.values(), default=0)
    else:
        top = max(values)
    return {**axis, "rangemode": "tozero", **({"dtick": 1} if 0 < top <= 5 else {})}


def _bar_labels(trace: dict[str, Any]) -> dict[str, Any]:
    """Bar value labels as the KPIs write counts ("1,183", Plotly printed "1183"); horizontal bars keep them
    level (Plotly turned "45" on its side to fit a short bar)."""
    if trace.get("type") != "bar" or trace.get("text") is None:
        return trace
    text = trace["text"]
    if isinstance(text, list) and text and all(isinstance(v, int) and not isinstance(v, bool) for v in text):
        trace = {**trace, "text": [f"{v:,}" for v in text]}
    return {"textangle": 0, **trace} if trace.get("orientation") == "h" else trace


def fig(traces: list[dict[str, Any]], height: int = 280, **layout: Any) -> Figure:
    traces = [_bar_labels(_clipped(t)) for t in traces]
    axis = _date_axis(traces, layout)
    if axis:
        layout = {**layout, "xaxis": axis}
    flat = _flat_value_axis(traces, layout)
    if flat is not None:
        layout = {**layout, "yaxis": flat}
    for horizontal in (False, True):
        counts = _count_axis(traces, layout, horizontal)
        if counts is not None:
            layout = {**layout, "xaxis" if horizontal else "yaxis": counts}
    base = {"height": height, "margin": {"l": 48, "r": 12, "t": 12, "b": 36}, "font": {"family": FONT, "size": 12},
            "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)", "showlegend": False,
            "clickmode": "event"}
    return {"data": traces, "layout": {**base, **layout}}


def empty(text: str, height: int = 280) -> Figure:
    """A blank figure saying why (``page.no_data`` in the page's language: never a fixed 无数据)."""
    return fig([], height, xaxis={"visible": False}, yaxis={"visible": False},
               annotations=[{"text": text, "showarrow": False, "x": 0.5, "y": 0.5, "xref": "paper", "yref": "paper"}])


def graph(page: str, role: str, figure: Figure) -> dcc.Graph:
    return dcc.Graph(id={"type": "cv-fig", "page": page, "role": role}, figure=figure,
                     config={"displaylogo": False, "displayModeBar": False},
                     style={"height": f"{figure['layout'].get('height', 280)}px"})


def panel(title: str, *children: Any, cls: str = "") -> html.Section:
    return html.Section([html.H2(title, className="cv-panel-title"), *children], className=f"cv-panel {cls}")


def pct(v: Any) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return "—"
    return "—" if f != f else f"{100 * f:.1f}%"


def num(v: Any) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return "—"
    if f != f:
        return "—"
    r = round(f, 1)  # round first: 90.96 reads "91" like 91.0 does, never "91.0"
    return f"{r:,.0f}" if r == int(r) else f"{r:,.1f}"


def short_names(names: list[str]) -> list[str]:
    """``names`` without the suffix they all share, when what is left still tells them apart."""
    n = 0  # length of the shared suffix, character by character
    while names and n < min(map(len, names)) and len({x[-1 - n] for x in names}) == 1:
        n += 1
    suffix = names[0][len(names[0]) - n:] if names else ""
    short = [x[: len(x) - n].rstrip() for x in names]
    if len(suffix) < 2 or not all(short) or len(set(short)) < len(set(names)):
        return names
    return short


NAMED_BARS_MAX = 80  # beyond this even short names at an angle overlap (a city's 837 stations: a grey band)


def name_ticks(keys: list[str], names: list[str], many: bool) -> dict[str, Any]:
    """A category x-axis of bars keyed by code (two units may share a name) and ticked by name: with
    ``many`` bars, short names (``short_names``) at an angle, as full names overlap into a band; past
    ``NAMED_BARS_MAX`` bars no names at all (each bar names itself on hover)."""
    if len(keys) > NAMED_BARS_MAX:
        return {"type": "category", "showticklabels": False}
    return {"type": "category", "automargin": True, "tickmode": "array", "tickvals": keys,
            "ticktext": short_names(names) if many else names, "tickangle": -60 if many else "auto",
            "tickfont": {"size": 10 if many else 12}}


# --- running buckets ------------------------------------------------------------------------------
# The last bucket of a trend that holds the data's 'now' (today, this month) is counted so far: drawn
# whole it reads as a collapse (/stations 87% → 58%, /hotline 98% → 70% on the 7th). It is drawn apart —
# a dashed, open-marker line segment or a hatched, lighter bar — and labelled (legend and hover).
PARTIAL_OPACITY = 0.55


def running(start: Any, end: Any, now: Any) -> bool:
    """Whether the bucket [start, end) holds the data's instant ``now`` (it is still being counted)."""
    return bool(start <= now < end)


def last_running(buckets: list[Any], now: Any, unit: str) -> bool:
    """Whether the last of ``buckets`` (day or month starts; ``unit`` "day" | "month") holds ``now``."""
    if not buckets:
        return False
    import pandas as pd  # figures stay importable without pandas work at module load

    start = pd.Timestamp(buckets[-1])
    end = start + (pd.Timedelta(days=1) if unit == "day" else pd.offsets.MonthBegin(1))
    return running(start, end, pd.Timestamp(now))


def _with_label(template: str | None, label: str) -> str:
    base = template or "%{x}: %{y}<extra></extra>"
    return base.replace("<extra>", f" ({label})<extra>", 1) if "<extra>" in base else f"{base} ({label})"


def partial_legend(label: str) -> dict[str, Any]:
    """One legend entry "- - 未满期" for charts of several lines whose tails are drawn apart."""
    return {"type": "scatter", "mode": "lines", "x": [None], "y": [None], "name": label, "showlegend": True,
            "hoverinfo": "skip", "line": {"color": "#7f8a96", "dash": "dash"}, "meta": "partial-legend"}


def partial_line(trace: dict[str, Any], label: str, hover: str | None = None, *,
                 legend: bool = True) -> list[dict[str, Any]]:
    """A line trace whose last point is a running bucket: the whole buckets as given, then the last
    segment as its own dashed trace with an open marker, named "<name> · 未满期" in the legend and
    "(未满期)" (or ``hover``) on hover."""
    x = list(trace.get("x") or [])
    if not x:
        return [trace]
    per_point = [k for k, v in trace.items() if isinstance(v, list) and len(v) == len(x)]
    whole = {**trace, **{k: trace[k][:-1] for k in per_point}}
    for k in ("marker",):  # per-point marker arrays (size, symbol) stay with their points
        if isinstance(trace.get(k), dict):
            whole[k] = {mk: mv[:-1] if isinstance(mv, list) and len(mv) == len(x) else mv
                        for mk, mv in trace[k].items()}
    tail = {**trace, **{k: trace[k][-2:] for k in per_point}}
    line = dict(trace.get("line") or {})
    name = str(trace.get("name") or "")
    tail.update({
        "mode": "lines+markers", "name": f"{name} · {label}" if name else label,
        "line": {**line, "dash": "dash"}, "opacity": 0.8, "showlegend": legend,
        "marker": {"symbol": ["circle", "circle-open"][-len(tail["x"]):], "size": [6, 11][-len(tail["x"]):],
                   **({"color": line["color"]} if "color" in line else {})},
        "hovertemplate": [str(trace.get("hovertemplate") or "%{x}: %{y}<extra></extra>"),
                          _with_label(trace.get("hovertemplate"), hover or label)][-len(tail["x"]):],
        "meta": "partial",
    })
    if not name:  # an unnamed line: the legend names only its running tail ("trace 0" otherwise)
        whole["showlegend"] = False
    return [whole, tail] if whole["x"] else [tail]


def partial_bars(traces: list[dict[str, Any]], label: str) -> list[dict[str, Any]]:
    """Bar traces whose last bar is a running bucket: that bar hatched and lighter, "(未满期)" on its
    hover, and one legend entry saying what the hatching means."""
    out = []
    for tr in traces:
        n = len(tr.get("x") or [])
        if not n:
            out.append(tr)
            continue
        marker = dict(tr.get("marker") or {})
        marker["pattern"] = {"shape": [""] * (n - 1) + ["/"], "solidity": 0.5}
        marker["opacity"] = [1.0] * (n - 1) + [PARTIAL_OPACITY]
        base = str(tr.get("hovertemplate") or "%{x}: %{y}<extra>%{fullData.name}</extra>")
        out.append({**tr, "marker": marker, "hovertemplate": [base] * (n - 1) + [_with_label(base, label)]})
    out.append({"type": "bar", "x": [None], "y": [None], "name": label, "showlegend": True, "hoverinfo": "skip",
                "marker": {"color": "#aab4be", "pattern": {"shape": "/", "solidity": 0.5},
                           "opacity": PARTIAL_OPACITY}, "meta": "partial"})
    return out
