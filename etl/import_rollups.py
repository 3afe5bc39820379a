"""Take the rollups a batch job built elsewhere (``vitals spark rollups``: Spark on the city's platform,
or DuckDB) into the warehouse's rollup tables, so the pages, which read rollups through
``metrics.indicators.scan``, serve the job's numbers (docs/scale.md).

The job writes ``<out>/rollups/<name>/*.parquet`` (one directory per declared rollup) and
``<out>/manifest/*.parquet`` (one row: the declarations' ``FINGERPRINT`` it compiled, the engine, the
raw data's 'now'). An import replaces every rollup table whole and marks them current, inside a
writer (``etl.snapshots``): published as one new snapshot or not at all, recorded as an ``etl_run``.
It refuses, changing nothing, output built from other declarations (its columns or predicates would
mean something else) or missing a rollup.
"""

from __future__ import annotations

import getpass
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from etl.export import sql_string
from etl.overlay import replaced
from etl.rollup_spec import RollupSpec
from etl.rollups import FINGERPRINT, ROLLUPS, mark_current

MANIFEST = "manifest"  # <out>/manifest/: the job's one-row description of what it built
# its columns, all text (an engine-neutral file: no type for a NULL or an instant to disagree on)
MANIFEST_COLUMNS = ("rollups", "engine", "data_now", "first_day", "last_day")
RUN_KIND = "rollups"


class RollupImportError(ValueError):
    """Output that cannot be imported (missing, other declarations, other columns); nothing changed."""


@dataclass(frozen=True)
class ImportReport:
    run_id: int
    rows: dict[str, int]  # rollup table -> rows imported
    engine: str  # what built them
    source_now: str  # the raw data's 'now' the job saw ('' when it had none)
    warehouse_now: str  # the warehouse's data_now ('' when none): differing means other data


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _glob(root: Path, *parts: str) -> str:
    return sql_string(root.joinpath(*parts, "**", "*.parquet"))


def read_manifest(con: duckdb.DuckDBPyConnection, root: Path) -> dict[str, str]:
    if not any((root / MANIFEST).rglob("*.parquet")):
        raise RollupImportError(f"{root} has no {MANIFEST}/: not the --out of `vitals spark rollups`")
    rows = con.execute(f"SELECT {', '.join(MANIFEST_COLUMNS)} FROM read_parquet({_glob(root, MANIFEST)})").fetchall()
    if len(rows) != 1:
        raise RollupImportError(f"{root / MANIFEST} holds {len(rows)} rows, expected one")
    return {k: "" if v is None else str(v) for k, v in zip(MANIFEST_COLUMNS, rows[0], strict=True)}


def _check(con: duckdb.DuckDBPyConnection, root: Path, spec: RollupSpec) -> str:
    """The SELECT reading the job's files of ``spec`` with the declared columns and types."""
    if not any((root / "rollups" / spec.name).rglob("*.parquet")):
        raise RollupImportError(f"{root / 'rollups' / spec.name} is missing: the job's output is incomplete")
    source = f"read_parquet({_glob(root, 'rollups', spec.name)})"
    found = {str(r[0]) for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    wanted = [c.name for c in spec.columns]
    if found != set(wanted):
        raise RollupImportError(f"{spec.name}: the files' columns differ from the declaration "
                                f"(missing {sorted(set(wanted) - found)}, extra {sorted(found - set(wanted))})")
    # identifiers and types from our own generated declaration
    cols = ", ".join(f"CAST({c.name} AS {c.type}) AS {c.name}" for c in spec.columns)
    return f"SELECT {cols} FROM {source}"


def import_rollups(con: duckdb.DuckDBPyConnection, root: Path, *, user: str | None = None) -> ImportReport:
    """Replace every rollup table with the job's output under ``root``; ``con`` is a writer's."""
    started = _now()
    manifest = read_manifest(con, root)
    if manifest["rollups"] != FINGERPRINT:
        raise RollupImportError(f"built from other rollup declarations (fingerprint {manifest['rollups']!r}, "
                                f"this code's {FINGERPRINT!r}): rebuild with this version's job")
    selects = {spec.name: _check(con, root, spec) for spec in ROLLUPS}  # every check before any write
    rows: dict[str, int] = {}
    for spec in ROLLUPS:
        con.execute(f"DROP TABLE IF EXISTS {spec.name}")
        con.execute(spec.ddl())
        # in day order, as a build stores them: a period's read skips the other days' row groups
        con.execute(f"INSERT INTO {spec.name} {selects[spec.name]} ORDER BY day")
        replaced(con, spec.name, None)  # a delta holds the whole table
        rows[spec.name] = int(con.execute(f"SELECT count(*) FROM {spec.name}").fetchone()[0])  # type: ignore[index]
    mark_current(con)
    # the data's 'now' as the pages take it: a pinned 'now' (the demo) before the latest row's
    found = con.execute("SELECT value FROM warehouse_meta WHERE key IN ('now', 'data_now') "
                        "ORDER BY key = 'now' DESC LIMIT 1").fetchone()
    warehouse_now = "" if found is None or found[0] is None else str(found[0])
    run_id = int(con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM etl_run").fetchone()[0])  # type: ignore[index]
    total = sum(rows.values())
    message = {"engine": manifest["engine"], "rollups": FINGERPRINT, "data_now": manifest["data_now"],
               "days": [manifest["first_day"], manifest["last_day"]], "rows": rows,
               "user": user or getpass.getuser()}
    con.execute(
        "INSERT INTO etl_run (run_id, kind, source_system, mapping, files, started_at, finished_at, status,"
        " rows_read, rows_loaded, rows_rejected, message) VALUES (?, ?, ?, 'import-rollups', ?, ?, ?,"
        " 'succeeded', ?, ?, 0, ?)",
        [run_id, RUN_KIND, manifest["engine"], json.dumps([str(root)]), started, _now(), total, total,
         json.dumps(message, ensure_ascii=False)],
    )
    return ImportReport(run_id, rows, manifest["engine"], manifest["data_now"], warehouse_now)
