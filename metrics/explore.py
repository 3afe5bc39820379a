"""Non-indicator reads for the leader and analyst pages: distributions, heat maps, paged row tables.

Indicator numbers come from the metrics API (``indicator_table``, ``ranking`` ...); this module answers
the "what do the rows look like" questions. Every count here and the row table it drills into share
one WHERE (``view_where``), so a drilled table lists exactly the rows a figure counted.

A ``Drill`` narrows a row table to one figure element: ``Drill("hour_dow", "9:2")`` (09:00–10:00 on a
Wednesday), ``Drill("day", "2026-11-03")``, ``Drill("category", "E01")``, ``Drill("unit", code)``,
``Drill("hours", "4")`` (handling time bucket [4, 8) hours).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

import duckdb
import pandas as pd

from etl.schema import PATH_LEVELS

from .compiler import (
    ORG_LEVEL_COLUMN,
    Bound,
    as_of,
    fact_table,
    period_bound,
    period_params,
    render,
    scope_sql,
    unit_clause,
)
from .connection import registered
from .hierarchy import child_of
from .hotline import cell_sql
from .indicators import Now, data_now, unit_level, unit_scope, unscoped
from .panel_rollup import HOUR_BUCKETS
from .query import Period, Query, QueryError

CASE_COLUMNS = ("case_id", "reported_at", "category_code", "major_code", "source", "urgency", "status",
                "registered_at", "closed_at", "deadline_at", "station_code", "dept_code", "town_code", "grid_code",
                "village_code", "address")
HOTLINE_COLUMNS = ("order_id", "received_at", "channel", "category", "subcategory", "urgency", "status",
                   "resolution", "satisfaction", "due_at", "closed_at", "town_code", "grid_code", "village_code",
                   "address", "citizen_name", "citizen_phone")
SORTABLE = {"cases": set(CASE_COLUMNS), "hotline_orders": set(HOTLINE_COLUMNS)}
TIME_COLUMN = {"cases": "reported_at", "hotline_orders": "received_at"}
# ``due_month:YYYY-MM[:station]``: the station cases due (应结案) in that month — the denominator of the
# month's 联勤联动事项结案率 on /stations (its own period, not the page's reported_at window)
DUE_MONTH = "due_month"
CaseBy = Literal["category", "major", "day", "source", "unit", "status", "urgency", "station", "department"]


@dataclass(frozen=True)
class Drill:
    """One figure element: the rows behind it."""

    kind: str
    value: str

    @staticmethod
    def parse(text: str | None) -> Drill | None:
        if not text:
            return None
        kind, sep, value = text.partition(":")
        if not sep or kind not in ("hour_dow", "day", "category", "unit", "hours", "source", "status", "station",
                                   "department", DUE_MONTH, "subcategory", "cell", "place") or not value:
            raise QueryError(f"cannot drill into {text!r}")
        return Drill(kind, value)

    def text(self) -> str:
        return f"{self.kind}:{self.value}"


def view_where(con: duckdb.DuckDBPyConnection, table: str, query: Query, drill: Drill | None = None
           ) -> tuple[str, dict[str, Any]]:
    ft = fact_table(table)
    where, params = scope_sql(ft, query, unit_level(con, query.unit))
    if drill is not None and drill.kind == DUE_MONTH:
        clause, extra = _due_month_sql(ft, drill, data_now(con))
        return " AND ".join(f"({w})" for w in [*where, clause]), {**params, **extra}
    ts = TIME_COLUMN[table]
    where.append(f"{ts} >= $s AND {ts} < $e")
    params.update(s=query.period.start, e=query.period.end)
    if drill is not None:
        clause, extra = _drill_sql(con, table, drill)
        where.append(clause)
        params.update(extra)
    return " AND ".join(f"({w})" for w in where), params


def _due_month_sql(ft: Any, drill: Drill, now: datetime | None) -> tuple[str, dict[str, Any]]:
    """The rows the station closure rate's denominator counts for one month (optionally one station)."""
    if ft.name != "cases":
        raise QueryError(f"cannot drill into {drill.text()!r} here")
    month, _, station = drill.value.partition(":")
    try:
        first = datetime.strptime(month, "%Y-%m")
    except ValueError:
        raise QueryError(f"cannot drill into {drill.text()!r}") from None
    nxt = datetime(first.year + (first.month == 12), first.month % 12 + 1, 1)
    due = render(ft, ("due", "at_station"), period_bound(0))
    clause = due.where
    # cases due so far: as of min(month end, data now), as station_trend counts them
    params: dict[str, Any] = {k: v for k, v in period_params([Period(first, nxt)], now).items() if k in due.params}
    if station:
        if not re.fullmatch(r"[A-Za-z0-9_\-.]{1,40}", station):
            raise QueryError(f"cannot drill into {drill.text()!r}")
        clause += " AND station_code = $d_st"
        params["d_st"] = station
    return clause, params


