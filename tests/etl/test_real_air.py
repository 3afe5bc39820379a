"""Shanghai PM2.5 and Beijing PRSA files: sensors + readings, counts checked against pandas."""

from __future__ import annotations

import pandas as pd
import pytest

from etl.alarms import derive_alarms
from etl.load import load_files
from etl.snapshots import open_readonly, writer
from tests.etl.conftest import REAL

pytestmark = pytest.mark.real_data
SH = REAL / "sensor" / "shanghai_pm25_3sites_2013-2015.csv"
BJ = sorted((REAL / "sensor" / "beijing_prsa_12stations").glob("*.csv.gz"))
SH_COLS = ["PM_Jingan", "PM_US Post", "PM_Xuhui"]
BJ_COLS = ["PM2.5", "PM10", "SO2", "NO2", "CO", "O3"]
BJ_MAX = {"PM2.5": 1000, "PM10": 2000, "SO2": 1000, "NO2": 1000, "CO": 20000, "O3": 1000}


def test_shanghai(warehouse):
    raw = pd.read_csv(SH, na_values=["NA"], keep_default_na=False)
    s = load_files(warehouse, "sensors", [SH], "shanghai_pm25_sensors")
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (len(raw) * 3, len(raw) * 3, 0)
    assert (s.files[0].inserted, s.files[0].unchanged) == (3, len(raw) * 3 - 3)
    r = load_files(warehouse, "readings", [SH], "shanghai_pm25_readings")
    missing = int(raw[SH_COLS].isna().sum().sum())
    assert r.rows_read == 25602 * 3 == len(raw) * 3
    assert r.reasons == {"missing_required": missing}
    assert r.rows_loaded == len(raw) * 3 - missing
    con = open_readonly(warehouse)
    assert con.execute("SELECT count(*), min(ts), max(ts) FROM sensor_readings").fetchone() == (
        r.rows_loaded, pd.Timestamp("2013-01-29 06:00"), pd.Timestamp("2015-12-31 23:00"))
    # Jing'an reading at the first hour, straight from the file.
    assert con.execute("SELECT value FROM sensor_readings WHERE sensor_id = 'shanghai_pm25:jingan'"
                       " AND ts = '2013-01-29 06:00'").fetchone()[0] == raw.loc[0, "PM_Jingan"]
    # The line of a missing reading points at the file's physical line (header = line 1).
    # The field is the wide column the value came from (the unpivot's name column), not 'pm25'.
    line = con.execute("SELECT min(line) FROM etl_reject WHERE list_contains(?, field)", [SH_COLS]).fetchone()[0]
    first_na = int(raw.index[raw[SH_COLS].isna().any(axis=1)][0]) + 2
    assert line == first_na
    con.close()
    r2 = load_files(warehouse, "readings", [SH], "shanghai_pm25_readings")
    assert (r2.files[0].inserted, r2.files[0].unchanged) == (0, r.rows_loaded)


@pytest.mark.slow
def test_beijing(warehouse):
    frames = [pd.read_csv(f, na_values=["NA"], keep_default_na=False) for f in BJ]
    s = load_files(warehouse, "sensors", BJ, "beijing_prsa_sensors")
    n = sum(len(f) for f in frames)
    assert n == 12 * 35064
    assert (s.rows_read, s.rows_rejected) == (n * 6, 0)
    assert sum(f.inserted for f in s.files) == 12 * 6
    r = load_files(warehouse, "readings", BJ, "beijing_prsa_readings")
    missing = sum(int(f[BJ_COLS].isna().sum().sum()) for f in frames)
    too_high = sum(int((f[c] > BJ_MAX[c]).sum()) for f in frames for c in BJ_COLS)
    assert sum(int(f["CO"].isna().sum()) for f in frames) == 20701  # as documented in SOURCES.md
    assert r.reasons == {"missing_required": missing, "out_of_range": too_high}
    assert r.rows_loaded == n * 6 - missing - too_high
    with writer(warehouse) as con:
        derived = derive_alarms(con)
        alarms = con.execute("SELECT count(*) FROM sensor_alarms").fetchone()[0]
        # Recompute the PM2.5 warning-or-worse runs of one station independently.
        f = frames[0].dropna(subset=["PM2.5"])
        f = f[f["PM2.5"] <= 1000]
        above = (f["PM2.5"] >= 75).to_numpy()
        runs = int(above[0]) + int(((above[1:]) & (~above[:-1])).sum())
        station = f["station"].iloc[0]
        got = con.execute("SELECT count(*) FROM sensor_alarms WHERE sensor_id = ?",
                          [f"beijing_prsa:{station}:PM2.5"]).fetchone()[0]
    assert derived == alarms > 0
    assert got == runs
