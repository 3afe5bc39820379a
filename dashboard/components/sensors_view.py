"""The sensors page (物联感知): online rate by type and by sub-unit against the declared target, alarms (by
severity, by type, over time; turned into cases and closed), the latest reading of each sensor against
its thresholds, the offline devices, and one sensor's time series with its warning/alarm lines.

URL: the shared filter bar, plus ``sel=<sensor type>`` (the type cross-filter) and ``sensor=<id>`` (the
series shown). Clicking a type bar sets ``sel=``, a unit bar ``unit=`` (shared click callback); a sensor
in a list is a link that sets ``sensor=``; the sensor picker is a filter-bar field (shared callback).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pandas as pd
from dash import dcc, html

from dashboard import data, i18n
from dashboard.components import figures as F
from dashboard.components import markup
from dashboard.components.cases_view import as_of, bar
from dashboard.components.page import Ctx
from metrics import sensors_explore as SX
from metrics.query import QueryError

PAGE = "sensors"
KPIS_ID = "sensors-kpis"
OFFLINE_ID = "sensors-offline"
BEYOND_ID = "sensors-beyond"
SERIES_NOTE_ID = "sensors-series-note"
PICKER = {"type": "cv-filter", "page": PAGE, "field": "sensor"}
MAX_POINTS = 720  # a month of hourly readings in ≤ 720 buckets: one point per hour, a year one per 12 h
PAST_KEPT = 12  # past as-of instants whose status table is kept per snapshot (5000 sensors ≈ 1.3 MB each)
LIST_MAX = 50  # devices listed in the offline and beyond-threshold lists ("… +N" for the rest)
PICKER_MAX = 800  # beyond this many sensors in scope the picker lists only those not normal
COLORS = {"alarm": "#b02a37", "warning": "#e6a23c", "normal": "#1b7f3b", "no_data": "#aab4be"}


def _type(ctx: Ctx) -> str | None:
    sel = ctx.extra.get("sel")
    if not sel:
        return None
    if sel not in data.per_snapshot("sensors.types", SX.sensor_types):
        raise QueryError(f"“sel={sel}” is not a sensor type")
    return sel


def _href(ctx: Ctx, **changes: str | None) -> str:
    extra = {**ctx.extra, **changes}
    return f"/{PAGE}{ctx.state.search(**{k: v for k, v in extra.items() if v})}"


def type_label(ctx: Ctx, code: object) -> str:
    """A sensor type in the reader's language ("manhole_tilt" → 井盖倾斜); a type without a label as stored.
    The labels live with the big screen's (``dashboard.i18n``), which names alarms the same way."""
    return i18n.t_or(f"sensor.{code}", code, ctx.lang)


def _rate_bars(ctx: Ctx, df: pd.DataFrame, action: str, target: float | None, chosen: str | None) -> F.Figure:
    if df.empty:
        return F.empty(ctx.t("page.no_data"))
    df = df.sort_values("online_rate", na_position="first").head(25)
    labels = [type_label(ctx, k) for k in df["key"]] if action == "sel" else df["label"].tolist()
    colors = ["#3182bd" if chosen in (None, k) else "#c6dbef" for k in df["key"]]
    shapes = [] if target is None else [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": target,
                                         "y1": target, "line": {"color": "#b02a37", "dash": "dash"}}]
    rates = _nulls(df["online_rate"])
    return F.fig([{"type": "bar", "x": labels, "y": rates,
                   "marker": {"color": colors}, "customdata": [f"{action}={k}" for k in df["key"]],
                   "text": [f"{F.pct(r)} ({o:,}/{n:,})" for r, o, n in zip(df["online_rate"], df["received"],
                                                                           df["expected"], strict=True)],
                   "textposition": "auto", "hovertemplate": "%{x}: %{text}<extra></extra>"}], 300,
                 yaxis={"tickformat": ".0%", "range": [0, 1.05]}, shapes=shapes,
                 margin={"l": 48, "r": 12, "t": 12, "b": 70})


