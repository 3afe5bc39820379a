"""Delta-load cost and read cost of two isolation schemes (docs/architecture.md, "Incremental loads").

    python -m bench.load_isolation_bench --cases 1000000 --readings 20000000 --dir /tmp/lb

1. Copy-on-load (etl/snapshots.py today): copy the snapshot file, write the delta, checkpoint.
2. DuckLake (the ``ducklake`` extension wheel, SQLite catalog in WAL mode, Parquet data files).

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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--readings", type=int, default=20_000_000)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/load-isolation-bench"))
    ap.add_argument("--kill", action="store_true")
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
    out: dict[str, object] = dict(run(args.dir, args.cases, args.readings))
    if args.kill:
        out["kill"] = kill_check(args.dir / "lake")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
