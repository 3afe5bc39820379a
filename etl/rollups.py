"""Build and maintain the rollup tables (``etl/rollup_sql.py``, generated from the metrics declarations).

A rollup row is a function of the fact rows whose anchor timestamp falls on its day, so maintenance is
"recompute these day partitions from the fact table": a load records the anchor days its changed rows
had before and have after (``touched_days``: a late update that moves a case's registration moves it
between two days, both recomputed) and ``refresh_rollups`` deletes and re-inserts those days, in the
load's own transaction. A warehouse whose rollups were built from other declarations (or none) gets
a full build instead (``build_rollups``), so the first load after a change of declarations repairs it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from datetime import date, timedelta

import duckdb

from etl import schema
from etl.overlay import replaced, shadowing, visible
from etl.rollup_spec import RollupSpec
from etl.rollup_sql import FINGERPRINT, ROLLUPS

__all__ = ["FACTS", "FINGERPRINT", "ROLLUPS", "build_rollups", "current", "mark_current", "refresh_rollups",
           "touched_days"]

META_KEY = "rollups"
FACTS: tuple[str, ...] = tuple(dict.fromkeys(s.fact for s in ROLLUPS))


def anchors(fact: str) -> tuple[str, ...]:
    """The timestamp columns whose days the rollups of ``fact`` are partitioned by."""
    return tuple(dict.fromkeys(s.anchor for s in ROLLUPS if s.fact == fact))


def current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the warehouse's rollups were built from the declarations this code carries."""
    row = con.execute("SELECT value FROM warehouse_meta WHERE key = $k", {"k": META_KEY}).fetchone()
    return row is not None and row[0] == FINGERPRINT


def mark_current(con: duckdb.DuckDBPyConnection, value: str = FINGERPRINT) -> None:
    """Record that the rollup tables hold what the declarations ``value`` build (a build, an import)."""
    con.execute("INSERT INTO warehouse_meta (key, value) VALUES ($k, $v) ON CONFLICT (key) DO UPDATE SET"
                " value = excluded.value", {"k": META_KEY, "v": value})


def _build_one(con: duckdb.DuckDBPyConnection, spec: RollupSpec) -> None:
    con.execute(f"DROP TABLE IF EXISTS {spec.name}")
    con.execute(spec.ddl())
    # stored in day order: a period's read skips the other days' row groups (zone maps on ``day``)
    con.execute(f"INSERT INTO {spec.name} SELECT * FROM ({shadowing(con, spec.fact)}{spec.build_sql}) ORDER BY day")
    replaced(con, spec.name, None)  # a delta holds the whole table


def build_rollups(con: duckdb.DuckDBPyConnection, facts: Collection[str] | None = None) -> None:
    """(Re)build every rollup (or those of ``facts``) from the fact tables. When the warehouse's rollups
    are not current, every rollup is rebuilt (a partial build would mix two declarations)."""
    whole = facts is None or not current(con)
    for spec in ROLLUPS:
        if whole or spec.fact in (facts or ()):
            _build_one(con, spec)
    mark_current(con)


def refresh_rollups(con: duckdb.DuckDBPyConnection, days_by_fact: Mapping[str, Iterable[date]]) -> int:
    """Recompute the day partitions ``days_by_fact`` (fact table -> anchor days) of the rollups over
    those facts from the fact rows; returns the rollup rows written. Not current: a full build."""
    if not current(con):
        build_rollups(con)
        return sum(_count(con, f"SELECT count(*) FROM {s.name}") for s in ROLLUPS)
    written = 0
    for fact in FACTS:
        days = sorted(set(days_by_fact.get(fact, ())))
        if not days:
            continue
        params = {"days": days, "day_lo": days[0], "day_hi": days[-1] + timedelta(days=1)}
        # The fact's rows of those days (by any anchor) read once, every rollup of the fact computed from
        # them: a load's days are scattered (late updates), so each rollup's own read would scan the
        # whole table again. On a delta writer the fact is read as base ∪ delta, and the delta's rows of
        # these days replace the base's (etl/overlay.py).
        on_days = " OR ".join(f"list_contains($days, CAST({a} AS DATE))" for a in anchors(fact))
        con.execute(f"CREATE OR REPLACE TEMP TABLE __rollup_rows AS SELECT {', '.join(_read_columns(fact))}"
                    f" FROM {visible(con, fact)} WHERE {on_days}", {"days": days})
        for spec in (s for s in ROLLUPS if s.fact == fact):
            con.execute(f"DELETE FROM {spec.name} WHERE day >= $day_lo AND day < $day_hi"
                        " AND list_contains($days, day)", params)
            row = con.execute(f"INSERT INTO {spec.name} SELECT * FROM (WITH {fact} AS (SELECT * FROM __rollup_rows)"
                              f" {spec.refresh_sql})", params).fetchone()  # (rows inserted,)
            written += int(row[0]) if row else 0
            replaced(con, spec.name, days)
        con.execute("DROP TABLE __rollup_rows")
    return written


def _read_columns(fact: str) -> tuple[str, ...]:
    """The columns of ``fact`` its rollups' SQL names: the copy of a load's rows for the refresh keeps
    only those (issue 19: the whole rows, addresses and descriptions included, cost a second of a 1M-row
    load). A word of the SQL that is a column name counts: naming one too many costs a little, one too
    few would fail the refresh loudly."""
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", " ".join(s.refresh_sql for s in ROLLUPS if s.fact == fact)))
    return tuple(c for c in schema.TABLE_BY_NAME[fact].column_names if c in words)


def touched_days(con: duckdb.DuckDBPyConnection, fact: str, changed: str, key: str,
                 columns: Collection[str]) -> set[date]:
    """The anchor days of the rows of relation ``changed`` (new values of new or updated rows, keyed by
    ``key``, with ``columns``) and of the stored rows they replace: what a load of them must recompute.
    Call it before the write (the stored values are then still the old ones). A source without an
    anchor column leaves it unchanged: the stored day is the one to recompute. ``changed``, ``key``
    and ``columns`` are our identifiers."""
    days: set[date] = set()
    for col in anchors(fact):
        sql = (f"SELECT DISTINCT CAST(t.{col} AS DATE) FROM {visible(con, fact)} t JOIN {changed} c"
               f" ON t.{key} = c.{key}"
               f" WHERE t.{col} IS NOT NULL")
        if col in columns:
            sql += f" UNION SELECT DISTINCT CAST({col} AS DATE) FROM {changed} WHERE {col} IS NOT NULL"
        days.update(r[0] for r in con.execute(sql).fetchall())
    return days


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0