def _stacked(ctx: Ctx, x_keys: list[str], x_labels: list[str], series: dict[str, list[int]], action: str | None,
             height: int = 280, **layout: Any) -> F.Figure:
    if not x_keys:
        return F.empty(ctx.t("page.no_data"))
    traces = []
    for name, ys in series.items():
        tr: dict[str, Any] = {"type": "bar", "name": ctx.t(f"sensors.state.{name}"), "x": x_labels, "y": ys,
                              "marker": {"color": COLORS.get(name, "#6baed6")}}
        if action:
            tr["customdata"] = [f"{action}={k}" for k in x_keys]
        traces.append(tr)
    # the x axis makes room for its labels: "Manhole tilt", "Water level" at an angle were cut at the foot
    # of the chart at 1366 px in English
    layout["xaxis"] = {"automargin": True, **layout.get("xaxis", {})}
    return F.fig(traces, height, barmode="stack", showlegend=True, legend={"orientation": "h", "y": 1.12},
                 **layout)


def alarm_time_figure(ctx: Ctx, alarms: pd.DataFrame) -> F.Figure:
    df = SX.alarm_counts(ctx.con, ctx.query, "day", table=alarms)
    p = ctx.query.period
    days = [d.strftime("%Y-%m-%d") for d in pd.date_range(p.start, p.end - pd.Timedelta(seconds=1), freq="D")]
    if df.empty:
        return F.empty(ctx.t("page.no_data"))
    wide = df.pivot(index="key", columns="severity", values="alarms").reindex(days).fillna(0)
    series = {s: [int(v) for v in wide[s]] for s in ("warning", "alarm") if s in wide.columns}
    out = _stacked(ctx, days, days, series, None)
    if F.last_running(days, as_of(ctx), "day"):  # today so far: a hatched, lighter bar labelled 未满期
        out["data"] = F.partial_bars(out["data"], ctx.t("page.partial"))
    return out


def alarm_type_figure(ctx: Ctx, alarms: pd.DataFrame) -> F.Figure:
    df = SX.alarm_counts(ctx.con, ctx.query, "sensor_type", table=alarms)
    if df.empty:
        return F.empty(ctx.t("page.no_data"))
    wide = df.pivot(index="key", columns="severity", values="alarms").fillna(0)
    keys = [str(k) for k in wide.index]
    series = {s: [int(v) for v in wide[s]] for s in ("warning", "alarm") if s in wide.columns}
    return _stacked(ctx, keys, [type_label(ctx, k) for k in keys], series, "sel")


def state_figure(ctx: Ctx, counts: pd.DataFrame) -> F.Figure:
    keys = [str(k) for k in counts["sensor_type"]]
    return _stacked(ctx, keys, [type_label(ctx, k) for k in keys], {s: [int(v) for v in counts[s]] for s in SX.STATES},
                    "sel")


def _nulls(values: pd.Series) -> list[float | None]:
    """Values for a trace, NaN as None (JSON null): Plotly breaks the line there."""
    return [None if v != v else float(v) for v in values]


def _band(x: list[str], df: pd.DataFrame) -> dict[str, list[Any]]:
    """The min-max band as closed shapes, one per stretch between gaps (along the maxima, back along the
    minima): 'toself' fills each gap-separated piece on its own, where 'tonexty' bridged an outage."""
    xs: list[Any] = []
    ys: list[Any] = []
    piece: list[int] = []
    for i, gap in enumerate([*df["value"].isna(), True]):
        if not gap:
            piece.append(i)
            continue
        if piece:
            xs += [x[j] for j in piece] + [x[j] for j in reversed(piece)] + [None]
            ys += _nulls(df["hi"].iloc[piece]) + _nulls(df["lo"].iloc[piece[::-1]]) + [None]
        piece = []
    return {"x": xs, "y": ys}


