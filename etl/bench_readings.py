"""Measure readings-load throughput: ``python -m etl.bench_readings --sensors 1000 --per-sensor 45000``.

Writes a synthetic demo-format Parquet (sensors × 10-minute readings), loads it into a scratch
warehouse twice (the second load must insert nothing) and prints rows/second for each.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb

from etl.load import load_files


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sensors", type=int, default=1000)
    ap.add_argument("--per-sensor", type=int, default=45_000)
    ap.add_argument("--dir", type=Path, default=None, help="scratch directory (default: a temp dir)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="vitals-bench-") as tmp:
        d = args.dir or Path(tmp)
        d.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect()
        con.execute(
            "COPY (SELECT 'demo:s' || s AS sensor_id, 'demo' AS source_system, 's' || s AS source_id,"
            " 'water_level' AS sensor_type, 2.0 AS threshold_warning, 3.0 AS threshold_alarm, -5.0 AS physical_min,"
            " 20.0 AS physical_max, 10 AS expected_interval_min, NULL::VARCHAR AS unit_code"
            f" FROM range({int(args.sensors)}) t(s)) TO '{d / 'sensors.parquet'}'"
        )
        t0 = time.monotonic()
        con.execute(
            "COPY (SELECT 'demo:s' || s AS sensor_id, TIMESTAMP '2025-01-01' + to_minutes(10 * i) AS ts,"
            f" random() * 4 AS value FROM range({int(args.sensors)}) a(s), range({int(args.per_sensor)}) b(i))"
            f" TO '{d / 'readings.parquet'}' (ROW_GROUP_SIZE 1000000)"
        )
        con.close()
        print(f"generated {args.sensors * args.per_sensor:,} readings in {time.monotonic() - t0:.1f} s")
        wh = d / "wh" / "vitals.duckdb"
        load_files(wh, "sensors", [d / "sensors.parquet"], "demo_sensors")
        for label in ("first load", "re-load"):
            t0 = time.monotonic()
            r = load_files(wh, "readings", [d / "readings.parquet"], "demo_readings")
            s = time.monotonic() - t0
            print(f"{label}: {r.rows_read:,} read, {r.files[0].inserted:,} inserted in {s:.1f} s"
                  f" ({r.rows_read / s:,.0f} rows/s)")


if __name__ == "__main__":
    main()
