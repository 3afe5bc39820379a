"""Base + delta: a feed load publishes a small delta file instead of a copy of the warehouse.

A published state is either one full snapshot ``vitals-<n>.duckdb`` or a pair: an immutable full
snapshot (the *base*) and a small native file ``delta-<m>.on-<n>.duckdb`` that holds

* every row of the big fact tables (``OVERLAY_KEYED``) that is new or changed since the base: a delta
  row replaces the base row of the same natural key;
* the rows the append-only tables (``OVERLAY_APPEND``: status history, rejects) gained since the base;
* a whole copy of every other table (units, sensors, alarms, etl_run ...: small next to the facts), so
  the loader reads and writes them as usual. Rosters are keyed like the facts: a city's 4.9M roster rows
  copied into every delta made it 340 MB, past the compaction limit, so every other feed copied the base.

Readers and the loader see the pair through views ``cases = delta ∪ (base anti-join delta keys)``; both
files are immutable once published, so the link target names one consistent state. The link's target
name says which base a delta sits on, so a reader needs no lookup to open the pair.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import duckdb

from etl import schema
from etl.rollup_sql import READINGS_ROLLUPS, ROLLUPS

OVERLAY_KEYED = ("cases", "hotline_orders", "sensor_readings", "staffing_roster")
OVERLAY_APPEND = ("case_status_history", "etl_reject")
OVERLAY = OVERLAY_KEYED + OVERLAY_APPEND
# Rollups (etl/rollups.py) are maintained by day partition: a delta holds every row of the days it
# recomputed and lists them in REPLACED (day NULL: the whole table was rebuilt); readers take those
# days from the delta and the other days from the base.
PARTITIONED = tuple(s.name for s in (*ROLLUPS, *READINGS_ROLLUPS))
# the order a rollup is stored in (``RollupSpec.order_by``: the day, or the bucket of the handling values)
_ORDER = {s.name: s.order_by for s in (*ROLLUPS, *READINGS_ROLLUPS)}
REPLACED = "overlay_replaced"
BASE = "__base"  # the base's catalog name in a delta writer and a reader
DELTA = "__delta"  # the delta's catalog name in a reader
VISIBLE_PREFIX = "__all_"  # the loader's temp view of base ∪ delta of an overlay table
DELTA_RE = re.compile(r"^delta-(\d+)\.on-(\d+)\.duckdb$")


def delta_name(number: int, base_number: int) -> str:
    return f"delta-{number}.on-{base_number}.duckdb"


def base_of(target: Path) -> Path | None:
    """The base snapshot a published delta file sits on (None for a full snapshot)."""
    m = DELTA_RE.match(target.name)
    return target.with_name(f"vitals-{m.group(2)}.duckdb") if m else None


def _sql_path(path: Path) -> str:
    """A file path as a SQL string literal (ATTACH takes no parameters); the path is ours."""
    return "'" + str(path).replace("'", "''") + "'"


def attach(con: duckdb.DuckDBPyConnection, path: Path, alias: str) -> None:
    con.execute(f"ATTACH {_sql_path(path)} AS {alias} (READ_ONLY)")


def union_sql(table: schema.Table, delta: str, base: str) -> str:
    """Rows readers see: the delta's, then the base's whose key the delta does not hold (keyed tables)."""
    cols = ", ".join(table.column_names)
    head = f"SELECT {cols} FROM {delta}{table.name}"
    if table.name in OVERLAY_APPEND:
        return f"{head} UNION ALL SELECT {cols} FROM {base}{table.name}"
    match = " AND ".join(f"d.{k} = b.{k}" for k in table.key)
    # ANTI JOIN, not NOT EXISTS: DuckDB plans the correlated subquery as a delim join that groups the
    # base's keys first (3-8x slower reads, bench/load_isolation_bench.py --overlay).
    return (f"{head} UNION ALL SELECT {', '.join('b.' + c for c in table.column_names)} FROM {base}{table.name} b"
            f" ANTI JOIN {delta}{table.name} d ON {match}")


def in_delta(con: duckdb.DuckDBPyConnection) -> bool:
    """True on a delta writer's connection (its base is attached)."""
    row = con.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = ?", [BASE]).fetchone()
    return bool(row and row[0])