def series_figure(ctx: Ctx, info: dict[str, Any] | None) -> F.Figure:
    if info is None:
        return F.empty(ctx.t("sensors.pick"))
    df = SX.sensor_series(ctx.con, ctx.query, str(info["sensor_id"]), MAX_POINTS, in_scope=True)
    if df.empty:
        return F.empty(ctx.t("page.no_data"))
    # an outage longer than a few reporting intervals is drawn as a gap, not a line across it
    df = SX.break_gaps(df, SX.gap_limit(ctx.query, info.get("expected_interval_min"), MAX_POINTS))
    x = [t.strftime("%Y-%m-%d %H:%M") for t in df["ts"]]
    traces: list[dict[str, Any]] = [
        {"type": "scatter", "mode": "lines", "x": x, "y": _nulls(df["hi"]), "line": {"width": 0},
         "hoverinfo": "skip", "name": "max"},
        {"type": "scatter", "mode": "lines", **_band(x, df), "line": {"width": 0}, "fill": "toself",
         "fillcolor": "rgba(49,130,189,0.18)", "hoverinfo": "skip", "name": "min"},
        {"type": "scatter", "mode": "lines", "x": x, "y": _nulls(df["value"].round(3)), "name": ctx.t("sensors.mean"),
         "line": {"color": "#08519c"}},
    ]
    shapes, notes = [], []
    for key, color in (("threshold_warning", COLORS["warning"]), ("threshold_alarm", COLORS["alarm"]),
                       ("threshold_low_warning", COLORS["warning"]), ("threshold_low_alarm", COLORS["alarm"])):
        v = info.get(key)
        if v is None:
            continue
        shapes.append({"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": float(v), "y1": float(v),
                       "line": {"color": color, "dash": "dash"}})
        notes.append({"xref": "paper", "x": 1, "y": float(v), "xanchor": "right", "yanchor": "bottom",
                      "text": f"{ctx.t('sensors.' + key)} {F.num(v)}", "showarrow": False,
                      "font": {"color": color, "size": 11}})
    return F.fig(traces, 300, shapes=shapes, annotations=notes,
                 yaxis={"title": {"text": str(info.get("uom") or "")}})


def _kpis(ctx: Ctx, status: pd.DataFrame, flow: dict[str, Any], sev: pd.DataFrame, target: float | None
          ) -> html.Div:
    def tile(label: str, text: str, note: str = "") -> html.Div:
        return html.Div([html.Div(label, className="cv-kpi-label"), html.Div(text, className="cv-kpi-value"),
                         html.Div(note, className="cv-kpi-target")], className="cv-kpi")

    n, rate = len(status), SX.period_online_rate(status)
    by_sev = dict(zip(sev["key"], sev["alarms"], strict=True)) if not sev.empty else {}
    beyond = int(status["state"].isin(["warning", "alarm"]).sum())
    return html.Div([
        tile(ctx.t("sensors.devices"), F.num(n)),
        tile(ctx.t("sensors.online"), F.pct(rate),
             f"{ctx.t('sensors.target')} {F.pct(target)}" if target is not None
             else f"{int(status['received'].sum()):,} / {int(status['expected'].sum()):,}"),
        tile(ctx.t("sensors.alarms"), F.num(sum(by_sev.values())),
             f"{ctx.t('sensors.severe')} {F.num(by_sev.get('alarm', 0))}"),
        tile(ctx.t("sensors.to_case"), F.pct(flow["to_case_rate"]), f"{flow['to_cases']:,} / {flow['alarms']:,}"),
        tile(ctx.t("sensors.case_closed"), F.pct(flow["case_closure_rate"]),
             f"{flow['cases_closed']:,} / {flow['to_cases']:,}"),
        tile(ctx.t("sensors.beyond"), F.num(beyond)),
    ], className="cv-kpis", id=KPIS_ID)


_LIST_FIELDS = ("sensor_id", "name", "sensor_type", "last_reading", "state", "value", "uom", "threshold_warning",
                "threshold_alarm")  # what the lists show (``_silent``, ``_reading``)


