"""Undo a bad load: ``vitals etl delete <kind> --run N`` removes the rows run N last wrote.

Rows are found by ``load_run_id``: a row a later run updated belongs to that later run and stays. The
deletion is itself recorded as a run (who, which run, how many rows) and the deleted run's status
becomes ``deleted``; derived alarms are recomputed after readings go. Run inside ``etl.snapshots.writer``
so the deletion publishes as one new snapshot or not at all.
"""

from __future__ import annotations

import getpass
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from etl import schema
from etl.alarms import derive_alarms
from etl.mapping import KIND_TABLE
from etl.rollups import FACTS as ROLLUP_FACTS
from etl.rollups import build_rollups


class DeleteError(ValueError):
    """A deletion that cannot run (no such run, another kind, already deleted); nothing is changed."""


@dataclass(frozen=True)
class DeleteReport:
    run_id: int  # the run recording the deletion
    deleted_run: int
    kind: str
    rows_deleted: int
    alarms_changed: int


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def delete_run(con: duckdb.DuckDBPyConnection, kind: str, run: int, *, user: str | None = None) -> DeleteReport:
    if kind not in KIND_TABLE:
        raise DeleteError(f"unknown kind {kind!r}; expected one of {', '.join(sorted(KIND_TABLE))}")
    found = con.execute("SELECT kind, source_system, status FROM etl_run WHERE run_id = ?", [run]).fetchone()
    if found is None:
        raise DeleteError(f"no run {run} in this warehouse (vitals etl info lists the runs)")
    run_kind, source, status = found
    if run_kind != kind:
        raise DeleteError(f"run {run} loaded {run_kind}, not {kind}")
    if status == "deleted":
        raise DeleteError(f"run {run} was already deleted")
    table = schema.TABLE_BY_NAME[KIND_TABLE[kind]]
    if "load_run_id" not in table.column_names:
        raise DeleteError(f"{table.name} does not record the run that wrote a row; it cannot be deleted by run")
    started = _now()
    row = con.execute(f"DELETE FROM {table.name} WHERE load_run_id = ?", [run]).fetchone()  # our identifier
    rows = int(row[0]) if row else 0
    if kind == "cases":
        con.execute("DELETE FROM case_status_history WHERE load_run_id = ?", [run])
    if table.name in ROLLUP_FACTS:
        build_rollups(con, (table.name,))  # an admin's rare correction: rebuilt, not patched by day
    new_run = int(con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM etl_run").fetchone()[0])  # type: ignore[index]
    con.execute(
        "INSERT INTO etl_run (run_id, kind, source_system, mapping, files, started_at, status)"
        " VALUES (?, ?, ?, ?, '[]', ?, 'running')",
        [new_run, kind, source, f"delete --run {run}", started],
    )
    alarms = derive_alarms(con, new_run) if kind == "readings" else 0
    con.execute("UPDATE etl_run SET status = 'deleted' WHERE run_id = ?", [run])
    message = {"deleted_run": run, "rows_deleted": rows, "user": user or getpass.getuser()}
    con.execute(
        "UPDATE etl_run SET finished_at = ?, status = 'succeeded', rows_read = 0, rows_loaded = 0,"
        " rows_rejected = 0, message = ? WHERE run_id = ?",
        [_now(), json.dumps(message, ensure_ascii=False), new_run],
    )
    return DeleteReport(new_run, run, kind, rows, alarms)
