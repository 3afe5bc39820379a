"""The readings rollup (metrics/readings_rollup.py): the IoT online rate read from it equals the rate
computed from the readings, over random windows, as-of instants and units, for sensors of every kind
of interval (on the rollup's 15-minute grid or not, declared or inferred, installed inside the window
on their grid or off it), before and after an incremental (delta) load bringing late, duplicate and
corrected readings; and the read really reads the rollup."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from etl.load import load_files
from etl.snapshots import current_snapshot, open_readonly, writer
from metrics import readings_rollup
from metrics.query import Period, Query
from metrics.sensors import reporting, sensor_online
from tests.dashboard.minimal_warehouse import copy_warehouse, read_only_warehouse
from tests.etl.conftest import demo_units

con = pytest.fixture(scope="module", name="con")(read_only_warehouse)

T0 = datetime(2026, 3, 1)  # the scratch warehouse's readings start here, 20 days of them
# (sensor, declared interval in minutes or None, installed_at): every way a sensor can fit the rollup or not
SENSORS = (
    ("h60", 60, None), ("q15", 15, None), ("q30", 30, None), ("h120", 120, None), ("d1440", 1440, None),
    ("m45", 45, None),  # 32 slots a day of 3 cells
    ("m5", 5, None), ("m25", 25, None), ("m105", 105, None),  # 5, 25: not whole cells; 105: not a day divisor
    ("inf", None, None),  # interval inferred from its readings' gaps (20 minutes here: not cells)
    ("inst_on", 60, T0 + timedelta(days=6, hours=5)),  # installed inside the window, on its hourly grid
    ("inst_off", 60, T0 + timedelta(days=6, hours=5, minutes=7, seconds=30)),  # ... off its grid
    ("quiet", 60, None),  # no reading at all
)


def both(c: duckdb.DuckDBPyConnection, q: Query, at: datetime) -> tuple[pd.DataFrame, pd.DataFrame]:
    return reporting(c, q, at, use_rollup=True), reporting(c, q, at, use_rollup=False)


def random_window(rng: random.Random, first: date, last: date) -> Period:
    start = first + timedelta(days=rng.randrange((last - first).days))
    return Period.custom(start, min(last, start + timedelta(days=rng.randrange(1, 35))))


def random_instant(rng: random.Random, p: Period) -> datetime:
    """An as-of instant inside (or just past) the period: on a cell boundary, on a minute, or anywhere."""
    span = int((p.end - p.start).total_seconds())
    at = p.start + timedelta(seconds=rng.randrange(1, span + 7200))
    kind = rng.randrange(3)
    if kind == 0:
        return at.replace(minute=at.minute - at.minute % 15, second=0)
    return at.replace(second=0) if kind == 1 else at


# --- the tiny demo ------------------------------------------------------------------------------------


def test_the_tiny_demo_has_a_current_readings_rollup(con: duckdb.DuckDBPyConnection) -> None:
    assert readings_rollup.ready(con)
    got = con.execute(f"SELECT sum(readings) FROM {readings_rollup.NAME}").fetchone()
    rows = con.execute("SELECT count(*) FROM sensor_readings").fetchone()
    assert got is not None and rows is not None and got[0] == rows[0] > 0


def test_online_rate_from_the_rollup_equals_rows_on_the_tiny_demo(con: duckdb.DuckDBPyConnection) -> None:
    first, last = con.execute("SELECT min(ts)::DATE, max(ts)::DATE FROM sensor_readings").fetchone()  # type: ignore[misc]
    units = [None, *(r[0] for r in con.execute(
        "SELECT unit_code FROM org_unit WHERE unit_code IN (SELECT town_code FROM sensors UNION"
        " SELECT grid_code FROM sensors) ORDER BY 1 LIMIT 6").fetchall())]
    rng = random.Random(19)
    fitted = 0
    for _ in range(25):
        p = random_window(rng, first, last)
        q = Query(period=p, unit=rng.choice(units))
        at = random_instant(rng, p)
        fast, rows = both(con, q, at)
        pd.testing.assert_frame_equal(fast, rows)
        pd.testing.assert_frame_equal(sensor_online(con, q, by="town", as_of=at, use_rollup=True),
                                      sensor_online(con, q, by="town", as_of=at, use_rollup=False))
        fitted += int(fast["received"].sum())
    assert fitted > 0  # the windows held readings


def test_the_read_really_reads_the_rollup(tiny_warehouse: Path, tmp_path: Path) -> None:
    wh = copy_warehouse(tiny_warehouse, tmp_path)
    with open_readonly(wh) as c:
        last = c.execute("SELECT max(ts)::DATE FROM sensor_readings").fetchone()[0]  # type: ignore[index]
    q = Query(period=Period.custom(last - timedelta(days=9), last))
    at = datetime.combine(last, datetime.min.time())
    with writer(wh) as c:  # drop one day from the rollup only: the rows still have it
        c.execute(f"DELETE FROM {readings_rollup.NAME} WHERE day = $d", {"d": last - timedelta(days=3)})
    with open_readonly(wh) as c:
        fast, rows = both(c, q, at)
        assert int(fast["received"].sum()) < int(rows["received"].sum())
        # and sensor_online (the wall's IoT tile) reads it when current
        assert int(sensor_online(c, q, by=None, as_of=at)["received"].sum()) == int(fast["received"].sum())


# --- a scratch warehouse: every kind of interval, then a delta load with late readings ----------------


def sensors_file(path: Path) -> Path:
    pd.DataFrame({
        "sensor_id": [f"demo:{s}" for s, _, _ in SENSORS], "source_system": "demo",
        "source_id": [s for s, _, _ in SENSORS], "sensor_type": "water_level",
        "expected_interval_min": pd.array([i for _, i, _ in SENSORS], dtype="Int64"),
        "installed_at": pd.to_datetime([t for _, _, t in SENSORS]),
        "threshold_warning": 2.0, "threshold_alarm": 3.0, "unit_code": "V1",
    }).to_parquet(path)
    return path


def readings_file(path: Path, start: datetime, days: int, seed: int, drop: float = 0.3) -> Path:
    """Each sensor's readings at its interval (the inferred one every 20 minutes), each anywhere in its
    interval (so in any cell of a slot), with ~``drop`` of them missing and some sent twice 40 s apart."""
    rng = np.random.default_rng(seed)
    step = {s: i or 20 for s, i, _ in SENSORS if s != "quiet"}
    rows: list[tuple[str, datetime]] = []
    for s, minutes in step.items():
        n = days * 1440 // minutes
        base = pd.date_range(start, periods=n, freq=f"{minutes}min")
        jitter = pd.to_timedelta(rng.integers(0, minutes * 60 - 40, n), unit="s")
        keep = rng.random(n) > drop
        ts = (base + jitter)[keep]
        again = ts[rng.random(len(ts)) < 0.1] + pd.Timedelta(seconds=40)  # a second reading in the slot
        rows += [(f"demo:{s}", t.to_pydatetime()) for t in (*ts, *again)]
    df = pd.DataFrame(rows, columns=["sensor_id", "ts"]).drop_duplicates().sort_values(["ts", "sensor_id"])
    df["value"] = rng.normal(1.0, 0.3, len(df))
    df.to_parquet(path)
    return path


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Path]:
    wh = tmp_path / "data" / "vitals.duckdb"
    load_files(wh, "units", [demo_units(tmp_path / "u.parquet")], "demo_units")
    load_files(wh, "sensors", [sensors_file(tmp_path / "s.parquet")], "demo_sensors")
    load_files(wh, "readings", [readings_file(tmp_path / "r0.parquet", T0, 14, seed=1)], "demo_readings")
    yield wh


def equals_a_fresh_build(c: duckdb.DuckDBPyConnection) -> bool:
    spec = readings_rollup.SPEC
    return sorted(c.execute(f"SELECT * FROM {spec.name}").fetchall()) == sorted(c.execute(spec.build_sql).fetchall())


def assert_rollup_equals_rows(wh: Path, seed: int, last: date) -> None:
    rng = random.Random(seed)
    with open_readonly(wh) as c:
        assert readings_rollup.ready(c) and equals_a_fresh_build(c)
        for _ in range(30):
            p = random_window(rng, T0.date() - timedelta(days=2), last)
            at = random_instant(rng, p)
            fast, rows = both(c, Query(period=p), at)
            pd.testing.assert_frame_equal(fast, rows)


def test_every_kind_of_interval_reads_the_same_from_the_rollup(scratch: Path) -> None:
    assert_rollup_equals_rows(scratch, seed=1, last=(T0 + timedelta(days=15)).date())
    # by hand: ``h60`` sends one reading an hour (some twice, 40 s apart); with every hour of one day
    # held, that day's 24 slots are received whatever the window's as-of minute within the next day
    with writer(scratch) as c:
        c.execute("DELETE FROM sensor_readings WHERE sensor_id = 'demo:h60' AND ts::DATE = '2026-03-03'")
        c.execute("INSERT INTO sensor_readings SELECT 'demo:h60', TIMESTAMP '2026-03-03' + to_minutes(60 * i + 2),"
                  " 1.0, NULL FROM range(24) t(i)")
        c.execute("INSERT INTO sensor_readings VALUES ('demo:h60', TIMESTAMP '2026-03-03 05:59:59', 1.0, NULL)")
        from etl.rollups import refresh_rollups
        refresh_rollups(c, {"sensor_readings": [date(2026, 3, 3)]})
    with open_readonly(scratch) as c:
        q = Query(period=Period.custom(date(2026, 3, 3), date(2026, 3, 4)))
        # (as-of, slots begun, slots with a reading before the as-of): the readings come at hh:02
        for at, expected, received in ((datetime(2026, 3, 4), 24, 24), (datetime(2026, 3, 3, 23, 59), 24, 24),
                                       (datetime(2026, 3, 3, 12, 3), 13, 13), (datetime(2026, 3, 3, 12, 1), 13, 12),
                                       (datetime(2026, 3, 3, 12), 12, 12)):
            fast, rows = both(c, q, at)
            row = fast.set_index("sensor_id").loc["demo:h60"]
            assert (row["expected"], row["received"]) == (expected, received), at
            pd.testing.assert_frame_equal(fast, rows)


def test_a_delta_load_of_late_and_duplicate_readings_keeps_the_rollup_exact(scratch: Path, tmp_path: Path) -> None:
    base = current_snapshot(scratch)
    # late: days 2-5 again (what was dropped arrives now, what was kept is sent again, some values
    # corrected) and two new days
    late = readings_file(tmp_path / "late.parquet", T0 + timedelta(days=2), 4, seed=2, drop=0.5)
    new = readings_file(tmp_path / "new.parquet", T0 + timedelta(days=14), 2, seed=3)
    with open_readonly(scratch) as c:
        before = reporting(c, Query(period=Period.custom(T0.date(), (T0 + timedelta(days=7)).date())),
                           T0 + timedelta(days=7), use_rollup=True)
    for f in (late, new):
        report = load_files(scratch, "readings", [f], "demo_readings")
        assert report.files[0].inserted > 0
    published = current_snapshot(scratch)
    assert published is not None and published != base and "delta-" in published.name  # a delta on the base
    with open_readonly(scratch) as c:
        after = reporting(c, Query(period=Period.custom(T0.date(), (T0 + timedelta(days=7)).date())),
                          T0 + timedelta(days=7), use_rollup=True)
    assert int(after["received"].sum()) > int(before["received"].sum())  # the late readings filled slots
    assert_rollup_equals_rows(scratch, seed=2, last=(T0 + timedelta(days=17)).date())


def test_a_warehouse_without_a_current_readings_rollup_is_read_from_rows(tiny_warehouse: Path, tmp_path: Path) -> None:
    wh = copy_warehouse(tiny_warehouse, tmp_path)
    with open_readonly(wh) as c:
        last = c.execute("SELECT max(ts)::DATE FROM sensor_readings").fetchone()[0]  # type: ignore[index]
        q = Query(period=Period.custom(last - timedelta(days=6), last))
        at = datetime.combine(last, datetime.min.time()) + timedelta(hours=9, minutes=7)
        want = reporting(c, q, at, use_rollup=False)
    with writer(wh) as c:  # as a warehouse from before the readings rollup
        c.execute(f"DROP TABLE {readings_rollup.NAME}")
        c.execute("DELETE FROM warehouse_meta WHERE key = $k", {"k": readings_rollup.META_KEY})
    with open_readonly(wh) as c:
        assert not readings_rollup.ready(c)
        pd.testing.assert_frame_equal(reporting(c, q, at), want)
