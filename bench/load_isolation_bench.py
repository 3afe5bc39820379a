"""Delta-load cost and read cost of two isolation schemes (docs/architecture.md, "Incremental loads").

    python -m bench.load_isolation_bench --cases 1000000 --readings 20000000 --dir /tmp/lb

1. Copy-on-load (etl/snapshots.py ``writer``): copy the snapshot file, write the delta, checkpoint.
2. DuckLake (the ``ducklake`` extension wheel, SQLite catalog in WAL mode, Parquet data files).
3. ``--overlay``: what is implemented (etl/overlay.py, ``snapshots.load_writer``): the product's own
   ``load_files`` of the feed into a small delta file on an untouched base, against the same loads
   with deltas turned off (``VITALS_DELTA_MAX_ROWS=0``: the copy path), on a warehouse of our schema,
   and the readers' cost of the views base ∪ delta against the compacted full snapshot:

    python -m bench.load_isolation_bench --overlay --cases 1000000 --readings 10000000 --dir /tmp/ob

Synthetic cases/readings shaped like ours (random times, text that does not compress away). The
delta is issue 19's five minutes: 500 new cases, 50 late updates of old cases, 5,000 readings. Reads
are one month of cases by district × category and one week of readings by sensor × day (median of
5). ``--kill`` also checks DuckLake's isolation: a reader during an open write, kill -9 of the writer,
and the next writer. A bench, not a test: numbers depend on the machine and its page cache.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from etl.readers import extension_path

CASES = """SELECT range AS case_id, 'C' || range AS case_no, (range % 11)::VARCHAR AS district_code,
 (range % 97)::VARCHAR AS grid_code, (range % 23)::VARCHAR AS category, (range % 3)::INT AS urgency,
 TIMESTAMP '2026-01-01' + INTERVAL (hash(range) % 31536000) SECOND AS reported_at,
 TIMESTAMP '2026-01-01' + INTERVAL (hash(range) % 31536000 + 600) SECOND AS dispatched_at,
 TIMESTAMP '2026-01-01' + INTERVAL (hash(range) % 31536000 + 3600) SECOND AS closed_at,
 'address ' || md5(range::VARCHAR)[:12] AS address, 'complaint ' || md5((range * 7)::VARCHAR) AS content,
 121.4 + (hash(range) % 100000) / 1e6 AS lon, 31.2 + (hash(range + 1) % 100000) / 1e6 AS lat
 FROM range({lo}, {hi})"""
READINGS = """SELECT (range % 2000)::INT AS sensor_id,
 TIMESTAMP '2026-01-01' + INTERVAL (range // 2000 * 3600) SECOND AS ts,
 (hash(range) % 100013) / 1000.0 AS value FROM range({lo}, {hi})"""
Q_CASES = ("SELECT district_code, category, count(*), count(closed_at) FROM {t}cases WHERE reported_at >= "
           "TIMESTAMP '2026-06-01' AND reported_at < TIMESTAMP '2026-07-01' GROUP BY ALL")
Q_READINGS = ("SELECT sensor_id, date_trunc('day', ts), avg(value) FROM {t}readings WHERE ts >= "
              "TIMESTAMP '2026-03-01' AND ts < TIMESTAMP '2026-03-08' GROUP BY ALL")


def lake(root: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for pkg, name in (("duckdb_extension_sqlite_scanner", "sqlite_scanner"), ("duckdb_extension_ducklake", "ducklake")):
        con.execute(f"LOAD '{extension_path(pkg, name)}'")  # a path inside our own wheel
    meta = root / "meta.sqlite"
    if not meta.exists():  # WAL: readers hold no lock a committing writer has to wait for
        with sqlite3.connect(meta) as s:
            s.execute("PRAGMA journal_mode=WAL")
    opts = ", READ_ONLY" if read_only else ""
    con.execute(f"ATTACH 'ducklake:sqlite:{meta}' AS lake (DATA_PATH '{root}/data/'{opts})")
    return con


def delta(con: duckdb.DuckDBPyConnection, prefix: str, n_cases: int, n_readings: int) -> None:
    con.execute("BEGIN")
    con.execute(f"INSERT INTO {prefix}cases " + CASES.format(lo=n_cases, hi=n_cases + 500))
    con.execute(f"UPDATE {prefix}cases SET closed_at = reported_at + INTERVAL 2 HOUR "
                "WHERE case_id IN (SELECT range * 997 FROM range(50))")
    con.execute(f"INSERT INTO {prefix}readings " + READINGS.format(lo=n_readings, hi=n_readings + 5000))
    con.execute("COMMIT")


def median_ms(fn: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return round(sorted(times)[runs // 2] * 1000, 1)


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def run(root: Path, n_cases: int, n_readings: int) -> dict[str, float]:
    out: dict[str, float] = {}
    base, lake_root = root / "vitals-1.duckdb", root / "lake"
    lake_root.mkdir()
    con = duckdb.connect(str(base))
    con.execute("CREATE TABLE cases AS " + CASES.format(lo=0, hi=n_cases))
    con.execute("CREATE TABLE readings AS " + READINGS.format(lo=0, hi=n_readings) + " ORDER BY sensor_id, ts")
    con.execute("CHECKPOINT")
    con.close()
    out["snapshot_mb"] = round(base.stat().st_size / 1e6)
    t = time.perf_counter()
    shutil.copyfile(base, root / "vitals-2.duckdb")
    out["copy_s"] = round(time.perf_counter() - t, 2)
    con = duckdb.connect(str(root / "vitals-2.duckdb"))
    delta(con, "", n_cases, n_readings)
    con.execute("CHECKPOINT")
    con.close()
    out["copy_load_s"] = round(time.perf_counter() - t, 2)
    with duckdb.connect(str(root / "vitals-2.duckdb"), read_only=True) as ro:
        out["copy_q_cases_ms"] = median_ms(lambda: ro.execute(Q_CASES.format(t="")).fetchall())
        out["copy_q_readings_ms"] = median_ms(lambda: ro.execute(Q_READINGS.format(t="")).fetchall())
    with lake(lake_root) as lk:
        lk.execute(f"ATTACH '{base}' AS src (READ_ONLY)")
        lk.execute("CREATE TABLE lake.cases AS SELECT * FROM src.cases")
        lk.execute("CREATE TABLE lake.readings AS SELECT * FROM src.readings")
        out["lake_mb"] = round(du(lake_root) / 1e6)
        t = time.perf_counter()
        delta(lk, "lake.", n_cases, n_readings)
        out["lake_load_s"] = round(time.perf_counter() - t, 2)
    with lake(lake_root, read_only=True) as rl:
        out["lake_q_cases_ms"] = median_ms(lambda: rl.execute(Q_CASES.format(t="lake.")).fetchall())
        out["lake_q_readings_ms"] = median_ms(lambda: rl.execute(Q_READINGS.format(t="lake.")).fetchall())
    t = time.perf_counter()
    lake(lake_root, read_only=True).close()
    out["lake_attach_ms"] = round((time.perf_counter() - t) * 1000)
    return out


def count(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT count(*) FROM lake.cases").fetchone()
    return int(row[0]) if row else -1


def kill_check(lake_root: Path) -> dict[str, int]:
    reader = lake(lake_root, read_only=True)
    before = count(reader)
    writer = subprocess.Popen([sys.executable, "-m", "bench.load_isolation_bench", "--write-and-wait", str(lake_root)],
                              stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None and writer.stdout.readline().strip() == "written"
    during = count(lake(lake_root, read_only=True))
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    after_kill = count(lake(lake_root, read_only=True))
    with lake(lake_root) as w:
        w.execute("INSERT INTO lake.cases SELECT * FROM lake.cases LIMIT 10")
    return {"before": before, "during_open_write": during, "after_kill_9": after_kill,
            "after_next_writer": count(reader)}


OV_CASES = """SELECT 'bench:' || range AS case_id, 'bench' AS source_system, range::VARCHAR AS source_id,
 'c' || (range % 23) AS category_code, (range % 3)::VARCHAR AS urgency, 'closed' AS status,
 TIMESTAMP '2026-01-01' + INTERVAL (hash(range) % 31536000) SECOND AS reported_at,
 TIMESTAMP '2026-01-01' + INTERVAL (hash(range) % 31536000 + 3600) SECOND AS closed_at,
 'D' AS district_code, 'V' || (range % 100) AS village_code, 'V' || (range % 100) AS unit_code,
 'address ' || md5(range::VARCHAR)[:12] AS address, 'complaint ' || md5((range * 7)::VARCHAR) AS description,
 1 AS load_run_id FROM range({lo}, {hi})"""
OV_READINGS = """SELECT 'bench:s' || (range % 2000) AS sensor_id,
 TIMESTAMP '2026-01-01' + INTERVAL (range // 2000 * 3600) SECOND AS ts,
 (hash(range) % 100013) / 1000.0 AS value, 1 AS load_run_id FROM range({lo}, {hi})"""
OV_Q_CASES = ("SELECT district_code, category_code, count(*), count(closed_at) FROM cases WHERE reported_at >= "
              "TIMESTAMP '2026-06-01' AND reported_at < TIMESTAMP '2026-07-01' GROUP BY ALL")
OV_Q_READINGS = ("SELECT sensor_id, date_trunc('day', ts), avg(value) FROM sensor_readings WHERE ts >= "
                 "TIMESTAMP '2026-03-01' AND ts < TIMESTAMP '2026-03-08' GROUP BY ALL")


def overlay_base(wh: Path, n_cases: int, n_readings: int) -> None:
    """A full snapshot of our schema: one district of 100 villages, 2,000 sensors, the facts."""
    from etl.snapshots import writer

    with writer(wh, fresh=True) as con:
        con.execute("INSERT INTO org_unit (unit_code, parent_code, level, name_zh, district_code, village_code)"
                    " SELECT 'D', NULL, 'district', '区', 'D', NULL UNION ALL SELECT 'V' || range, 'D', 'village',"
                    " '村' || range, 'D', 'V' || range FROM range(100)")
        con.execute("INSERT INTO sensors (sensor_id, source_system, source_id, sensor_type)"
                    " SELECT 'bench:s' || range, 'bench', 's' || range, 'water_level' FROM range(2000)")
        cols = "case_id, source_system, source_id, category_code, urgency, status, reported_at, closed_at," \
               " district_code, village_code, unit_code, address, description, load_run_id"
        con.execute(f"INSERT INTO cases ({cols}) " + OV_CASES.format(lo=0, hi=n_cases) + " ORDER BY reported_at")
        con.execute("INSERT INTO sensor_readings (sensor_id, ts, value, load_run_id) "
                    + OV_READINGS.format(lo=0, hi=n_readings) + " ORDER BY ts, sensor_id")


def overlay_feed(root: Path, i: int, n_cases: int, n_readings: int) -> tuple[Path, Path]:
    """Issue 19's five minutes as export files: 500 new cases + 50 late updates, 5,000 readings."""
    lo = n_cases + 500 * i
    cases, readings = root / f"feed-cases-{i}.parquet", root / f"feed-readings-{i}.parquet"
    cols = ("case_id, source_system, source_id, category_code, urgency, {status} AS status, reported_at,"
            " {closed} AS closed_at, unit_code, address, description")
    new_cols = cols.format(status="'reported'", closed="NULL::TIMESTAMP")
    late_cols = cols.format(status="'disposed'", closed="closed_at")
    new = f"SELECT {new_cols} FROM ({OV_CASES.format(lo=lo, hi=lo + 500)})"
    # 50 cases spread over the whole base (a different set per feed), disposed since
    late = (f"SELECT * FROM (SELECT {late_cols} FROM ({OV_CASES.format(lo=0, hi=n_cases)})"
            f" WHERE hash(source_id || '{i}') % {max(n_cases // 100, 1)} = 0 LIMIT 50)")
    rlo = n_readings + 5000 * i
    with duckdb.connect() as con:
        con.execute(f"COPY ({new} UNION ALL {late}) TO '{cases}' (FORMAT parquet)")
        con.execute(f"COPY (SELECT sensor_id, ts, value FROM ({OV_READINGS.format(lo=rlo, hi=rlo + 5000)}))"
                    f" TO '{readings}' (FORMAT parquet)")
    return cases, readings


def overlay_run(root: Path, n_cases: int, n_readings: int, feeds: int = 3) -> dict[str, object]:
    from etl.load import load_files
    from etl.snapshots import current_snapshot, load_writer, open_readonly, writer

    wh = root / "vitals.duckdb"
    out: dict[str, object] = {"cases": n_cases, "readings": n_readings}
    t = time.perf_counter()
    overlay_base(wh, n_cases, n_readings)
    out["build_s"] = round(time.perf_counter() - t, 1)
    base = current_snapshot(wh)
    assert base is not None
    out["base_mb"] = round(base.stat().st_size / 1e6)

    def feed_s(i: int) -> float:
        cases, readings = overlay_feed(root, i, n_cases, n_readings)
        t = time.perf_counter()
        rep = load_files(wh, "cases", [cases], "demo_cases")
        assert (rep.files[0].inserted, rep.files[0].updated) == (500, 50), rep.files
        load_files(wh, "readings", [readings], "demo_readings")
        return time.perf_counter() - t

    os.environ.pop("VITALS_DELTA_MAX_ROWS", None)
    delta_times = [feed_s(i) for i in range(feeds)]
    out["delta_feed_s"] = [round(x, 2) for x in delta_times]  # two loads (cases, readings) per feed
    cur = current_snapshot(wh)
    assert cur is not None and cur.name.startswith("delta-")
    out["delta_mb"] = round(cur.stat().st_size / 1e6, 1)

    def empty_load(make: Callable[..., Any]) -> Callable[[], None]:
        def run() -> None:
            with make(wh):
                pass
        return run

    out["delta_publish_ms"] = median_ms(empty_load(load_writer), 3)  # copy delta + checkpoint + swap
    out["open_pair_ms"] = median_ms(lambda: open_readonly(wh).close())
    with open_readonly(wh) as ro:
        out["pair_q_cases_ms"] = median_ms(lambda: ro.execute(OV_Q_CASES).fetchall())
        out["pair_q_readings_ms"] = median_ms(lambda: ro.execute(OV_Q_READINGS).fetchall())
        pair_rows = (ro.execute(OV_Q_CASES + " ORDER BY ALL").fetchall(),
                     ro.execute("SELECT count(*) FROM cases").fetchone())
    t = time.perf_counter()
    with writer(wh):
        pass  # compaction: base copied, delta folded in
    out["compact_s"] = round(time.perf_counter() - t, 2)
    with open_readonly(wh) as ro:
        out["full_q_cases_ms"] = median_ms(lambda: ro.execute(OV_Q_CASES).fetchall())
        out["full_q_readings_ms"] = median_ms(lambda: ro.execute(OV_Q_READINGS).fetchall())
        full_rows = (ro.execute(OV_Q_CASES + " ORDER BY ALL").fetchall(),
                     ro.execute("SELECT count(*) FROM cases").fetchone())
    out["pair_equals_full"] = pair_rows == full_rows
    os.environ["VITALS_DELTA_MAX_ROWS"] = "0"  # the copy path, as before issue 19
    try:
        out["copy_feed_s"] = [round(feed_s(feeds + i), 2) for i in range(feeds)]
        out["copy_publish_ms"] = median_ms(empty_load(writer), 3)  # copy warehouse + checkpoint + swap
    finally:
        os.environ.pop("VITALS_DELTA_MAX_ROWS", None)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--readings", type=int, default=20_000_000)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/load-isolation-bench"))
    ap.add_argument("--kill", action="store_true")
    ap.add_argument("--overlay", action="store_true", help="measure the implemented base + delta loads")
    ap.add_argument("--feeds", type=int, default=3)
    ap.add_argument("--write-and-wait", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.write_and_wait:  # the writer the kill check kills: 100k rows written, never committed
        con = lake(args.write_and_wait)
        con.execute("BEGIN")
        con.execute("INSERT INTO lake.cases SELECT * FROM lake.cases LIMIT 100000")
        print("written", flush=True)
        time.sleep(600)
        return
    shutil.rmtree(args.dir, ignore_errors=True)
    args.dir.mkdir(parents=True)
    if args.overlay:
        print(json.dumps(overlay_run(args.dir, args.cases, args.readings, args.feeds)))
        return
    out: dict[str, object] = dict(run(args.dir, args.cases, args.readings))
    if args.kill:
        out["kill"] = kill_check(args.dir / "lake")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