def visible(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """The name the loader reads ``table``'s current rows under: on a delta writer, base ∪ delta."""
    return VISIBLE_PREFIX + table if table in OVERLAY and in_delta(con) else table


def create_writer_views(con: duckdb.DuckDBPyConnection) -> None:
    """Temp views base ∪ delta on a delta writer (the delta file is its default catalog, named in full
    so that a query shadowing a table name with a CTE, see :func:`shadowing`, cannot reach in)."""
    row = con.execute("SELECT current_database()").fetchone()
    delta = f'"{row[0] if row else ""}".main.'
    for name in OVERLAY:
        t = schema.TABLE_BY_NAME[name]
        con.execute(f"CREATE OR REPLACE TEMP VIEW {VISIBLE_PREFIX}{name} AS {union_sql(t, delta, BASE + '.')}")


def shadowing(con: duckdb.DuckDBPyConnection, *tables: str) -> str:
    """A WITH clause to put before generated SQL (the rollups') so that its unqualified fact table
    names read base ∪ delta on a delta writer; empty elsewhere."""
    parts = [f"{t} AS (SELECT * FROM {VISIBLE_PREFIX}{t})" for t in tables if t in OVERLAY]
    return "WITH " + ", ".join(parts) + " " if parts and in_delta(con) else ""


def replaced(con: duckdb.DuckDBPyConnection, table: str, days: Iterable[date] | None) -> None:
    """On a delta writer, record that the delta now holds every row of ``table`` for ``days`` (None:
    all of it, rebuilt); elsewhere nothing to do."""
    if not in_delta(con):
        return
    if days is None:
        con.execute(f"INSERT INTO {REPLACED} VALUES (?, NULL)", [table])
    else:
        con.execute(f"INSERT INTO {REPLACED} SELECT ?, unnest(?::DATE[])", [table, sorted(set(days))])


def _whole(con: duckdb.DuckDBPyConnection, catalog: str) -> set[str]:
    """Partitioned tables the delta in ``catalog`` rebuilt whole."""
    return {str(r[0]) for r in con.execute(f"SELECT DISTINCT tbl FROM {catalog}.{REPLACED} WHERE day IS NULL")
            .fetchall()}


def partition_union_sql(name: str, delta: str, base: str) -> str:
    """A partitioned table: the delta's rows, and the base's of the days the delta does not replace."""
    return (f"SELECT * FROM {delta}{name} UNION ALL SELECT b.* FROM {base}{name} b ANTI JOIN"
            f" (SELECT day FROM {delta}{REPLACED} WHERE tbl = '{name}') r ON r.day = b.day")


def base_columns_match(con: duckdb.DuckDBPyConnection, catalog: str) -> bool:
    """Whether ``catalog`` holds every declared table with every declared column (an older base lacking
    a table or column added since goes through the full copy path, which adds it)."""
    rows = con.execute("SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = ?"
                       " AND schema_name = 'main'", [catalog]).fetchall()
    present = {(str(t), str(c)) for t, c in rows}
    return all((t.name, c) in present for t in schema.TABLES for c in t.column_names)


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    rows = con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main'",
                       [catalog]).fetchall()
    return [r[0] for r in rows]


def open_pair(delta: Path, base: Path) -> duckdb.DuckDBPyConnection:
    """A read-only view of a published pair: an in-memory catalog of views over both files."""
    con = duckdb.connect()
    try:
        attach(con, base, BASE)
        attach(con, delta, DELTA)
        in_base, in_delta_file = set(_tables(con, BASE)), set(_tables(con, DELTA))
        whole = _whole(con, DELTA) if REPLACED in in_delta_file else set()
        for name in sorted((in_base | in_delta_file) - {REPLACED}):
            both = name in in_base and name in in_delta_file
            if name in OVERLAY and both:
                body = union_sql(schema.TABLE_BY_NAME[name], DELTA + ".", BASE + ".")
            elif name in PARTITIONED and both and name not in whole and REPLACED in in_delta_file:
                body = partition_union_sql(name, DELTA + ".", BASE + ".")  # names from our declarations
            else:
                body = f"SELECT * FROM {DELTA if name in in_delta_file else BASE}.{name}"
            con.execute(f"CREATE VIEW {name} AS {body}")  # names from the catalogs of our own files
    except BaseException:
        con.close()
        raise
    return con