def _sensor_links(ctx: Ctx, df: pd.DataFrame, list_id: str, detail: Any, limit: int = LIST_MAX) -> html.Ul:
    base = {**ctx.state.params(), **{k: v for k, v in ctx.extra.items() if v and k != "sensor"}}
    # plain Python values column by column: head/astype/to_dict on the frame cost ≈15 ms a list
    cols = {c: df[c].iloc[:limit].tolist() for c in _LIST_FIELDS if c in df.columns}
    rows = [dict(zip(cols, vals, strict=True)) for vals in zip(*cols.values(), strict=True)]
    # Two components per item (the muted text is a plain string in a muted <li>; links keep their own
    # colour), 50 items: a third of the components of the former 100 items × 3.
    items = [html.Li([dcc.Link(str(r["name"] or r["sensor_id"]),
                               href=f"/{PAGE}?{urlencode({**base, 'sensor': str(r['sensor_id'])})}"),
                      f" · {type_label(ctx, r['sensor_type'])} · {detail(r)}"], className="cv-muted") for r in rows]
    more = [html.Li(f"… +{len(df) - limit:,}")] if len(df) > limit else []
    return html.Ul(items + more or [html.Li(ctx.t("sensors.none"))], className="cv-overdue", id=list_id)


def _silent(ctx: Ctx, r: dict[str, Any]) -> str:
    last = r["last_reading"]
    return f"{ctx.t('sensors.last')} {last:%m-%d %H:%M}" if pd.notna(last) else ctx.t("sensors.silent_week")


def _reading(ctx: Ctx, r: dict[str, Any]) -> str:
    return (f"{ctx.t('sensors.state.' + r['state'])} {F.num(r['value'])} {r['uom'] or ''} "
            f"({ctx.t('sensors.threshold_warning')} {F.num(r['threshold_warning'])} / "
            f"{ctx.t('sensors.threshold_alarm')} {F.num(r['threshold_alarm'])})")


def _picker(ctx: Ctx, latest: pd.DataFrame, chosen: str | None) -> html.Label:
    rows = latest
    if len(rows) > PICKER_MAX:
        rows = rows[(rows["state"] != "normal") | (rows["sensor_id"] == chosen)]
    opts = [{"label": markup.clip(f"{n or i} ({type_label(ctx, t)})"), "value": str(i)} for i, n, t in
            zip(rows["sensor_id"].tolist(), rows["name"].tolist(), rows["sensor_type"].tolist(), strict=True)]
    return html.Label([html.Span(ctx.t("sensors.pick"), className="cv-filter-label"),
                       dcc.Dropdown(id=PICKER, options=opts, value=chosen, clearable=True,
                                    placeholder=ctx.t("sensors.pick"))],
                      className="cv-filter-field", style={"minWidth": "22em"})


def _default_sensor(latest: pd.DataFrame) -> str | None:
    """With no ``sensor=``: the first sensor in alarm, else in warning, else the first listed."""
    for state in ("alarm", "warning", "normal"):
        hit = latest.loc[latest["state"] == state, "sensor_id"]
        if len(hit):
            return str(hit.iloc[0])
    return None


def _status(ctx: Ctx, stype: str | None) -> pd.DataFrame:
    """Every sensor in scope with its last reading, online flag and state. Every sensor's status at the
    as-of instant (the readings scan, ≈25 ms CPU at district scale on readings stored in time order, and
    the judging of 5,000 sensors, ≈12 ms) is kept per snapshot: for the data's 'now' (what every current
    period asks) and for the last ``PAST_KEPT`` past as-of instants viewed (a past period's end); a render
    only narrows it to the scope."""
    # a warehouse without a recorded data 'now' (live loads): never judge devices at a future instant
    at = min(SX.as_of_time(ctx.con, ctx.query), data.view_now())
    now = data.data_now()
    sensors = data.per_snapshot("sensors.table", SX.sensor_table)
    if now is not None and at == now:
        table = data.per_snapshot("sensors.status", lambda con: SX.status_table(con, now, sensors=sensors))
    elif now is not None and at < now:  # a past instant: its readings can no longer change in this snapshot
        table = data.per_snapshot_bounded("sensors.status_at", at.isoformat(),
                                          lambda con: SX.status_table(con, at, sensors=sensors), PAST_KEPT)
    else:  # beyond the data or no recorded 'now' (live loads): data may still arrive, compute afresh
        table = SX.status_table(ctx.con, at, sensors=sensors)
    return SX.sensor_status(ctx.con, ctx.query, stype, at, table=table)