def _drill_sql(con: duckdb.DuckDBPyConnection, table: str, drill: Drill) -> tuple[str, dict[str, Any]]:
    ts = TIME_COLUMN[table]
    v = drill.value
    try:
        if drill.kind == "hour_dow":
            hour, dow = (int(x) for x in v.split(":"))
            if not (0 <= hour < 24 and 0 <= dow < 7):
                raise ValueError
            return f"hour({ts}) = $d_hour AND isodow({ts}) - 1 = $d_dow", {"d_hour": hour, "d_dow": dow}
        if drill.kind == "day":
            day = date.fromisoformat(v)
            return f"{ts} >= $d_s AND {ts} < $d_e", {"d_s": datetime(day.year, day.month, day.day),
                                                     "d_e": datetime(day.year, day.month, day.day) + timedelta(days=1)}
        if drill.kind == "hours" and table == "cases":
            lo = float(v)
            if lo not in HOUR_BUCKETS:
                raise ValueError
            i = HOUR_BUCKETS.index(lo)
            hi = HOUR_BUCKETS[i + 1] if i + 1 < len(HOUR_BUCKETS) else 1e12
            hours = handling_hours()
            return (f"closed_at IS NOT NULL AND registered_at IS NOT NULL AND "
                    f"{hours} >= $d_lo AND {hours} < $d_hi"), {"d_lo": lo, "d_hi": hi}
        if drill.kind == "cell" and table == "hotline_orders":
            return _cell_drill(v)
    except ValueError as exc:
        raise QueryError(f"cannot drill into {drill.text()!r}") from exc
    column = {
        ("cases", "category"): "category_code", ("cases", "source"): "source", ("cases", "status"): "status",
        ("cases", "station"): "station_code", ("cases", "department"): "dept_code",
        ("hotline_orders", "category"): "category", ("hotline_orders", "source"): "channel",
        ("hotline_orders", "status"): "status", ("hotline_orders", "subcategory"): "subcategory",
        ("hotline_orders", "place"): "unit_code",
    }.get((table, drill.kind))
    if drill.kind == "unit":  # a unit's subtree, as the query's own unit scopes it
        return unit_clause(v, unit_level(con, v), param="d_v")
    if column is None:
        raise QueryError(f"cannot drill into {drill.text()!r} here")
    if column == "station_code" and v == "*":  # every station case (the /stations page without a station)
        return "station_code IS NOT NULL", {}
    if column == "category_code":
        return "starts_with(category_code, $d_v)", {"d_v": v}
    return f"{column} = $d_v", {"d_v": v}


def handling_hours() -> str:
    """Hours from registration (立案) to closure of a case row: the declared ``handling_hours`` measure,
    the one the handling-time indicators take quantiles of."""
    return str(render(fact_table("cases"), (), measure="handling_hours").measure)


