"""The warehouse's raw tables as Parquet partitioned by day and district: the layout a city's big-data
platform keeps them in, and what ``vitals spark rollups --source parquet`` reads (docs/scale.md).

Each fact table is written under ``<out>/<table>/day=<YYYY-MM-DD>/district=<code>/*.parquet``. The
partition values are extra columns (``day`` of the table's anchor timestamp, ``district`` a copy of
``district_code``): the table's own columns stay in the files with their types, so a reader that
ignores the partitions (DuckDB's ``read_parquet``, Spark with partition type inference off) reads the
same rows as the warehouse. Dimension tables (``org_unit``, ``warehouse_meta``) are one file each.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from etl import schema
from etl.snapshots import open_readonly

# fact table -> the timestamp whose local day partitions it (a row without it lands in day=NULL)
FACT_DAYS = {
    "cases": "coalesce(registered_at, reported_at)",
    "hotline_orders": "received_at",
    "sensor_alarms": "started_at",
}
DIMENSIONS = ("org_unit", "warehouse_meta")


@dataclass(frozen=True)
class Exported:
    table: str
    rows: int
    path: Path


def export_parquet(warehouse: Path, out: Path) -> list[Exported]:
    """Write the fact tables (partitioned by day and district) and the dimensions under ``out``,
    replacing what an earlier export left there. The warehouse is opened read-only."""
    out.mkdir(parents=True, exist_ok=True)
    done = []
    con = open_readonly(warehouse)  # the published state: a snapshot, or a delta on its base
    try:
        for table, day in FACT_DAYS.items():
            target = out / table
            shutil.rmtree(target, ignore_errors=True)
            # identifiers and the day expression are our own declarations; the path is a literal
            # string DuckDB's COPY cannot take as a parameter, so it is quoted as one
            con.execute(f"COPY (SELECT *{_added(con, table)}, CAST({day} AS DATE) AS day, district_code AS district"
                        f" FROM {table}) TO {sql_string(target)} (FORMAT parquet, PARTITION_BY (day, district))")
            done.append(Exported(table, _rows(con, table), target))
        for table in DIMENSIONS:
            target = out / table / "data.parquet"
            shutil.rmtree(target.parent, ignore_errors=True)
            target.parent.mkdir(parents=True)
            con.execute(f"COPY (SELECT *{_added(con, table)} FROM {table}) TO {sql_string(target)} (FORMAT parquet)")
            done.append(Exported(table, _rows(con, table), target.parent))
    finally:
        con.close()
    return done


def _added(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """The columns the schema declared after the warehouse was written, as NULLs of their type (what its
    next writer's ``schema.ddl()`` adds): an older warehouse exports in the current layout."""
    have = {str(r[0]) for r in con.execute(f"DESCRIBE {table}").fetchall()}
    declared = schema.TABLE_BY_NAME[table].columns if table in schema.TABLE_BY_NAME else ()
    return "".join(f", CAST(NULL AS {c.type}) AS {c.name}" for c in declared if c.name not in have)


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def sql_string(path: Path | str) -> str:
    """A path as a SQL string literal, for the statements (COPY, a view) that take no parameter there."""
    return "'" + str(path).replace("'", "''") + "'"