def _reporting(ctx: Ctx) -> pd.DataFrame:
    """Every sensor's reporting intervals over the period (``metrics.sensors.reporting``): one grouped scan
    of the period's readings, kept per snapshot for the last ``PAST_KEPT`` (period, as-of) pairs viewed."""
    at = min(SX.as_of_time(ctx.con, ctx.query), data.site_now())
    key = f"{ctx.query.period.start.isoformat()}|{at.isoformat()}"
    return data.per_snapshot_bounded("sensors.reporting", key, lambda con: SX.reporting(con, ctx.query, at),
                                     PAST_KEPT)


def render(ctx: Ctx) -> list[Any]:
    stype = _type(ctx)
    q, con = ctx.query, ctx.con
    target = SX.online_target(data.metrics_config())
    status_all = _status(ctx, None)
    status = status_all if stype is None else status_all[status_all["sensor_type"] == stype]
    reports = _reporting(ctx)
    by_type = SX.online_rate(con, q, "sensor_type", status=status_all, reports=reports)
    by_unit = SX.online_rate(con, q, "unit", status=status, reports=reports)
    status = SX.with_reporting(status, reports)
    alarms = SX.alarm_table(con, q, stype, facts=data.per_snapshot("sensors.alarm_facts", SX.alarm_facts))
    flow = SX.alarm_case_flow(con, q, table=alarms)
    sev = SX.alarm_counts(con, q, "severity", table=alarms)
    offline = SX.offline(status)
    latest = status
    chosen = ctx.extra.get("sensor")
    info = SX.sensor_info(con, q, chosen) if chosen else None
    note = ""
    if chosen and info is None:
        note = ctx.t("sensors.out_of_scope", sensor=chosen)
    if info is None:
        fallback = _default_sensor(latest)
        info = SX.sensor_info(con, q, fallback) if fallback else None
        if info is not None and not note:
            note = ctx.t("sensors.default")
    beyond = latest[latest["state"].isin(["alarm", "warning"])].sort_values(["state", "sensor_id"])
    type_note = [html.Span(f"{ctx.t('sensors.type')}: {type_label(ctx, stype)} "),
                 dcc.Link(ctx.t("drill.clear"), href=_href(ctx, sel=None))] if stype else []
    scope = ctx.scope_title()
    title = (f"{info['name'] or info['sensor_id']} ({type_label(ctx, info['sensor_type'])}, {info['sensor_id']})"
             if info else "")
    return [
        html.H1([ctx.t("sensors.title"), html.Span(scope, className="cv-scope")]),
        bar(ctx, PAGE, case_filters=False),
        html.Div([_picker(ctx, latest, chosen), *type_note], className="cv-drill-banner"),
        _kpis(ctx, status, flow, sev, target),
        html.Div([
            F.panel(ctx.t("sensors.online_type"), F.graph(PAGE, "online_type",
                                                          _rate_bars(ctx, by_type, "sel", target, stype))),
            F.panel(ctx.t("sensors.online_unit"), F.graph(PAGE, "online_unit",
                                                          _rate_bars(ctx, by_unit, "unit", target, None))),
            F.panel(f"{ctx.t('sensors.series')} · {title}", html.Div(note, id=SERIES_NOTE_ID, className="cv-muted"),
                    F.graph(PAGE, "series", series_figure(ctx, info)), cls="cv-wide"),
            F.panel(ctx.t("sensors.alarm_time"), F.graph(PAGE, "alarm_time", alarm_time_figure(ctx, alarms)),
                    cls="cv-wide"),
            F.panel(ctx.t("sensors.alarm_type"), F.graph(PAGE, "alarm_type", alarm_type_figure(ctx, alarms))),
            F.panel(ctx.t("sensors.states"), F.graph(PAGE, "states", state_figure(ctx, SX.state_counts(latest)))),
            F.panel(f"{ctx.t('sensors.offline')} ({len(offline):,})",
                    _sensor_links(ctx, offline, OFFLINE_ID, lambda r: _silent(ctx, r))),
            F.panel(f"{ctx.t('sensors.beyond')} ({len(beyond):,})",
                    _sensor_links(ctx, beyond, BEYOND_ID, lambda r: _reading(ctx, r))),
        ], className="cv-panels"),
    ]
