"""Incremental loads (issue 19): a small delta file on an untouched base, read through views, gives
exactly what the full copy path gives; compaction folds it into a new base; readers keep their state.

The oracle is the same sequence of loads into a second warehouse with deltas turned off
(VITALS_DELTA_MAX_ROWS=0: every load copies the whole warehouse, the path used before issue 19)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from etl import schema
from etl.load import load_files
from etl.overlay import DELTA_RE, PARTITIONED, REPLACED, base_of
from etl.snapshots import current_snapshot, load_writer, open_readonly, writer
from tests.etl.conftest import demo_units

# Columns that differ between two runs of the same loads: when they ran, and where the files were.
RUN_VARYING = {"started_at", "finished_at", "mapping"}


def registered(i: int) -> pd.Timestamp:
    """Case i registers 10 minutes after case i - 1: the base's 2,000 cases span 1-14 January."""
    return pd.Timestamp("2026-01-01 00:05") + pd.Timedelta(minutes=10 * i)


def cases(path: Path, ids: range, status: str = "reported", closed: str | None = None) -> Path:
    n = len(ids)
    pd.DataFrame({
        "case_id": [f"demo:{i}" for i in ids], "source_system": "demo", "source_id": [str(i) for i in ids],
        "status": status, "reported_at": [registered(i) - pd.Timedelta(minutes=5) for i in ids],
        "registered_at": [registered(i) for i in ids],
        "closed_at": pd.to_datetime([closed] * n), "unit_code": "V1",
    }).to_parquet(path)
    return path


def sensors(path: Path) -> Path:
    pd.DataFrame({"sensor_id": [f"demo:s{i}" for i in range(4)], "source_system": "demo",
                  "source_id": [f"s{i}" for i in range(4)], "sensor_type": "water_level",
                  "threshold_warning": 2.0, "threshold_alarm": 3.0, "unit_code": None}).to_parquet(path)
    return path