def _cell_drill(value: str) -> tuple[str, dict[str, Any]]:
    """``ix:iy:metres``: the orders in one hotspot cell (``metrics.hotline.cell_sql``'s rule)."""
    ix_s, iy_s, m_s = value.split(":")
    ix, iy, metres = int(ix_s), int(iy_s), float(m_s)
    if not 1 <= metres <= 10_000:
        raise ValueError
    ix_sql, iy_sql, params = cell_sql(metres)
    return f"{ix_sql} = $d_ix AND {iy_sql} = $d_iy", {**params, "d_ix": ix, "d_iy": iy}


# --- units --------------------------------------------------------------------------------------


def unit_tree(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every org unit down to 村居 (the slots with a path column, city to village): unit_code,
    parent_code, level, name_zh, name_en."""
    return con.execute(
        "SELECT unit_code, parent_code, level, name_zh, name_en FROM org_unit "
        "WHERE list_contains($levels, level) ORDER BY level, unit_code", {"levels": list(PATH_LEVELS)}).df()


def child_level(con: duckdb.DuckDBPyConnection, query: Query) -> str:
    """The level a breakdown of the query's scope groups by: the next level the hierarchy uses."""
    return child_of(con, unit_level(con, query.unit))


# --- cases --------------------------------------------------------------------------------------


def case_counts(con: duckdb.DuckDBPyConnection, query: Query, by: CaseBy, drill: Drill | None = None
                ) -> pd.DataFrame:
    """Cases reported in the period per key: columns key, label, cases (sorted by cases, desc; day: by day)."""
    where, params = view_where(con, "cases", query, drill)
    if by == "unit":
        col = ORG_LEVEL_COLUMN[child_level(con, query)]
        sql = (f"WITH c AS (SELECT * FROM cases WHERE {where}) "
               f"SELECT c.{col} AS key, coalesce(u.name_zh, c.{col}) AS label, count(*) AS cases FROM c "
               f"LEFT JOIN org_unit u ON u.unit_code = c.{col} WHERE c.{col} IS NOT NULL "
               "GROUP BY 1, 2 ORDER BY 3 DESC, 1")
    elif by == "category":
        sql = (f"WITH c AS (SELECT * FROM cases WHERE {where}) "
               f"SELECT c.category_code AS key, coalesce(k.minor_name, c.category_code) AS label, count(*) AS cases "
               f"FROM c LEFT JOIN case_category k ON k.category_code = c.category_code "
               f"GROUP BY 1, 2 ORDER BY 3 DESC, 1")
    elif by == "major":
        # a major class is (family, major_code): 部件 03 and 事件 03 are different classes (and 市容环境 is a
        # major name in both families). Its key is the category-code prefix without the 3-digit minor code
        # (what Query.category filters on).
        sql = (f"WITH c AS (SELECT * FROM cases WHERE {where}) "
               "SELECT min(substr(c.category_code, 1, length(c.category_code) - 3)) AS key, "
               "coalesce(any_value(k.major_name), min(substr(c.category_code, 1, length(c.category_code) - 3))) "
               "AS label, any_value(coalesce(c.family, k.family)) AS family, count(*) AS cases FROM c "
               "LEFT JOIN case_category k ON k.category_code = c.category_code "
               "GROUP BY coalesce(c.family, k.family), coalesce(c.major_code, k.major_code), "
               "CASE WHEN coalesce(c.major_code, k.major_code) IS NULL THEN c.category_code END "
               "ORDER BY cases DESC, key")
        df = con.execute(sql, params).df()
        dup = df["label"].duplicated(keep=False)
        df["label"] = [f"{lab}（{fam}）" if d and fam else lab for lab, fam, d in
                       zip(df["label"], df["family"], dup, strict=True)]
        df = df.drop(columns="family")
        df["cases"] = df["cases"].astype("int64")
        return df
    elif by == "day":
        sql = (f"SELECT strftime(reported_at, '%Y-%m-%d') AS key, strftime(reported_at, '%Y-%m-%d') AS label, "
               f"count(*) AS cases FROM cases WHERE {where} GROUP BY 1, 2 ORDER BY 1")
    elif by == "department":  # labelled with the department's name
        sql = (f"WITH c AS (SELECT dept_code FROM cases WHERE {where} AND dept_code IS NOT NULL) "
               "SELECT c.dept_code AS key, coalesce(any_value(d.name_zh), c.dept_code) AS label, count(*) AS cases "
               "FROM c LEFT JOIN department d ON d.dept_code = c.dept_code GROUP BY c.dept_code ORDER BY 3 DESC, 1")
    else:
        plain = {"source": "source", "status": "status", "urgency": "urgency", "station": "station_code",
                 "department": "dept_code"}.get(by)
        if plain is None:
            raise QueryError(f"cases cannot be counted by {by!r}")
        sql = (f"SELECT {plain} AS key, {plain} AS label, count(*) AS cases FROM cases WHERE {where} "
               f"AND {plain} IS NOT NULL GROUP BY 1 ORDER BY 3 DESC, 1")
    df = con.execute(sql, params).df()
    df["cases"] = df["cases"].astype("int64")
    return df


def case_heatmap(con: duckdb.DuckDBPyConnection, query: Query) -> pd.DataFrame:
    """A full 7 × 24 grid of cases reported: columns dow (0 = Monday), hour, cases (0 where none)."""
    where, params = view_where(con, "cases", query)
    got = con.execute(f"SELECT isodow(reported_at) - 1 AS dow, hour(reported_at) AS hour, count(*) AS cases "
                      f"FROM cases WHERE {where} GROUP BY 1, 2", params).df()
    grid = pd.DataFrame([(d, h) for d in range(7) for h in range(24)], columns=["dow", "hour"])
    out = grid.merge(got.astype("int64"), on=["dow", "hour"], how="left")
    out["cases"] = out["cases"].fillna(0).astype("int64")
    return out


def handling_distribution(con: duckdb.DuckDBPyConnection, query: Query) -> pd.DataFrame:
    """Closed cases reported in the period by handling time (立案 → 结案) bucket: lo, hi, cases."""
    where, params = view_where(con, "cases", query)
    edges = ", ".join(str(float(b)) for b in HOUR_BUCKETS)
    got = con.execute(
        f"SELECT list_extract([{edges}], (SELECT count(*) FROM unnest([{edges}]) AS b(x) "
        f"WHERE x <= {handling_hours()})::INTEGER) AS lo, count(*) AS cases "
        f"FROM cases WHERE {where} AND closed_at IS NOT NULL AND registered_at IS NOT NULL "
        f"AND closed_at >= registered_at GROUP BY 1", params).df()
    rows = []
    for i, lo in enumerate(HOUR_BUCKETS):
        hi = HOUR_BUCKETS[i + 1] if i + 1 < len(HOUR_BUCKETS) else None
        n = got.loc[got["lo"] == lo, "cases"].sum() if len(got) else 0
        rows.append({"lo": lo, "hi": hi, "cases": int(n)})
    return pd.DataFrame(rows)


def case_points(con: duckdb.DuckDBPyConnection, query: Query, limit: int = 5000, recent_days: float | None = 3,
                now: Now = ...) -> pd.DataFrame:
    """Up to ``limit`` case locations (lon, lat, case_id, category_code), newest first, for the map.

    ``recent_days``: look in the last days before the period's as-of instant first — at district scale
    a few days hold thousands of cases, and a top-N over them is cheaper than over the whole period;
    when they hold fewer than ``limit`` the whole period is read. Same rows either way (the newest
    ``limit`` are in the recent days whenever these hold ``limit`` of them). Only for the whole
    warehouse: a unit or a filter is pushed into the table scan, the top-N over its rows is cheap, and
    its recent days seldom hold ``limit`` cases (two statements instead of one: measured twice the
    cost). ``now``: the data's 'now' if the caller holds it (default: read it)."""
    where, params = view_where(con, "cases", query)
    sql = (f"SELECT case_id, category_code, lon, lat FROM cases WHERE {where} AND lon IS NOT NULL{{extra}} "
           f"ORDER BY reported_at DESC, case_id LIMIT {int(limit)}")
    if recent_days is not None and unscoped(query):
        bound = as_of(query.period, data_now(con) if now is ... else now) - timedelta(days=recent_days)
        if bound > query.period.start:
            got = con.execute(sql.format(extra=" AND reported_at >= $recent"), {**params, "recent": bound}).df()
            if len(got) >= limit:
                return got
    return con.execute(sql.format(extra=""), params).df()


def rows(con: duckdb.DuckDBPyConnection, table: Literal["cases", "hotline_orders"], query: Query,
         drill: Drill | None = None, limit: int = 100, offset: int = 0,
         sort: Sequence[tuple[str, str]] = ()) -> tuple[pd.DataFrame, int]:
    """One page of the rows behind a view: (page, total). ``sort``: (column, 'asc'|'desc') pairs."""
    if limit < 0 or offset < 0:
        raise QueryError("a page cannot start or end before the first row")
    where, params = view_where(con, table, query, drill)
    cols = CASE_COLUMNS if table == "cases" else HOTLINE_COLUMNS
    order = []
    for col, direction in sort:
        if col not in SORTABLE[table] or direction not in ("asc", "desc"):
            raise QueryError(f"cannot sort by {col!r}")
        order.append(f"{col} {direction.upper()}")
    order.append(f"{TIME_COLUMN[table]} DESC, {cols[0]}")
    total = int(con.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchone()[0])  # type: ignore[index]
    page = con.execute(f"SELECT {', '.join(cols)} FROM {table} WHERE {where} ORDER BY {', '.join(order)} "
                       f"LIMIT {int(limit)} OFFSET {int(offset)}", params).df()
    return page, total


# --- hotline ------------------------------------------------------------------------------------


def hotline_counts(con: duckdb.DuckDBPyConnection, query: Query, by: Literal["category", "channel", "unit"],
                   drill: Drill | None = None) -> pd.DataFrame:
    where, params = view_where(con, "hotline_orders", query, drill)
    col = {"category": "category", "channel": "channel"}.get(by) or ORG_LEVEL_COLUMN[child_level(con, query)]
    df = con.execute(f"SELECT {col} AS key, {col} AS label, count(*) AS orders FROM hotline_orders "
                     f"WHERE {where} AND {col} IS NOT NULL GROUP BY 1 ORDER BY 3 DESC, 1", params).df()
    df["orders"] = df["orders"].astype("int64")
    return df


# --- sensors ------------------------------------------------------------------------------------


def sensor_list(con: duckdb.DuckDBPyConnection, query: Query) -> pd.DataFrame:
    scope, params, _ = unit_scope(con, query)
    return con.execute(f"SELECT sensor_id, name, sensor_type, metric, uom, threshold_warning, threshold_alarm, "
                       f"expected_interval_min, town_code, grid_code, lon, lat FROM sensors WHERE {scope} "
                       "ORDER BY sensor_type, sensor_id", params).df()


def sensor_series(con: duckdb.DuckDBPyConnection, sensor_id: str, query: Query, max_points: int = 2000
                  ) -> pd.DataFrame:
    """One sensor's readings in the period (ts, value), thinned to at most ``max_points`` by averaging."""
    span = max((query.period.end - query.period.start).total_seconds(), 1.0)
    step = max(int(span // max_points), 1)
    return con.execute(
        "SELECT to_timestamp(floor(epoch(ts) / $step) * $step)::TIMESTAMP AS ts, avg(value) AS value "
        "FROM sensor_readings WHERE sensor_id = $id AND ts >= $s AND ts < $e GROUP BY 1 ORDER BY 1",
        {"id": sensor_id, "s": query.period.start, "e": query.period.end, "step": step}).df()


def offline_sensors(con: duckdb.DuckDBPyConnection, query: Query, as_of: datetime) -> pd.DataFrame:
    """Sensors in scope without a reading in their expected interval before ``as_of``, longest silent first."""
    scope, unit, _ = unit_scope(con, query, "s")
    params: dict[str, Any] = {"at": as_of, **unit}
    return con.execute(
        f"SELECT s.sensor_id, s.name, s.sensor_type, s.town_code, s.grid_code, max(r.ts) AS last_reading "
        f"FROM sensors s LEFT JOIN sensor_readings r ON r.sensor_id = s.sensor_id AND r.ts < $at "
        f"WHERE {scope} AND (s.installed_at IS NULL OR s.installed_at <= $at) GROUP BY ALL "
        f"HAVING max(r.ts) IS NULL OR max(r.ts) < $at - to_minutes(coalesce(any_value(s.expected_interval_min), 60)"
        f"::BIGINT) ORDER BY last_reading NULLS FIRST, s.sensor_id", params).df()


def unit_shapes(con: duckdb.DuckDBPyConnection, codes: Sequence[str]) -> pd.DataFrame:
    """unit_code, name_zh, geojson for the given units (no geometry: not listed)."""
    if not codes:
        return pd.DataFrame(columns=["unit_code", "name_zh", "geojson"])
    return con.execute("SELECT g.unit_code, u.name_zh, g.geojson FROM unit_geometry g JOIN org_unit u "
                       "USING (unit_code) WHERE g.unit_code IN (SELECT unnest($codes))",
                       {"codes": list(codes)}).df()


def filter_options(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    """Choices of the filter bar: major categories, case sources, case statuses (value, label)."""
    majors = con.execute("SELECT substr(category_code, 1, 3), any_value(major_name) FROM case_category "
                         "GROUP BY 1 ORDER BY 1").fetchall()
    sources = con.execute("SELECT DISTINCT source FROM cases WHERE source IS NOT NULL ORDER BY 1").fetchall()
    statuses = con.execute("SELECT DISTINCT status FROM cases WHERE status IS NOT NULL ORDER BY 1").fetchall()
    return {"category": [(str(c), f"{c} {n or ''}".strip()) for c, n in majors],
            "source": [(str(s), str(s)) for (s,) in sources], "status": [(str(s), str(s)) for (s,) in statuses]}


def code_names(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """Names behind the codes a case row carries, per column: category_code -> "大类 / 小类" (the
    major name alone is ambiguous: 部件 and 事件 reuse major codes), station_code and dept_code -> name."""
    cats = con.execute("SELECT category_code, major_name, minor_name FROM case_category").fetchall()
    stations = con.execute("SELECT station_code, name_zh FROM station").fetchall()
    depts = con.execute("SELECT dept_code, name_zh FROM department").fetchall()
    return {
        "category_code": {str(c): " / ".join(str(x) for x in (major, minor) if x) or str(c)
                          for c, major, minor in cats},
        "station_code": {str(c): str(n or c) for c, n in stations},
        "dept_code": {str(c): str(n or c) for c, n in depts},
    }


def scope_code_names(con: duckdb.DuckDBPyConnection, unit: str | None) -> dict[str, dict[str, str]]:
    """``code_names`` limited to what a unit subtree's case rows can show: the stations and departments
    its cases name (a scoped reader's table never carries, even hidden, the names of another town's
    stations); categories are the district's catalogue and stay whole."""
    names = code_names(con)
    scope, params = unit_clause(unit, unit_level(con, unit))
    rows = con.execute(f"SELECT DISTINCT station_code, dept_code FROM cases WHERE {scope}", params).fetchall()
    stations = {str(s) for s, _ in rows if s is not None}
    depts = {str(d) for _, d in rows if d is not None}
    return {"category_code": names["category_code"],
            "station_code": {c: n for c, n in names["station_code"].items() if c in stations},
            "dept_code": {c: n for c, n in names["dept_code"].items() if c in depts}}


_OPEN_OVERDUE = "__ex_open_overdue"  # the name ``overdue_cases`` registers an ``OpenOverdue`` set under


def _overdue_at() -> str:
    """Open at ``$a`` and past the deadline at ``$a``: the ``overdue_backlog`` indicator's predicates."""
    return render(fact_table("cases"), ("open_at_end", "overdue_at_end"), Bound(None, None, "$a")).where


@dataclass(frozen=True)
class OpenOverdue:
    """Every case open past its deadline at ``at`` (the whole warehouse, all columns): a few thousand of
    the million cases. A caller may keep it per snapshot for the data's 'now' and hand it to
    ``overdue_cases``, which then filters it instead of scanning ``cases`` (every current period's list
    is taken at that instant)."""

    at: datetime
    rows: Any  # a pyarrow.Table with the columns of ``cases``


def open_overdue(con: duckdb.DuckDBPyConnection, at: datetime) -> OpenOverdue:
    ft = fact_table("cases")
    return OpenOverdue(at, con.execute(f"SELECT * FROM cases WHERE ({ft.base}) AND {_overdue_at()}",
                                       {"a": at}).to_arrow_table())


def overdue_cases(con: duckdb.DuckDBPyConnection, query: Query, drill: Drill | None = None, limit: int = 20,
                  *, now: Now = ..., kept: OpenOverdue | None = None) -> tuple[pd.DataFrame, int]:
    """Cases in scope open past their deadline at the period's as-of instant, min(period end, data
    'now') — the same instant as the ``overdue_backlog`` indicator (oldest deadline first): (page, total).
    ``kept``: the ``open_overdue`` set of that instant, if the caller has it (else it is ignored)."""
    ft = fact_table("cases")
    where, params = scope_sql(ft, query, unit_level(con, query.unit))
    where.append(_overdue_at())
    params["a"] = as_of(query.period, data_now(con) if now is ... else now)
    if drill is not None:
        clause, extra = _drill_sql(con, "cases", drill)
        where.append(clause)
        params.update(extra)
    w = " AND ".join(f"({x})" for x in where)
    cols = ("case_id", "category_code", "status", "registered_at", "deadline_at", "station_code", "dept_code",
            "town_code", "grid_code", "address")
    # the same statement over the kept set: it holds exactly the rows the overdue predicate keeps at
    # this instant, so the WHERE (scope, filters, drill, predicate again) selects the same rows
    src = _OPEN_OVERDUE if kept is not None and kept.at == params["a"] else "cases"
    # one statement: the matching (id, deadline) pairs are filtered once into a small materialized set
    # that gives both the total and the page's ids; only the page's rows are read in full. (A window
    # count(*) OVER () with the page was slower: it carries every matching row's columns to the sort.)
    sql = (f"WITH k AS MATERIALIZED (SELECT case_id, deadline_at FROM {src} WHERE {w}), "
           f"t AS (SELECT * FROM k ORDER BY deadline_at, case_id LIMIT {int(limit)}), "
           f"p AS (SELECT {', '.join(f'c.{c}' for c in cols)} FROM t JOIN {src} c USING (case_id)) "
           "SELECT n.total, p.* FROM (SELECT count(*) AS total FROM k) n LEFT JOIN p ON true "
           "ORDER BY p.deadline_at, p.case_id")
    if src == "cases":
        got = con.execute(sql, params).df()
    else:
        with registered(con, _OPEN_OVERDUE, kept.rows):  # type: ignore[union-attr]
            got = con.execute(sql, params).df()
    total = int(got["total"].iloc[0])
    page = got[got["case_id"].notna()].drop(columns="total").reset_index(drop=True)
    return page, total
