"""What the warehouse holds: row counts, time range and freshness per source, and the ETL run log.

Non-indicator reads for the data-status page and the big-screen header. ``source_extents`` depends
only on the snapshot (cache it per snapshot); ``freshness`` adds the wall clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import pandas as pd

from etl.schema import PATH_COLUMNS


@dataclass(frozen=True)
class Source:
    key: str  # i18n suffix: source.<key>
    table: str
    ts_column: str | None  # the column whose maximum says how fresh the source is
    expected_minutes: int | None  # a source later than this is stale (None: static or event-driven)
    kind: str  # etl_run.kind that loads it


SOURCES: tuple[Source, ...] = (
    Source("units", "org_unit", None, None, "units"),
    Source("cases", "cases", "reported_at", 60, "cases"),
    Source("hotline", "hotline_orders", "received_at", 120, "hotline"),
    Source("sensors", "sensors", None, None, "sensors"),
    Source("readings", "sensor_readings", "ts", 90, "readings"),
    Source("alarms", "sensor_alarms", "started_at", None, "alarms"),
    Source("staffing", "staffing_roster", "start_at", 36 * 60, "staffing"),
)
SOURCE_BY_KEY = {s.key: s for s in SOURCES}


@dataclass(frozen=True)
class SourceExtent:
    """Per snapshot: how many rows a source has and the time range they cover."""

    key: str
    table: str
    rows: int
    first: datetime | None
    last: datetime | None
    last_load: datetime | None  # etl_run.finished_at (UTC) of the latest succeeded run of its kind


@dataclass(frozen=True)
class Freshness:
    key: str
    rows: int
    first: datetime | None
    last: datetime | None
    last_load: datetime | None
    age_minutes: float | None
    expected_minutes: int | None
    state: str  # ok | stale | empty | static


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()
    return {r[0] for r in rows}


def _as_dt(value: object) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, datetime.min.time())
    return None


def _last_loads(con: duckdb.DuckDBPyConnection, tables: set[str]) -> dict[str, datetime]:
    if "etl_run" not in tables:
        return {}
    rows = con.execute(
        "SELECT kind, max(finished_at) FROM etl_run WHERE status = 'succeeded' GROUP BY kind"
    ).fetchall()
    return {str(k): v for k, v in rows if v is not None}


def source_extents(con: duckdb.DuckDBPyConnection, units: frozenset[str] | None = None) -> tuple[SourceExtent, ...]:
    """Rows and time range per source; with ``units`` (a unit subtree), only the rows of those units
    (a 街镇 user's data-status page must not show district totals). Sensor readings carry no unit:
    they count through their sensor's."""
    tables = _tables(con)
    loads = _last_loads(con, tables)
    demo_load = loads.get("demo")
    out = []
    for s in SOURCES:
        if s.table not in tables:
            out.append(SourceExtent(s.key, s.table, 0, None, None, None))
            continue
        where, args = _unit_filter(con, s.table, units)
        cols = f"count(*), min({s.ts_column}), max({s.ts_column})" if s.ts_column else "count(*), NULL, NULL"
        got = con.execute(f"SELECT {cols} FROM {s.table} WHERE {where}", args).fetchone()
        rows, first, last = got or (0, None, None)
        last_load = loads.get(s.kind) or demo_load
        out.append(SourceExtent(s.key, s.table, int(rows or 0), _as_dt(first), _as_dt(last), last_load))
    return tuple(out)


UNIT_COLUMNS = (*PATH_COLUMNS, "unit_code")


def _unit_filter(con: duckdb.DuckDBPyConnection, table: str, units: frozenset[str] | None) -> tuple[str, list[object]]:
    """A WHERE clause (identifiers from our own schema, codes bound) keeping ``table``'s rows of ``units``."""
    if units is None:
        return "TRUE", []
    codes = sorted(units)
    if table == "org_unit":
        return "unit_code IN (SELECT unnest(?::VARCHAR[]))", [codes]
    if table == "sensor_readings":
        inner, args = _unit_filter(con, "sensors", units)
        return f"sensor_id IN (SELECT sensor_id FROM sensors WHERE {inner})", args
    present = {str(r[0]) for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ?",
        [table]).fetchall()}
    cols = [c for c in UNIT_COLUMNS if c in present]
    if not cols:
        return "FALSE", []  # rows that name no unit belong to no scope
    return " OR ".join(f"{c} IN (SELECT unnest(?::VARCHAR[]))" for c in cols), [codes] * len(cols)


def freshness(
    extents: tuple[SourceExtent, ...],
    now: datetime,
    expected: Mapping[str, int] | None = None,
) -> tuple[Freshness, ...]:
    """Age of each source at ``now`` (site-local naive time) and whether it is stale.

    ``expected`` overrides the expected interval (minutes) per source key (config ``[freshness]``).
    """
    expected = expected or {}
    out = []
    for e in extents:
        exp = expected.get(e.key, SOURCE_BY_KEY[e.key].expected_minutes)
        age = None if e.last is None else (now - e.last).total_seconds() / 60
        if e.rows == 0:
            state = "empty"
        elif SOURCE_BY_KEY[e.key].ts_column is None or exp is None:
            state = "static"
        else:
            state = "stale" if age is not None and age > exp else "ok"
        out.append(Freshness(e.key, e.rows, e.first, e.last, e.last_load, age, exp, state))
    return tuple(out)


def recent_runs(con: duckdb.DuckDBPyConnection, limit: int = 10) -> pd.DataFrame:
    cols = ["run_id", "kind", "source_system", "status", "rows_read", "rows_loaded", "rows_rejected", "finished_at",
            "message"]
    if "etl_run" not in _tables(con):
        return pd.DataFrame(columns=cols)
    return con.execute(
        f"SELECT {', '.join(cols)} FROM etl_run ORDER BY run_id DESC LIMIT ?", [int(limit)]
    ).df()


def warehouse_meta(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    if "warehouse_meta" not in _tables(con):
        return {}
    return {str(k): str(v) for k, v in con.execute("SELECT key, value FROM warehouse_meta").fetchall()}


def unit_counts(con: duckdb.DuckDBPyConnection, units: frozenset[str] | None = None) -> dict[str, int]:
    """Org units per level (of ``units`` only, when given)."""
    if "org_unit" not in _tables(con):
        return {}
    where, args = _unit_filter(con, "org_unit", units)
    return {str(k): int(v) for k, v in
            con.execute(f"SELECT level, count(*) FROM org_unit WHERE {where} GROUP BY level", args).fetchall()}
