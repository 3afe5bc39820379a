"""Reads behind the hotline page (12345 热线): filter choices, categories, repeat-complaint hotspots.

The four rates and their 12-month trend are catalog indicators (``indicator_values`` /
``monthly_trend``: one compiled scan each). Category counts and the order table share
``explore.view_where`` (received in the period + the page's filters), and a hotspot's drill
(``cell:ix:iy:metres`` or ``place:<unit>`` plus its category) uses the cell rule of
``metrics.hotline.cell_sql``, so a drilled table lists exactly the orders a bar or hotspot counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import duckdb
import pandas as pd

from .catalog import BY_ID, resolve
from .compiler import Bound, aggregate, as_of, depends_on_period, render, scope_sql, used_params
from .config import measure_params, metrics_overrides
from .explore import Drill, view_where
from .hotline import cell_size, repeat_complaints
from .indicators import data_now, months_back, scan, unit_level
from .model import IndicatorValue, status_of
from .predicates import HOTLINE
from .query import Period, Query, QueryError

RATE_IDS = ("hotline_first_contact_rate", "hotline_resolution_rate", "hotline_satisfaction_rate",
            "hotline_ontime_rate")
# closure rate and median time to close need only received/closed times: every 311 export has them
CLOSE_IDS = ("hotline_closure_rate", "hotline_close_p50")
KPI_IDS = ("hotline_orders", *RATE_IDS, *CLOSE_IDS, "hotline_backlog")
# the column each rate cannot be computed without (a source that lacks it has no such rate at all)
RATE_FIELDS = {"hotline_first_contact_rate": "first_contact", "hotline_resolution_rate": "resolution",
               "hotline_satisfaction_rate": "satisfaction", "hotline_ontime_rate": "due_at"}
TREND_COLUMNS = ["month", "metric_id", "numerator", "denominator", "value"]
HOT_MIN_COUNT = 3  # 顽症: the same place and category at least N times ...
HOT_WITHIN_DAYS = 30  # ... within M days
CELL_M = 100.0
Place = Literal["unit", "cell"]


@dataclass(frozen=True)
class HotspotRule:
    min_count: int = HOT_MIN_COUNT
    within_days: int = HOT_WITHIN_DAYS
    place: Place = "cell"
    cell_m: float = CELL_M


def filter_options(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    """Choices of the filter bar on this page: hotline categories (their own Chinese text), channels,
    statuses (value, label)."""
    out = {}
    for name, col in (("category", "category"), ("source", "channel"), ("status", "status")):
        vals = con.execute(f"SELECT DISTINCT {col} FROM hotline_orders WHERE {col} IS NOT NULL ORDER BY 1").fetchall()
        out[name] = [(str(v), str(v)) for (v,) in vals]
    return out


def category_counts(con: duckdb.DuckDBPyConnection, query: Query, drill: Drill | None = None) -> pd.DataFrame:
    """Orders received in the period per category and per (category, subcategory), one scan.
    Columns category, subcategory (None on the category rows), orders; most orders first."""
    where, params = view_where(con, "hotline_orders", query, drill)
    df = con.execute(
        f"SELECT category, subcategory, count(*) AS orders FROM hotline_orders WHERE {where} "
        "AND category IS NOT NULL GROUP BY GROUPING SETS ((category), (category, subcategory)) "
        "HAVING grouping(subcategory) = 1 OR subcategory IS NOT NULL "
        "ORDER BY orders DESC, category, subcategory NULLS FIRST", params).df()
    df["orders"] = df["orders"].astype("int64")
    return df


def hotspots(con: duckdb.DuckDBPyConnection, query: Query, rule: HotspotRule = HotspotRule()) -> pd.DataFrame:
    """``repeat_complaints`` with, per hotspot, the drill that lists its orders in the period
    (``drill`` column; the category goes with it as the ``category`` filter) and its cell indices."""
    if rule.cell_m > 10_000:
        raise QueryError("a hotspot cell can be at most 10 km wide")
    df = repeat_complaints(con, query, rule.min_count, rule.within_days, rule.place, rule.cell_m)
    # column-wise string concatenation: a Python f-string per row cost ~3 ms for a quarter's 3,400 cells
    place = df["place"].astype(object)
    df["drill"] = ("cell:" + place + f":{rule.cell_m:g}") if rule.place == "cell" else ("place:" + place)
    return df


def cell_centre(ix: int, iy: int, cell_m: float) -> tuple[float, float]:
    """(lon, lat) of a cell's centre."""
    dlon, dlat = cell_size(cell_m)
    return (ix + 0.5) * dlon, (iy + 0.5) * dlat


def drill_count(con: duckdb.DuckDBPyConnection, query: Query, drill: Drill) -> int:
    """Orders behind a drill (the order table's total); raises ``QueryError`` for a drill this table lacks."""
    where, params = view_where(con, "hotline_orders", query, drill)
    return int(con.execute(f"SELECT count(*) FROM hotline_orders WHERE {where}", params).fetchone()[0])  # type: ignore[index]


# The period predicate each rate is anchored on, and the column whose month it falls in.
ANCHORS = {"received": "received_at", "due_in_period": "due_at"}
SPAN = Bound("$ts", "$te", "$ta")  # ``rate_trend``'s months together: first start, last end, as-of


