"""The shape of one rollup table, as the metrics declarations compile it (``etl/rollup_sql.py``).

A rollup keeps, per day of one timestamp column (its anchor) of one fact table, per leaf unit and per
value of the filter dimensions, one additive count per declared indicator part. ``etl`` builds and
refreshes them (``etl.rollups``); ``metrics`` declares and reads them. The specs are generated from the
metrics declarations into ``etl/rollup_sql.py`` (``python -m metrics.rollups``; a test fails when that
file is stale), so the ETL maintains them without importing the metrics layer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RollupColumn:
    name: str
    type: str
    doc: str


@dataclass(frozen=True)
class RollupSpec:
    name: str  # the table
    fact: str  # the fact table it aggregates
    anchor: str  # the fact's timestamp column whose day is ``day``
    columns: tuple[RollupColumn, ...]  # day, the unit path, the dimensions, then the counts
    # one SELECT producing every row of the table from the fact table (GROUP BY listed in full)
    build_sql: str
    # the same SELECT restricted to the anchor days in the list parameter ``$days`` (DATE[]), whose
    # bounds ``$day_lo`` (first day) and ``$day_hi`` (day after the last) spare the scan other row groups
    refresh_sql: str
    # the order a build stores the rows in: the day (a period's read skips the other days' row groups),
    # or the column a read ranges over (the handling values by bucket: metrics/stock_rollup.py)
    order_by: str = "day"

    def ddl(self) -> str:
        cols = ",\n".join(f"    {c.name} {c.type}" for c in self.columns)
        return f"CREATE TABLE {self.name} (\n{cols}\n);"
