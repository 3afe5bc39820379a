"""sensor_readings: each load stores its rows in time order; reloads of overlapping readings add no rows
(their values update in place); a sensor's readings after several loads are all there.
Checked against pandas frames of the files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from etl.cli import app
from etl.load import load_files
from etl.snapshots import current_snapshot, open_readonly, writer


def _sensors(path: Path, n: int) -> Path:
    pd.DataFrame({"sensor_id": [f"demo:s{i}" for i in range(n)], "source_system": "demo",
                  "source_id": [f"s{i}" for i in range(n)], "sensor_type": "water_level",
                  "threshold_warning": 2.0, "threshold_alarm": 3.0, "physical_min": -100.0,
                  "physical_max": 100.0, "unit_code": [None] * n}).to_parquet(path)
    return path


def _readings(path: Path, sensors: range, start: str, hours: int, seed: int) -> pd.DataFrame:
    """Hourly readings of the sensors, written sensor by sensor (the demo's file order), shuffled a bit."""
    rng = np.random.default_rng(seed)
    ts = pd.date_range(start, periods=hours, freq="h")
    df = pd.DataFrame({"sensor_id": np.repeat([f"demo:s{i}" for i in sensors], hours),
                       "ts": np.tile(ts, len(sensors)), "value": rng.normal(1.0, 0.5, len(sensors) * hours)})
    df = df.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    df.to_parquet(path)
    return df


def _stored(warehouse: Path) -> pd.DataFrame:
    with open_readonly(warehouse) as con:
        return con.execute("SELECT rowid AS r, sensor_id, ts, value, load_run_id FROM sensor_readings"
                           " ORDER BY rowid").df()


def test_each_load_is_stored_in_time_order_and_reloads_add_nothing(tmp_path, warehouse, monkeypatch):
    # The physical order of full snapshots (rowid); the deltas' rows are checked in test_overlay.py.
    monkeypatch.setenv("VITALS_DELTA_MAX_ROWS", "0")
    load_files(warehouse, "sensors", [_sensors(tmp_path / "s.parquet", 8)], "demo_sensors")
    first = _readings(tmp_path / "r1.parquet", range(6), "2026-03-01", 24 * 10, seed=1)
    rep = load_files(warehouse, "readings", [tmp_path / "r1.parquet"], "demo_readings")
    assert rep.files[0].inserted == len(first)
    stored = _stored(warehouse)
    # Physical order is (ts, sensor_id): what lets zone maps on ts skip row groups outside a window.
    assert stored[["ts", "sensor_id"]].equals(stored.sort_values(["ts", "sensor_id"])[["ts", "sensor_id"]]
                                              .reset_index(drop=True))

    # A second file overlapping the first by 3 days with other values (a corrected export: the stored
    # readings take its values, in place) plus 4 new days, and two sensors without readings so far.
    second = _readings(tmp_path / "r2.parquet", range(8), "2026-03-08", 24 * 7, seed=2)
    rep = load_files(warehouse, "readings", [tmp_path / "r2.parquet"], "demo_readings")
    old_keys = set(zip(first.sensor_id, first.ts, strict=True))
    new = second[[k not in old_keys for k in zip(second.sensor_id, second.ts, strict=True)]]
    f2 = rep.files[0]
    assert (f2.inserted, f2.updated, f2.unchanged) == (len(new), len(second) - len(new), 0)
    stored = _stored(warehouse)
    assert not stored.duplicated(["sensor_id", "ts"]).any()
    assert len(stored) == len(first) + len(new)
    appended = stored[stored.r >= len(first)]
    assert len(appended) == len(new) and (appended.load_run_id == rep.run_id).all()
    assert appended.ts.is_monotonic_increasing  # the second load is its own time-ordered run after the first
    first_part = stored[stored.r < len(first)]
    assert first_part[["ts", "sensor_id"]].equals(first_part.sort_values(["ts", "sensor_id"])[["ts", "sensor_id"]])

    # Every reading of a sensor is there after two loads, with the value of the load that brought it last.
    key = ["sensor_id", "ts"]
    expect = (pd.concat([first, second]).drop_duplicates(key, keep="last").query("sensor_id == 'demo:s3'")
              .sort_values("ts").reset_index(drop=True))
    got = stored[stored.sensor_id == "demo:s3"].sort_values("ts").reset_index(drop=True)
    assert got.ts.equals(expect.ts) and np.allclose(got.value, expect.value)

    # Reloading the latest file changes nothing; reloading the first one puts its values back.
    rep = load_files(warehouse, "readings", [tmp_path / "r2.parquet"], "demo_readings")
    assert (rep.files[0].inserted, rep.files[0].updated) == (0, 0)
    rep = load_files(warehouse, "readings", [tmp_path / "r1.parquet"], "demo_readings")
    assert (rep.files[0].inserted, rep.files[0].updated) == (0, len(second) - len(new))
    assert len(_stored(warehouse)) == len(first) + len(new)


def test_reorder_readings_rewrites_an_old_layout_in_time_order_with_the_same_rows(tmp_path, warehouse):
    load_files(warehouse, "sensors", [_sensors(tmp_path / "s.parquet", 4)], "demo_sensors")
    rows = _readings(tmp_path / "r.parquet", range(4), "2026-03-01", 24 * 5, seed=3)
    with writer(warehouse) as con:  # the former layout: rows as they came, in no time order
        con.register("__rows", rows)
        con.execute("INSERT INTO sensor_readings (sensor_id, ts, value, load_run_id) SELECT *, 7 FROM __rows")
    before = _stored(warehouse)
    assert not before.ts.is_monotonic_increasing
    old_snapshot = current_snapshot(warehouse)
    r = CliRunner().invoke(app, ["reorder-readings", "-w", str(warehouse)])
    assert r.exit_code == 0 and f"{len(rows):,} rows" in r.output, r.output
    assert current_snapshot(warehouse) != old_snapshot  # published as a new snapshot
    after = _stored(warehouse)
    assert after[["ts", "sensor_id"]].equals(after.sort_values(["ts", "sensor_id"])[["ts", "sensor_id"]]
                                            .reset_index(drop=True))
    key = ["sensor_id", "ts"]
    pd.testing.assert_frame_equal(before.drop(columns="r").sort_values(key).reset_index(drop=True),
                                  after.drop(columns="r").sort_values(key).reset_index(drop=True))