def readings(path: Path, start: str, hours: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    ts = pd.date_range(start, periods=hours, freq="h")
    pd.DataFrame({"sensor_id": np.repeat([f"demo:s{i}" for i in range(4)], hours), "ts": np.tile(ts, 4),
                  "value": rng.normal(1.0, 0.5, 4 * hours)}).to_parquet(path)
    return path


def contents(warehouse: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every declared table's and rollup's rows, sorted, without the columns that say when a run happened."""
    out = {}
    with open_readonly(warehouse) as con:
        for t in schema.TABLES:
            cols = [c for c in t.column_names if c not in RUN_VARYING]
            rows = con.execute(f"SELECT {', '.join(cols)} FROM {t.name}").fetchall()
            out[t.name] = sorted(rows, key=repr)
        for name in PARTITIONED:
            out[name] = sorted(con.execute(f"SELECT * FROM {name}").fetchall(), key=repr)
    return out


def scalar(warehouse: Path, sql: str) -> object:
    with open_readonly(warehouse) as con:
        return con.execute(sql).fetchone()[0]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """A base's worth of rows, then the issue's 5-minute feed shape, scaled down: new cases, late
    updates of base cases, readings that correct stored ones and add new hours."""
    return {
        "units": demo_units(tmp_path / "u.parquet"),
        "sensors": sensors(tmp_path / "s.parquet"),
        "base_cases": cases(tmp_path / "c0.parquet", range(0, 2000)),
        "base_readings": readings(tmp_path / "r0.parquet", "2026-01-01", 24 * 5, seed=1),
        "new_cases": cases(tmp_path / "c1.parquet", range(2000, 2500)),
        "late_updates": cases(tmp_path / "c2.parquet", range(100, 150), "closed", "2026-01-02 09:00"),
        "readings": readings(tmp_path / "r1.parquet", "2026-01-05", 24 * 2, seed=2),  # 1 day old, 1 day new
    }


def base_loads(warehouse: Path, files: dict[str, Path]) -> None:
    load_files(warehouse, "units", [files["units"]], "demo_units")
    load_files(warehouse, "sensors", [files["sensors"]], "demo_sensors")
    load_files(warehouse, "cases", [files["base_cases"]], "demo_cases")
    load_files(warehouse, "readings", [files["base_readings"]], "demo_readings")


FEED = (("cases", "new_cases", "demo_cases"), ("cases", "late_updates", "demo_cases"),
        ("readings", "readings", "demo_readings"))


def test_delta_loads_equal_full_loads_without_touching_the_base(tmp_path, files, monkeypatch):
    inc, full = tmp_path / "inc" / "vitals.duckdb", tmp_path / "full" / "vitals.duckdb"
    monkeypatch.setenv("VITALS_DELTA_MAX_ROWS", "0")
    base_loads(full, files)
    base_loads(inc, files)
    base = current_snapshot(inc)
    assert base is not None and base_of(base) is None
    before = os.stat(base)

    reports = []
    for kind, name, mapping in FEED:
        monkeypatch.setenv("VITALS_DELTA_MAX_ROWS", "0")
        reports.append(load_files(full, kind, [files[name]], mapping))
        monkeypatch.delenv("VITALS_DELTA_MAX_ROWS")
        rep = load_files(inc, kind, [files[name]], mapping)
        assert rep.files == reports[-1].files  # same inserted / updated / unchanged / rejects
        published = current_snapshot(inc)
        assert published is not None and DELTA_RE.match(published.name) and base_of(published) == base
    # The feed's counts, by hand: 500 new cases, 50 late updates, 24 h × 4 sensors corrected and as many new.
    assert [(r.files[0].inserted, r.files[0].updated) for r in reports] == [(500, 0), (0, 50), (96, 96)]

    after = os.stat(base)  # the base was neither rewritten nor copied over
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)
    published = current_snapshot(inc)
    with duckdb.connect(str(published), read_only=True) as delta:  # the delta file holds only the feed
        assert [delta.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("cases", "sensor_readings")] == [550, 192]
        # ... and the rollup rows of the days it touched: the late updates' (1-2 January) and the new
        # cases' (14-18 January), recomputed over base ∪ delta; the other days stay in the base
        days = {str(r[0]) for r in delta.execute(
            f"SELECT DISTINCT day FROM {REPLACED} WHERE tbl = 'rollup_cases_registered'").fetchall()}
        touched = {str(registered(i).date()) for i in (*range(100, 150), *range(2000, 2500))}
        assert days == touched and len(days) == 7
        in_days = sum(str(registered(i).date()) in days for i in range(2500))
        assert delta.execute("SELECT sum(n_registered) FROM rollup_cases_registered").fetchone()[0] == in_days
        assert in_days < 1000  # a fraction of the 2,500 cases
    assert contents(inc) == contents(full)
    assert scalar(inc, "SELECT count(*) FROM cases") == 2500
    assert scalar(inc, "SELECT count(*) FROM cases WHERE status = 'closed'") == 50
    assert scalar(inc, "SELECT count(*) FROM sensor_readings") == 4 * 24 * 6

    # Past the delta's limit, the next load folds it into a new full base, equal to the full path's.
    monkeypatch.setenv("VITALS_DELTA_MAX_ROWS", "1")
    more = cases(tmp_path / "c3.parquet", range(2500, 2600), "dispatched")
    load_files(inc, "cases", [more], "demo_cases")
    monkeypatch.setenv("VITALS_DELTA_MAX_ROWS", "0")
    load_files(full, "cases", [more], "demo_cases")
    compacted = current_snapshot(inc)
    assert compacted is not None and base_of(compacted) is None and compacted != base
    assert contents(inc) == contents(full)
    # ... and the load after that is a delta on the new base.
    monkeypatch.delenv("VITALS_DELTA_MAX_ROWS")
    load_files(inc, "cases", [cases(tmp_path / "c4.parquet", range(2600, 2610))], "demo_cases")
    assert base_of(current_snapshot(inc)) == compacted  # type: ignore[arg-type]
    assert scalar(inc, "SELECT count(*) FROM cases") == 2610


def test_full_writers_fold_the_delta_in(tmp_path, files, warehouse):
    """A writer that is not a feed load (site settings, delete, demo) starts from base ∪ delta."""
    base_loads(warehouse, files)
    load_files(warehouse, "cases", [files["late_updates"]], "demo_cases")
    assert base_of(current_snapshot(warehouse)) is not None  # type: ignore[arg-type]
    expected = contents(warehouse)
    with writer(warehouse) as con:
        assert con.execute("SELECT count(*) FROM cases WHERE status = 'closed'").fetchone() == (50,)
        assert con.execute("SELECT count(*) FROM cases").fetchone() == (2000,)
    assert base_of(current_snapshot(warehouse)) is None  # type: ignore[arg-type]
    assert contents(warehouse) == expected


def test_a_reader_keeps_its_state_while_deltas_and_compactions_publish(tmp_path, files, warehouse, monkeypatch):
    base_loads(warehouse, files)
    before = open_readonly(warehouse)
    load_files(warehouse, "cases", [files["new_cases"]], "demo_cases")
    middle = open_readonly(warehouse)
    load_files(warehouse, "cases", [files["late_updates"]], "demo_cases")
    monkeypatch.setenv("VITALS_DELTA_MAX_ROWS", "1")  # the next load compacts
    load_files(warehouse, "cases", [cases(tmp_path / "c3.parquet", range(2500, 2600))], "demo_cases")
    after = open_readonly(warehouse)
    try:
        q = "SELECT count(*), count(*) FILTER (status = 'closed') FROM cases"
        assert before.execute(q).fetchone() == (2000, 0)
        assert middle.execute(q).fetchone() == (2500, 0)
        assert middle.cursor().execute(q).fetchone() == (2500, 0)  # a request's cursor (dashboard/data.py)
        assert after.execute(q).fetchone() == (2600, 50)
        runs = "SELECT count(*) FROM etl_run"
        assert [c.execute(runs).fetchone()[0] for c in (before, middle, after)] == [4, 5, 7]
    finally:
        for c in (before, middle, after):
            c.close()


@pytest.mark.real_clock  # compares file times (the kernel's, never faked) with time.time()
def test_superseded_deltas_are_cleaned_and_their_base_kept(tmp_path, files, warehouse):
    base_loads(warehouse, files)  # units go into a full snapshot, the later loads into deltas on it
    base = base_of(current_snapshot(warehouse))  # type: ignore[arg-type]
    for i in range(4):
        with load_writer(warehouse, grace_seconds=0.0) as con:
            con.execute("INSERT INTO warehouse_meta VALUES (?, 'x')", [f"k{i}"])
    names = sorted(p.name for p in (warehouse.parent / "snapshots").glob("*.duckdb"))
    current = current_snapshot(warehouse)
    assert current is not None and base is not None
    # The published delta, the one before it (KEEP_AT_LEAST), and the base both sit on.
    assert len(names) == 3 and current.name in names and base.name in names
    assert scalar(warehouse, "SELECT count(*) FROM warehouse_meta WHERE key LIKE 'k_'") == 4


def test_the_parquet_export_reads_base_and_delta(tmp_path, files, warehouse):
    """`vitals etl export` (the input of `vitals spark rollups`) exports what readers see."""
    from etl.export import export_parquet

    base_loads(warehouse, files)
    load_files(warehouse, "cases", [files["new_cases"]], "demo_cases")
    load_files(warehouse, "cases", [files["late_updates"]], "demo_cases")
    assert base_of(current_snapshot(warehouse)) is not None  # type: ignore[arg-type]
    done = {e.table: e.rows for e in export_parquet(warehouse, tmp_path / "out")}
    assert done["cases"] == 2500
    with duckdb.connect() as con:
        glob = str(tmp_path / "out" / "cases" / "**" / "*.parquet")
        assert con.execute("SELECT count(*), count(*) FILTER (status = 'closed') FROM read_parquet(?)",
                           [glob]).fetchone() == (2500, 50)


def test_input_bigger_than_the_limit_and_the_base_loads_into_a_full_snapshot(tmp_path, files, warehouse,
                                                                             monkeypatch):
    """A file past the delta's byte limit and bigger than the base (a first big load on a units-only
    warehouse) goes into a full snapshot: as a delta it would make the next load fold it into a copy of
    the base, paying for its rows twice (issue 19). A small file on the same base stays a delta."""
    load_files(warehouse, "units", [files["units"]], "demo_units")
    base = current_snapshot(warehouse)
    assert base is not None and base_of(base) is None
    big = cases(tmp_path / "big.parquet", range(0, 20_000))
    # a column the mapping ignores, stored uncompressed, so the file outweighs the base (~5 MB)
    frame = pd.read_parquet(big)
    frame["note"] = [f"{i:0400d}" for i in range(len(frame))]
    frame.to_parquet(big, compression=None)
    # Limits from the files' own sizes: the big file is past the byte limit and bigger than the base,
    # the small one is under the limit.
    small = files["new_cases"]
    limit = max(small.stat().st_size, 1)
    assert big.stat().st_size > limit and big.stat().st_size > base.stat().st_size, "fixture too small"
    monkeypatch.setenv("VITALS_DELTA_MAX_BYTES", str(limit))
    load_files(warehouse, "cases", [big], "demo_cases")
    full = current_snapshot(warehouse)
    assert full is not None and base_of(full) is None and full != base
    assert scalar(warehouse, "SELECT count(*) FROM cases") == 20_000
    load_files(warehouse, "cases", [small], "demo_cases")
    assert base_of(current_snapshot(warehouse)) == full  # type: ignore[arg-type]
    assert scalar(warehouse, "SELECT count(*) FROM cases") == 20_000  # its ids 2000-2499 were in the big file


def rosters(path: Path, ids: range, hours: float = 8.0) -> Path:
    day = [pd.Timestamp("2026-01-01") + pd.Timedelta(days=i % 14) for i in ids]
    pd.DataFrame({
        "roster_id": [f"demo:r{i}" for i in ids], "source_system": "demo", "source_id": [f"r{i}" for i in ids],
        "person_id": [f"p{i % 40}" for i in ids], "person_name": "王某", "role": "网格员", "duty_date": day,
        "shift": "day", "start_at": [d + pd.Timedelta(hours=8) for d in day],
        "end_at": [d + pd.Timedelta(hours=8 + hours) for d in day], "hours": hours, "unit_code": "V1",
    }).to_parquet(path)
    return path


def test_a_roster_feed_puts_only_its_rows_in_the_delta(tmp_path, files, monkeypatch):
    # Rosters are keyed like the facts: a delta holds the new and changed rows, not a copy of every
    # roster (a city's 4.9M made each delta 340 MB, past the compaction limit).
    inc, full = tmp_path / "inc" / "vitals.duckdb", tmp_path / "full" / "vitals.duckdb"
    feed = [rosters(tmp_path / "r1.parquet", range(300, 320)), rosters(tmp_path / "r2.parquet", range(0, 5), 9.5)]
    for wh in (inc, full):
        monkeypatch.setenv("VITALS_DELTA_MAX_ROWS", "0")
        load_files(wh, "units", [files["units"]], "demo_units")
        load_files(wh, "staffing", [rosters(tmp_path / "r0.parquet", range(0, 300))], "demo_staffing")
        if wh == inc:
            monkeypatch.delenv("VITALS_DELTA_MAX_ROWS")
        reports = [load_files(wh, "staffing", [f], "demo_staffing").files[0] for f in feed]
        assert [(r.inserted, r.updated, r.unchanged) for r in reports] == [(20, 0, 0), (0, 5, 0)]
    published = current_snapshot(inc)
    assert published is not None and DELTA_RE.match(published.name)
    with duckdb.connect(str(published), read_only=True) as delta:
        assert delta.execute("SELECT count(*) FROM staffing_roster").fetchone()[0] == 25
    assert contents(inc) == contents(full)
    assert scalar(inc, "SELECT count(*) FROM staffing_roster") == 320
    assert scalar(inc, "SELECT sum(hours) FROM staffing_roster") == 315 * 8.0 + 5 * 9.5
    with writer(inc) as con:  # a full writer folds the delta's rosters into the base
        assert con.execute("SELECT count(*), sum(hours) FROM staffing_roster").fetchone() == (320, 315 * 8.0 + 5 * 9.5)
    assert contents(inc) == contents(full)
