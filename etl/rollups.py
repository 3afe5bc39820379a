"""Build and maintain the rollup tables (``etl/rollup_sql.py``, generated from the metrics declarations).

A rollup row is a function of the fact rows whose anchor timestamp falls on its day, so maintenance is
"recompute these day partitions from the fact table": a load records the anchor days its changed rows
had before and have after (``touched_days``: a late update that moves a case's registration moves it
between two days, both recomputed) and ``refresh_rollups`` deletes and re-inserts those days, in the
load's own transaction. A warehouse whose rollups were built from other declarations (or none) gets
a full build instead (``build_rollups``), so the first load after a change of declarations repairs it.

Two families, each with its own fingerprint in ``warehouse_meta``: the indicator rollups (``ROLLUPS``,
key ``rollups``; a Spark job can build and ``vitals etl import-rollups`` replace them) and the readings
rollup (``READINGS_ROLLUPS``, key ``readings_rollup``: 15-minute cells with a reading per sensor and
day, for the IoT online rate, metrics/readings_rollup.py), built here only.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb

from etl import schema
from etl.overlay import replaced, shadowing, visible
from etl.rollup_spec import RollupSpec
from etl.rollup_sql import FINGERPRINT, READINGS_FINGERPRINT, READINGS_ROLLUPS, ROLLUPS

__all__ = ["ALL_ROLLUPS", "FACTS", "FINGERPRINT", "ROLLUPS", "build_rollups", "current", "mark_current",
           "refresh_rollups", "touched_days"]


@dataclass(frozen=True)
class Family:
    """Rollups built and marked current together: ``warehouse_meta[key] == fingerprint``."""

    specs: tuple[RollupSpec, ...]
    key: str
    fingerprint: str


INDICATOR_ROLLUPS = Family(ROLLUPS, "rollups", FINGERPRINT)
READINGS = Family(READINGS_ROLLUPS, "readings_rollup", READINGS_FINGERPRINT)
FAMILIES = (INDICATOR_ROLLUPS, READINGS)
META_KEY = INDICATOR_ROLLUPS.key
ALL_ROLLUPS: tuple[RollupSpec, ...] = tuple(s for f in FAMILIES for s in f.specs)
FACTS: tuple[str, ...] = tuple(dict.fromkeys(s.fact for s in ALL_ROLLUPS))


def anchors(fact: str) -> tuple[str, ...]:
    """The timestamp columns whose days the rollups of ``fact`` are partitioned by."""
    return tuple(dict.fromkeys(s.anchor for s in ALL_ROLLUPS if s.fact == fact))


def current(con: duckdb.DuckDBPyConnection, family: Family = INDICATOR_ROLLUPS) -> bool:
    """Whether the warehouse's rollups of ``family`` were built from the declarations this code carries."""
    row = con.execute("SELECT value FROM warehouse_meta WHERE key = $k", {"k": family.key}).fetchone()
    return row is not None and row[0] == family.fingerprint


def mark_current(con: duckdb.DuckDBPyConnection, value: str = FINGERPRINT, family: Family = INDICATOR_ROLLUPS) -> None:
    """Record that the rollup tables hold what the declarations ``value`` build (a build, an import)."""
    con.execute("INSERT INTO warehouse_meta (key, value) VALUES ($k, $v) ON CONFLICT (key) DO UPDATE SET"
                " value = excluded.value", {"k": family.key, "v": value})


def _build_one(con: duckdb.DuckDBPyConnection, spec: RollupSpec) -> None:
    con.execute(f"DROP TABLE IF EXISTS {spec.name}")
    con.execute(spec.ddl())
    # stored in day order (or the spec's own): a read skips the other days' row groups (zone maps on ``day``)
    con.execute(f"INSERT INTO {spec.name} SELECT * FROM ({shadowing(con, spec.fact)}{spec.build_sql})"
                f" ORDER BY {spec.order_by}")
    replaced(con, spec.name, None)  # a delta holds the whole table


