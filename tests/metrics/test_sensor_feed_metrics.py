"""Online rate over the period, gaps and directions for sensor feeds (issue 23 items 4 and 5),
against hand computations."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from metrics import Period, Query, latest_readings, sensor_online
from metrics import sensors_explore as SX
from metrics.sensors import reporting
from tests.metrics.warehouse import insert, new_warehouse, with_path

DAY = Query(Period.custom(date(2026, 7, 1), date(2026, 7, 1)))  # [Jul 1, Jul 2)
END = datetime(2026, 7, 2)


def _sensor(con, sid, every=None, installed=None, **kw):
    insert(con, "sensors", with_path({"sensor_id": sid, "source_system": "t", "source_id": sid, "name": sid,
                                      "sensor_type": "flow", "expected_interval_min": every,
                                      "installed_at": installed, **kw}, "V1"))


def _readings(con, sid, times, value=1.0):
    for t in times:
        insert(con, "sensor_readings", {"sensor_id": sid, "ts": t, "value": value})


def test_online_rate_over_the_day_not_a_snapshot_at_its_end(tmp_path):
    con = new_warehouse(tmp_path)
    start = datetime(2026, 7, 1)
    # A: every minute for 1,049 minutes (to 17:29), then silent: 1,049 of 1,440 intervals.
    _sensor(con, "A", every=1)
    _readings(con, "A", [start + timedelta(minutes=i) for i in range(1049)])
    # B: declares nothing; reports every 10 minutes (inferred) all day except 06:00-09:00 (18 missing).
    _sensor(con, "B")
    _readings(con, "B", [start + timedelta(minutes=10 * i) for i in range(144) if not 36 <= i < 54])
    # C: hourly, installed at noon: 12 intervals expected, readings at 12:30 and 13:05 (two intervals).
    _sensor(con, "C", every=60, installed=datetime(2026, 7, 1, 12))
    _readings(con, "C", [datetime(2026, 7, 1, 12, 30), datetime(2026, 7, 1, 13, 5)])
    rep = reporting(con, DAY, END).set_index("sensor_id")
    assert rep.loc["A", ["expected", "received"]].tolist() == [1440, 1049]
    assert rep.loc["B", "interval_min"] == 10 and rep.loc["B", ["expected", "received"]].tolist() == [144, 126]
    assert rep.loc["C", ["expected", "received"]].tolist() == [12, 2]
    on = sensor_online(con, DAY, as_of=END)
    assert on.online[0] == 1  # at the day's end only B had just reported: the old snapshot rate, 1/3
    assert (on.expected[0], on.received[0]) == (1596, 1177)
    assert on.online_rate[0] == pytest.approx(1177 / 1596)
    page = SX.online_rate(con, DAY, "sensor_type", as_of=END)
    assert page.online_rate[0] == pytest.approx(1177 / 1596)


def test_a_long_outage_is_drawn_as_a_gap():
    ts = pd.to_datetime(["2026-01-01 00:00", "2026-01-01 01:00", "2026-08-01 00:00", "2026-08-01 01:00"])
    series = pd.DataFrame({"ts": ts, "value": [1.0, 2.0, 3.0, 4.0], "lo": 1.0, "hi": 4.0, "n": 1})
    out = SX.break_gaps(series, timedelta(hours=3))
    assert len(out) == 5 and out["value"].isna().tolist() == [False, False, True, False, False]
    assert out["ts"].iloc[2] == pd.Timestamp("2026-01-01 01:00:01")
    assert len(SX.break_gaps(series, timedelta(days=365))) == 4  # no silence beyond the limit: unchanged
    year = Query(Period.custom(date(2026, 1, 1), date(2026, 12, 31)))
    # a year in 720 buckets is 12.2 h each: two buckets beat three hourly intervals
    assert SX.gap_limit(year, 60, 720) == timedelta(seconds=2 * 43800)
    assert SX.gap_limit(DAY, 60, 720) == timedelta(hours=3)


@pytest.mark.parametrize(("kw", "values", "states"), [
    ({"threshold_direction": "below", "threshold_warning": 0.2, "threshold_alarm": 0.1}, [0.05], ["alarm"]),
    ({"threshold_direction": "outside", "threshold_warning": 8.5, "threshold_alarm": 9.0,
      "threshold_low_warning": 6.5, "threshold_low_alarm": 6.0}, [6.4], ["warning"]),
    ({"threshold_direction": "outside", "threshold_warning": 8.5, "threshold_alarm": 9.0,
      "threshold_low_warning": 6.5, "threshold_low_alarm": 6.0}, [7.0], ["normal"]),
    ({"threshold_direction": "above", "threshold_warning": None, "threshold_alarm": 3.0}, [2.9], ["normal"]),
    ({"threshold_warning": 0.3, "threshold_alarm": 0.2}, [0.25], ["warning"]),  # undeclared, alarm < warning
])
def test_states_follow_the_direction_in_sql_and_on_the_page(tmp_path, kw, values, states):
    con = new_warehouse(tmp_path)
    _sensor(con, "P", every=60, **kw)
    _readings(con, "P", [datetime(2026, 7, 1, 23)], values[0])
    assert latest_readings(con, DAY, as_of=END).state.tolist() == states
    assert SX.sensor_status(con, DAY, as_of=END).state.tolist() == states