def open_published(target: Path) -> duckdb.DuckDBPyConnection:
    """Open a published link target read-only: a full snapshot directly, a delta with its base."""
    base = base_of(target)
    if base is None:
        return duckdb.connect(str(target), read_only=True)
    return open_pair(target, base)


def merge_into(con: duckdb.DuckDBPyConnection, delta_catalog: str) -> None:
    """Fold an attached delta into the full warehouse open on ``con`` (compaction): keyed rows replace
    the base's, appended rows are added, the whole small tables are taken as the delta has them. New
    rows go in in their table's stored order, as loads store them."""
    for t in schema.TABLES:
        src = f"{delta_catalog}.{t.name}"
        cols = ", ".join(t.column_names)
        if t.name in OVERLAY_APPEND:
            con.execute(f"INSERT INTO {t.name} ({cols}) SELECT {cols} FROM {src}")
            continue
        if t.name not in OVERLAY_KEYED:
            con.execute(f"DELETE FROM {t.name}")
            con.execute(f"INSERT INTO {t.name} ({cols}) SELECT {cols} FROM {src}")
            continue
        match = " AND ".join(f"d.{k} = {t.name}.{k}" for k in t.key)
        order = f" ORDER BY {t.stored_order} NULLS LAST, {', '.join(t.key)}" if t.stored_order else (
            " ORDER BY ts, sensor_id" if t.name == "sensor_readings" else "")
        if t.stored_order:
            # Changed rows updated in place (they keep their place in the stored order), new ones
            # appended in stored order. UPDATE, not ON CONFLICT: cases and hotline orders have no
            # index (a base from before issue 19 may still have one; this works with both).
            sets = ", ".join(f"{c} = d.{c}" for c in t.column_names if c not in t.key)
            con.execute(f"UPDATE {t.name} SET {sets} FROM {src} d WHERE {match}")
            on = " AND ".join(f"d.{k} = b.{k}" for k in t.key)
            con.execute(f"INSERT INTO {t.name} ({cols}) SELECT {', '.join('d.' + c for c in t.column_names)}"
                        f" FROM {src} d ANTI JOIN {t.name} b ON {on}{order}")
        else:
            con.execute(f"DELETE FROM {t.name} WHERE EXISTS (SELECT 1 FROM {src} d WHERE {match})")
            con.execute(f"INSERT INTO {t.name} ({cols}) SELECT {cols} FROM {src}{order}")
    in_delta_file = set(_tables(con, delta_catalog))
    if REPLACED not in in_delta_file:
        return
    whole = _whole(con, delta_catalog)
    row = con.execute("SELECT current_database()").fetchone()
    present = set(_tables(con, str(row[0]) if row else ""))
    for name in PARTITIONED:
        if name not in in_delta_file:
            continue
        src = f"{delta_catalog}.{name}"
        if name in whole or name not in present:
            con.execute(f"DROP TABLE IF EXISTS {name}")
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM {src} ORDER BY {_ORDER[name]}")
            continue
        con.execute(f"DELETE FROM {name} WHERE day IN (SELECT day FROM {delta_catalog}.{REPLACED} WHERE tbl = ?)",
                    [name])
        con.execute(f"INSERT INTO {name} SELECT * FROM {src} ORDER BY {_ORDER[name]}")


def start_delta(con: duckdb.DuckDBPyConnection) -> None:
    """Fill a new, empty delta file (schema already created) with the base's small tables, and give it
    the base's partitioned tables, empty (no partition replaced yet)."""
    for t in schema.TABLES:
        if t.name in OVERLAY:
            continue
        cols = ", ".join(t.column_names)
        con.execute(f"INSERT INTO {t.name} ({cols}) SELECT {cols} FROM {BASE}.{t.name}")
    con.execute(f"CREATE TABLE IF NOT EXISTS {REPLACED} (tbl VARCHAR NOT NULL, day DATE)")
    in_base = set(_tables(con, BASE))
    for name in PARTITIONED:
        if name in in_base:
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM {BASE}.{name} LIMIT 0")
