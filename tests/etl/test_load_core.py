from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from etl.load import load_files, load_into
from etl.snapshots import current_snapshot, writer
from tests.etl.conftest import demo_cases, demo_units


def q(warehouse: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(current_snapshot(warehouse)), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_units_load_fills_paths_and_geometry(tmp_path, warehouse):
    rep = load_files(warehouse, "units", [demo_units(tmp_path / "u.parquet")], "demo_units")
    assert (rep.rows_read, rep.rows_loaded, rep.rows_rejected) == (4, 4, 0)
    assert warehouse.is_symlink()
    assert q(warehouse, "SELECT district_code, town_code, grid_code, village_code FROM org_unit"
                        " WHERE unit_code = 'V1'") == [("D", "T1", "G1", "V1")]
    assert q(warehouse, "SELECT unit_code, approximate, min_lon, max_lat FROM unit_geometry") == [
        ("G1", True, 121.0, 31.1)]
    meta = dict(q(warehouse, "SELECT key, value FROM warehouse_meta"))
    assert meta["timezone"] == "Asia/Shanghai" and meta["datum"] == "GCJ-02" and meta["schema_version"] == "1"


def test_reload_is_idempotent_and_status_update_appends_history(tmp_path, warehouse):
    load_files(warehouse, "units", [demo_units(tmp_path / "u.parquet")], "demo_units")
    first = demo_cases(tmp_path / "c1.parquet", ["reported", "reported"])
    r1 = load_files(warehouse, "cases", [first], "demo_cases")
    assert (r1.files[0].inserted, r1.files[0].updated) == (2, 0)
    before = q(warehouse, "SELECT * FROM cases ORDER BY case_id")
    r2 = load_files(warehouse, "cases", [first], "demo_cases")
    assert (r2.files[0].inserted, r2.files[0].updated, r2.files[0].unchanged) == (0, 0, 2)
    assert q(warehouse, "SELECT * FROM cases ORDER BY case_id") == before
    assert q(warehouse, "SELECT count(*) FROM case_status_history") == [(2,)]
    newer = demo_cases(tmp_path / "c2.parquet", ["closed", "reported"], ["2026-01-01 15:00", None])
    r3 = load_files(warehouse, "cases", [newer], "demo_cases")
    assert (r3.files[0].inserted, r3.files[0].updated, r3.files[0].unchanged) == (0, 1, 1)
    assert q(warehouse, "SELECT status, grid_code FROM cases WHERE case_id = 'demo:0'") == [("closed", "G1")]
    assert q(warehouse, "SELECT status, strftime(changed_at, '%H:%M') FROM case_status_history"
                        " WHERE case_id = 'demo:0' ORDER BY changed_at") == [("reported", "10:00"), ("closed", "15:00")]


def test_error_mid_load_keeps_previous_snapshot(tmp_path, warehouse):
    load_files(warehouse, "units", [demo_units(tmp_path / "u.parquet")], "demo_units")
    published = current_snapshot(warehouse)
    cases = demo_cases(tmp_path / "c.parquet", ["reported"])
    with pytest.raises(RuntimeError, match="boom"), writer(warehouse) as con:
        load_into(con, "cases", [cases], "demo_cases")
        raise RuntimeError("boom")
    assert current_snapshot(warehouse) == published
    assert q(warehouse, "SELECT count(*) FROM cases") == [(0,)]
    snaps = sorted(p.name for p in (warehouse.parent / "snapshots").glob("*.duckdb*"))
    assert snaps == [published.name], "the aborted snapshot file is removed"


def test_plain_file_warehouse_is_adopted(tmp_path, warehouse):
    warehouse.parent.mkdir(parents=True)
    con = duckdb.connect(str(warehouse))
    con.execute("CREATE TABLE legacy AS SELECT 42 AS x")
    con.close()
    load_files(warehouse, "units", [demo_units(tmp_path / "u.parquet")], "demo_units")
    assert warehouse.is_symlink() and os.path.exists(warehouse)
    assert q(warehouse, "SELECT x FROM legacy") == [(42,)]
    assert q(warehouse, "SELECT count(*) FROM org_unit") == [(4,)]


def test_staffing_checks_and_several_kinds_in_one_snapshot(tmp_path, warehouse):
    pd.DataFrame({
        "roster_id": ["demo:r1", "demo:r2", "demo:r3"], "source_system": "demo", "source_id": ["r1", "r2", "r3"],
        "person_id": ["p1", "p2", "p3"], "unit_code": ["G1", "G1", "G1"],
        "duty_date": pd.to_datetime(["2026-01-01"] * 3).date, "shift": ["day", "night", "day"],
        "start_at": pd.to_datetime(["2026-01-01 08:00", "2026-01-01 20:00", "2026-01-01 08:00"]),
        "end_at": pd.to_datetime(["2026-01-01 20:00", "2026-01-01 19:00", "2026-01-02 11:00"]),
        "hours": [12.0, 11.0, 27.0],
    }).to_parquet(tmp_path / "st.parquet")
    before = current_snapshot(warehouse)
    with writer(warehouse) as con:
        load_into(con, "units", [demo_units(tmp_path / "u.parquet")], "demo_units")
        rep = load_into(con, "staffing", [tmp_path / "st.parquet"], "demo_staffing")
    assert before is None and current_snapshot(warehouse) is not None
    assert rep.reasons == {"negative_duration": 1, "out_of_range": 1}
    assert q(warehouse, "SELECT roster_id, town_code, grid_code FROM staffing_roster") == [("demo:r1", "T1", "G1")]
    assert q(warehouse, "SELECT kind, rows_read, rows_loaded, rows_rejected FROM etl_run ORDER BY run_id") == [
        ("units", 4, 4, 0), ("staffing", 3, 1, 2)]


def test_new_cases_are_stored_in_report_order_and_updates_stay_in_place(tmp_path, warehouse):
    """Zone maps on reported_at can only skip row groups if rows are stored in time order: each load
    appends its new rows sorted by ``stored_order``, whatever the file's order."""
    import numpy as np
    import pandas as pd

    load_files(warehouse, "units", [demo_units(tmp_path / "u.parquet")], "demo_units")
    rng = np.random.default_rng(7)
    n = 500
    times = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 90 * 24 * 60, n), unit="min")

    def write(path: Path, ids: range, status: str) -> Path:
        df = pd.DataFrame({"case_id": [f"demo:{i}" for i in ids], "source_system": "demo",
                           "source_id": [str(i) for i in ids], "status": status,
                           "reported_at": times[list(ids)], "unit_code": "V1"})
        df.sample(frac=1.0, random_state=3).to_parquet(path)  # the file is in no particular order
        return path

    load_files(warehouse, "cases", [write(tmp_path / "a.parquet", range(300), "reported")], "demo_cases")
    stored = q(warehouse, "SELECT case_id, reported_at FROM cases ORDER BY rowid")
    assert [t for _, t in stored] == sorted(t for _, t in stored) and len(stored) == 300
    # a second load: 200 new cases and 100 updates of stored ones
    load_files(warehouse, "cases", [write(tmp_path / "b.parquet", range(200, n), "closed")], "demo_cases")
    after = q(warehouse, "SELECT case_id, reported_at, status FROM cases ORDER BY rowid")
    assert [c for c, _, _ in after[:300]] == [c for c, _ in stored]  # updated rows stay where they were
    assert {c for c, _, s in after[:300] if s == "closed"} == {f"demo:{i}" for i in range(200, 300)}
    appended = [t for _, t, _ in after[300:]]
    assert appended == sorted(appended) and len(appended) == 200
