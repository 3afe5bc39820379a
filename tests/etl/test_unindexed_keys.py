"""Cases and hotline orders carry no PRIMARY KEY index (issue 19: on random ids it cost more than the rest
of a load): the loader keeps their natural keys unique by rejecting a file's own repeats and merging by
anti-join, on a full snapshot, on a delta and through compaction; a warehouse built with the index (before
issue 19) keeps loading."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from etl import schema
from etl.load import load_files
from etl.snapshots import current_snapshot, open_readonly
from tests.etl.conftest import demo_units


def _cases(path: Path, ids: list[int], status: str) -> Path:
    pd.DataFrame({"case_id": [f"demo:{i}" for i in ids], "source_system": "demo",
                  "source_id": [str(i) for i in ids], "status": status,
                  "reported_at": pd.Timestamp("2026-01-01") + pd.to_timedelta([i * 7 % 500 for i in ids], unit="h"),
                  "unit_code": "V1"}).to_parquet(path)
    return path


def _rows(warehouse: Path) -> tuple[int, int, dict[str, int]]:
    """(rows, distinct keys, rows per status) of the published state, a pair included."""
    con = open_readonly(warehouse)
    try:
        n, distinct = con.execute("SELECT count(*), count(DISTINCT case_id) FROM cases").fetchone()  # type: ignore[misc]
        return n, distinct, dict(con.execute("SELECT status, count(*) FROM cases GROUP BY 1").fetchall())
    finally:
        con.close()


def _pk(path: Path, table: str) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute("SELECT count(*) FROM duckdb_constraints() WHERE table_name = ?"
                          " AND constraint_type = 'PRIMARY KEY'", [table]).fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()


def _load_sequence(tmp_path: Path, warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """300 cases, then 300 more of which 100 re-sent closed, on a full snapshot, then on a delta, then
    through a compaction; the published state is checked after each step."""
    monkeypatch.setenv("VITALS_DELTA_MAX_ROWS", "0")  # full snapshots
    a = load_files(warehouse, "cases", [_cases(tmp_path / "a.parquet", list(range(300)), "reported")], "demo_cases")
    assert (a.files[0].inserted, a.files[0].updated) == (300, 0)
    assert _rows(warehouse) == (300, 300, {"reported": 300})
    b = load_files(warehouse, "cases", [_cases(tmp_path / "b.parquet", list(range(200, 500)), "closed")],
                   "demo_cases")
    assert (b.files[0].inserted, b.files[0].updated, b.files[0].unchanged) == (200, 100, 0)
    assert _rows(warehouse) == (500, 500, {"reported": 200, "closed": 300})
    monkeypatch.delenv("VITALS_DELTA_MAX_ROWS")  # deltas on the published base
    c = load_files(warehouse, "cases", [_cases(tmp_path / "c.parquet", list(range(100, 600)), "disposed")],
                   "demo_cases")
    assert (c.files[0].inserted, c.files[0].updated) == (100, 400)
    assert "delta-" in current_snapshot(warehouse).name  # type: ignore[union-attr]
    assert _rows(warehouse) == (600, 600, {"reported": 100, "disposed": 500})
    d = load_files(warehouse, "cases", [_cases(tmp_path / "d.parquet", list(range(150, 650)), "closed")],
                   "demo_cases")  # a second delta: rows in the delta updated, rows in the base copied
    assert (d.files[0].inserted, d.files[0].updated) == (50, 450)
    assert _rows(warehouse) == (650, 650, {"reported": 100, "disposed": 50, "closed": 500})
    monkeypatch.setenv("VITALS_DELTA_MAX_ROWS", "1")  # the next load folds the delta into a new base
    e = load_files(warehouse, "cases", [_cases(tmp_path / "e.parquet", [0, 1, 700], "arrived")], "demo_cases")
    assert (e.files[0].inserted, e.files[0].updated) == (1, 2)
    assert "delta-" not in current_snapshot(warehouse).name  # type: ignore[union-attr]
    assert _rows(warehouse) == (651, 651, {"reported": 98, "arrived": 3, "disposed": 50, "closed": 500})


def test_keys_stay_unique_without_an_index(tmp_path, warehouse, monkeypatch):
    load_files(warehouse, "units", [demo_units(tmp_path / "u.parquet")], "demo_units")
    snap = current_snapshot(warehouse)
    assert snap is not None and _pk(snap, "cases") == 0 and _pk(snap, "hotline_orders") == 0
    _load_sequence(tmp_path, warehouse, monkeypatch)
    # a file's own repeat of an id is rejected, not stored twice
    rep = load_files(warehouse, "cases", [_cases(tmp_path / "f.parquet", [800, 800, 801], "reported")], "demo_cases")
    assert (rep.files[0].inserted, rep.rows_rejected, rep.reasons) == (2, 1, {"duplicate_id": 1})
    assert _rows(warehouse)[:2] == (653, 653)


def test_a_warehouse_built_with_the_index_keeps_loading(tmp_path, warehouse, monkeypatch):
    load_files(warehouse, "units", [demo_units(tmp_path / "u.parquet")], "demo_units")
    snap = current_snapshot(warehouse)
    assert snap is not None
    con = duckdb.connect(str(snap))  # as the previous version created them: with PRIMARY KEY
    for name in ("cases", "hotline_orders"):
        con.execute(f"DROP TABLE {name}")
        con.execute(dataclasses.replace(schema.TABLE_BY_NAME[name], primary_key=True).ddl())
    con.close()
    assert _pk(snap, "cases") == 1
    _load_sequence(tmp_path, warehouse, monkeypatch)


def test_a_file_already_in_time_order_is_stored_in_that_order(tmp_path, warehouse):
    """The loader skips its sort when the new rows already lie in (reported_at, case_id) order; the
    stored order must then be that order all the same (several vectors of rows, ties on the time)."""
    load_files(warehouse, "units", [demo_units(tmp_path / "u.parquet")], "demo_units")
    n = 5000
    ids = list(range(n))
    df = pd.DataFrame({"case_id": [f"demo:{i:05d}" for i in ids], "source_system": "demo",
                       "source_id": [f"{i:05d}" for i in ids], "status": "reported",
                       "reported_at": pd.Timestamp("2026-01-01") + pd.to_timedelta([i // 3 for i in ids], unit="min"),
                       "unit_code": "V1"})
    df.to_parquet(tmp_path / "sorted.parquet")
    load_files(warehouse, "cases", [tmp_path / "sorted.parquet"], "demo_cases")
    con = duckdb.connect(str(current_snapshot(warehouse)), read_only=True)  # the file the rows went to
    try:
        stored = [r[0] for r in con.execute("SELECT case_id FROM cases ORDER BY rowid").fetchall()]
    finally:
        con.close()
    assert stored == list(df.case_id)