def rate_trend(con: duckdb.DuckDBPyConnection, query: Query, months: int = 12,
               ids: tuple[str, ...] = RATE_IDS, *, overrides: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The rates for the ``months`` calendar months up to the one containing the period's last day:
    columns month (first day), metric_id, numerator, denominator, value — what ``monthly_trend`` gives,
    in one grouped scan per anchor column instead of one predicate per row and month (≈10× cheaper at
    district scale). The SQL is built from the indicators' declarations (their predicates and measures),
    and the tests check it against ``monthly_trend``."""
    inds = [BY_ID[i] for i in ids]
    periods = months_back((query.period.end - timedelta(seconds=1)).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0), months)
    where, params = scope_sql(HOTLINE, query, unit_level(con, query.unit))
    span = Period(periods[0].start, periods[-1].end)
    # the months' anchors over the whole span at once: each month's as-of bound min(month end, now) cuts
    # the span at min(span end, now) (earlier months end before now, later ones count nothing)
    params.update(ts=span.start, te=span.end, ta=as_of(span, data_now(con)))
    by_anchor: dict[str, list[str]] = {}
    for ind in inds:
        for part, agg in (("num", ind.numerator), ("den", ind.denominator)):
            if agg is None or agg.table != HOTLINE.name:
                raise QueryError(f"{ind.id} is not a hotline rate")
            anchored = [p for p in agg.filter if p in ANCHORS]
            if len(anchored) != 1:
                raise QueryError(f"{ind.id} has no single period anchor")
            if any(depends_on_period(HOTLINE, p) for p in agg.filter if p not in ANCHORS):
                raise QueryError(f"{ind.id} depends on the period beyond its anchor")
            call, _ = aggregate(HOTLINE, agg, leave_out=ANCHORS)
            by_anchor.setdefault(anchored[0], []).append(f"{call} AS \"{ind.id}:{part}\"")
    weights = measure_params(metrics_overrides(overrides))
    frames = []
    for anchor, aggs in by_anchor.items():
        col = ANCHORS[anchor]
        # year*12+month groups ~2× faster than date_trunc('month', …) in DuckDB 1.5
        span_where = render(HOTLINE, (anchor,), SPAN).where
        sql = (f"SELECT year({col}) * 12 + month({col}) - 1 AS ym, {', '.join(aggs)} FROM hotline_orders "
               f"WHERE {' AND '.join(f'({w})' for w in where)} AND {span_where} GROUP BY 1")
        # bind only the parameters this statement names (DuckDB refuses unused ones)
        df = con.execute(sql, used_params(sql, {**params, **weights})).df()
        frames.append(df.set_index("ym"))
    wide = pd.concat(frames, axis=1) if frames else pd.DataFrame()
    rows = []
    for p in periods:
        ym = p.start.year * 12 + p.start.month - 1
        got = wide.loc[ym] if ym in wide.index else None
        for ind in inds:
            num = None if got is None else got.get(f"{ind.id}:num")
            den = None if got is None else got.get(f"{ind.id}:den")
            num = None if num is None or pd.isna(num) else float(num)
            den = None if den is None or pd.isna(den) else float(den)
            value = num / den if num is not None and den else None
            rows.append({"month": p.start.date(), "metric_id": ind.id, "numerator": num,
                         "denominator": den, "value": value})
    return pd.DataFrame(rows, columns=["month", "metric_id", "numerator", "denominator", "value"])


def fields_present(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """Which of the rates' fields (``RATE_FIELDS``) the loaded orders carry at all (a value in any row):
    a US 311 export has no first contact, resolution or satisfaction. Per snapshot, not per query: a
    field the source has is shown even for a period where it happens to be empty."""
    cols = sorted(set(RATE_FIELDS.values()))
    row = con.execute(f"SELECT {', '.join(f'count({c})' for c in cols)} FROM hotline_orders").fetchone()
    return frozenset(c for c, n in zip(cols, row or (), strict=False) if n)


def kpis_and_month(con: duckdb.DuckDBPyConnection, query: Query, month: Period | None = None, *,
                   overrides: Mapping[str, Any] | None = None
                   ) -> tuple[dict[str, IndicatorValue], pd.DataFrame | None]:
    """The page's KPI strip (``KPI_IDS``; only the order count with its previous value) and, given a
    calendar ``month``, the four rates of that month as ``rate_trend`` rows (the trend's live month),
    from ONE scan: the month is one more period slot of the KPI statement, computed for the rates only
    (when the month is the query period itself, the KPI values are reused). What ``indicator_values``
    + ``rate_trend(con, replace(query, period=month), 1)`` give in three scans (tested against both)."""
    cfg = metrics_overrides(overrides)
    inds = resolve(list(KPI_IDS), cfg)
    p = query.period
    periods = [p, p.previous()]
    same = month is not None and (month.start, month.end) == (p.start, p.end)
    slot = 0 if same or month is None else 2
    if slot:
        periods.append(month)  # type: ignore[arg-type]
    slots = {"hotline_orders": (0, 1), "hotline_backlog": (0,), **{k: (0,) for k in CLOSE_IDS},
             **{k: (0, slot) for k in RATE_IDS}}
    results = scan(con, inds, query, periods, None, cfg, slots=slots)
    vals = {}
    for ind in inds:
        cur, prev = results[ind.id][""][:2]
        vals[ind.id] = IndicatorValue(ind.id, ind.zh, ind.en, ind.unit, ind.direction, cur[0], cur[1], cur[2],
                                      prev[2] if ind.id == "hotline_orders" else None, ind.target,
                                      status_of(ind, cur[2]))
    if month is None:
        return vals, None
    rows = [{"month": month.start.date(), "metric_id": k, "numerator": results[k][""][slot][0],
             "denominator": results[k][""][slot][1], "value": results[k][""][slot][2]} for k in RATE_IDS]
    return vals, pd.DataFrame(rows, columns=TREND_COLUMNS)