def build_rollups(con: duckdb.DuckDBPyConnection, facts: Collection[str] | None = None) -> None:
    """(Re)build every rollup (or those of ``facts``) from the fact tables. When a family's rollups are
    not current, every rollup of that family is rebuilt (a partial build would mix two declarations)."""
    for family in FAMILIES:
        if facts is None or not current(con, family):
            _build_family(con, family)
            continue
        for spec in (s for s in family.specs if s.fact in facts):
            _build_one(con, spec)


def _build_family(con: duckdb.DuckDBPyConnection, family: Family) -> int:
    """Build every rollup of ``family`` and mark it current; returns the rollup rows written."""
    written = 0
    for spec in family.specs:
        _build_one(con, spec)
        written += _count(con, f"SELECT count(*) FROM {spec.name}")
    mark_current(con, family.fingerprint, family)
    return written


def refresh_rollups(con: duckdb.DuckDBPyConnection, days_by_fact: Mapping[str, Iterable[date]]) -> int:
    """Recompute the day partitions ``days_by_fact`` (fact table -> anchor days) of the rollups over
    those facts from the fact rows; returns the rollup rows written. A family not current: built whole."""
    written = 0
    stale = [f for f in FAMILIES if not current(con, f)]
    for family in stale:
        written += _build_family(con, family)
    fresh = [s for f in FAMILIES if f not in stale for s in f.specs]
    for fact in FACTS:
        days = sorted(set(days_by_fact.get(fact, ())))
        specs = [s for s in fresh if s.fact == fact]
        if not days or not specs:
            continue
        if len(specs) == 1:  # one rollup (the readings'): its own read, bounded by the days (zone maps)
            written += _refresh_days(con, specs[0], shadowing(con, fact), days)
            continue
        # The fact's rows of those days (by any anchor) read once, every rollup of the fact computed from
        # them: a load's days are scattered (late updates), so each rollup's own read would scan the
        # whole table again. On a delta writer the fact is read as base ∪ delta, and the delta's rows of
        # these days replace the base's (etl/overlay.py).
        on_days = " OR ".join(f"list_contains($days, CAST({a} AS DATE))" for a in anchors(fact))
        con.execute(f"CREATE OR REPLACE TEMP TABLE __rollup_rows AS SELECT {', '.join(_read_columns(fact, specs))}"
                    f" FROM {visible(con, fact)} WHERE {on_days}", {"days": days})
        for spec in specs:
            written += _refresh_days(con, spec, f"WITH {fact} AS (SELECT * FROM __rollup_rows) ", days)
        con.execute("DROP TABLE __rollup_rows")
    return written


def _read_columns(fact: str, specs: Iterable[RollupSpec]) -> tuple[str, ...]:
    """The columns of ``fact`` its rollups ``specs``' SQL names: the copy of a load's rows for the refresh keeps
    only those (issue 19: the whole rows, addresses and descriptions included, cost a second of a 1M-row
    load). A word of the SQL that is a column name counts: naming one too many costs a little, one too
    few would fail the refresh loudly."""
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", " ".join(s.refresh_sql for s in specs)))
    return tuple(c for c in schema.TABLE_BY_NAME[fact].column_names if c in words)


def _refresh_days(con: duckdb.DuckDBPyConnection, spec: RollupSpec, with_rows: str, days: list[date]) -> int:
    """Delete and recompute ``days`` (sorted) of one rollup; ``with_rows``: the WITH clause naming the
    fact's rows to read (or empty: the table itself)."""
    params = {"days": days, "day_lo": days[0], "day_hi": days[-1] + timedelta(days=1)}
    con.execute(f"DELETE FROM {spec.name} WHERE day >= $day_lo AND day < $day_hi"
                " AND list_contains($days, day)", params)
    row = con.execute(f"INSERT INTO {spec.name} SELECT * FROM ({with_rows}{spec.refresh_sql})",
                      params).fetchone()  # (rows inserted,)
    replaced(con, spec.name, days)
    return int(row[0]) if row else 0


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
