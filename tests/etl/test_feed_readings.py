"""Readings keyed by (sensor, ts), deletable by run; thresholds with a direction and a baseline
(issue 23 items 3 and 4). Fixtures are generated here; expected values are worked out by hand."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from typer.testing import CliRunner

from etl.alarms import derive_alarms
from etl.cli import app
from etl.load import load_files, load_into
from etl.snapshots import writer
from tests.etl.feeds import (
    query,
    readings_mapping,
    sensors_csv,
    sensors_mapping,
    sensors_mapping_with_thresholds,
    write,
)

PLAIN = """
[fields]
sensor_id = { template = "st:{id}" }
ts = "when"
value = "v"
"""
T0 = datetime(2026, 7, 1)


def _csv(path, rows):
    return write(path, "id,when,v\n" + "".join(f"{i},{t:%Y-%m-%d %H:%M},{v}\n" for i, t, v in rows))


def test_same_file_twice_changes_nothing_corrected_file_updates_and_a_run_can_be_deleted(tmp_path, warehouse):
    load_files(warehouse, "sensors", [sensors_csv(tmp_path / "s.csv", [("A", "air_co", "", "")])],
               sensors_mapping())
    rows = [("A", T0 + timedelta(hours=h), 2.0 + h) for h in range(5)]
    f = _csv(tmp_path / "r.csv", rows)
    first = load_files(warehouse, "readings", [f], readings_mapping(PLAIN)).files[0]
    again = load_files(warehouse, "readings", [f], readings_mapping(PLAIN)).files[0]
    assert (first.inserted, first.updated, first.unchanged) == (5, 0, 0)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 5)
    # The corrected export: hour 2 was 4.0, is 0.4; and one more hour.
    fixed = [*rows[:2], ("A", rows[2][1], 0.4), *rows[3:], ("A", T0 + timedelta(hours=5), 7.0)]
    rep = load_files(warehouse, "readings", [_csv(tmp_path / "r2.csv", fixed)], readings_mapping(PLAIN))
    f3 = rep.files[0]
    assert (f3.rows_read, f3.inserted, f3.updated, f3.unchanged, f3.rows_rejected) == (6, 1, 1, 4, 0)
    assert f3.rows_read == f3.rows_loaded + f3.rows_rejected
    assert query(warehouse, "SELECT value FROM sensor_readings ORDER BY ts") == [
        (2.0,), (3.0,), (0.4,), (5.0,), (6.0,), (7.0,)]

    res = CliRunner().invoke(app, ["delete", "readings", "--run", str(rep.run_id), "--warehouse", str(warehouse)])
    assert res.exit_code == 0, res.output
    assert "deleted 2 readings row(s)" in res.output
    # The run's two rows (the corrected and the new reading) are gone; the first load's rows stay.
    assert query(warehouse, "SELECT value FROM sensor_readings ORDER BY ts") == [(2.0,), (3.0,), (5.0,), (6.0,)]
    runs = query(warehouse, "SELECT run_id, status, mapping, message FROM etl_run ORDER BY run_id")
    assert runs[rep.run_id - 1][1] == "deleted"
    assert runs[-1][1:3] == ("succeeded", f"delete --run {rep.run_id}")
    assert json.loads(runs[-1][3])["rows_deleted"] == 2
    again = CliRunner().invoke(app, ["delete", "readings", "--run", str(rep.run_id), "--warehouse", str(warehouse)])
    assert again.exit_code == 2 and "already deleted" in again.output
    wrong = CliRunner().invoke(app, ["delete", "cases", "--run", "1", "--warehouse", str(warehouse)])
    assert wrong.exit_code == 2 and "run 1 loaded sensors, not cases" in wrong.output


FLOOD_SENSORS = """
baseline = "mount_cm"
threshold_direction = { constant = "above" }
uom = { constant = "m" }
"""
# Street flood sensors report the distance from the sensor down to the surface, in cm: 200 cm on a
# dry street under a sensor mounted 2.00 m up. Depth = 2.00 m - distance.
FLOOD_READINGS = """
[fields]
sensor_id = { template = "st:{id}" }
ts = "when"
value = { column = "v", scale = 0.01, from_baseline = true }
"""


def _flood_sensors(tmp_path):
    return write(tmp_path / "s.csv", "id,type,warn,alarm,mount_cm\nDRY,flood_depth,0.10,0.30,2.0\n"
                                     "WET,flood_depth,0.10,0.30,2.0\n")


def test_files_of_other_sensors_over_the_same_span_insert_and_a_stored_sensor_is_still_matched(tmp_path, warehouse):
    # The stored rows a file is compared with are narrowed to its span and its sensors: a file of B over
    # A's span inserts all, and a file of A and C finds A's stored rows (unchanged, one corrected).
    load_files(warehouse, "sensors", [sensors_csv(tmp_path / "s.csv", [(s, "air_co", "", "") for s in "ABC"])],
               sensors_mapping())
    hours = [T0 + timedelta(hours=h) for h in range(4)]
    a = load_files(warehouse, "readings", [_csv(tmp_path / "a.csv", [("A", t, 1.0) for t in hours])],
                   readings_mapping(PLAIN)).files[0]
    b = load_files(warehouse, "readings", [_csv(tmp_path / "b.csv", [("B", t, 2.0) for t in hours])],
                   readings_mapping(PLAIN)).files[0]
    ac = [("A", t, 1.0) for t in hours[:3]] + [("A", hours[3], 9.0)] + [("C", t, 3.0) for t in hours]
    mixed = load_files(warehouse, "readings", [_csv(tmp_path / "ac.csv", ac)], readings_mapping(PLAIN)).files[0]
    assert (a.inserted, b.inserted, b.updated, b.unchanged) == (4, 4, 0, 0)
    assert (mixed.inserted, mixed.updated, mixed.unchanged) == (4, 1, 3)
    assert query(warehouse, "SELECT sensor_id, count(*), sum(value) FROM sensor_readings GROUP BY 1 ORDER BY 1") == [
        ("st:A", 4, 12.0), ("st:B", 4, 8.0), ("st:C", 4, 12.0)]


def test_flood_depth_dry_street_raises_nothing_and_a_flood_one_alarm_with_its_peak(tmp_path, warehouse):
    load_files(warehouse, "sensors", [_flood_sensors(tmp_path)], sensors_mapping(FLOOD_SENSORS))
    dry = [("DRY", T0 + timedelta(minutes=10 * i), 200 - (i % 3)) for i in range(12)]  # depth 0..0.02 m
    wet_cm = [200, 199, 150, 120, 170, 195, 200, 200]  # depth 0, 0.01, 0.5, 0.8, 0.3, 0.05, 0, 0
    wet = [("WET", T0 + timedelta(minutes=10 * i), d) for i, d in enumerate(wet_cm)]
    with writer(warehouse) as con:
        load_into(con, "readings", [_csv(tmp_path / "r.csv", dry + wet)], readings_mapping(FLOOD_READINGS))
        derive_alarms(con)
    depths = [v for (v,) in query(warehouse, "SELECT value FROM sensor_readings WHERE sensor_id = 'st:WET'"
                                             " ORDER BY ts")]
    assert depths == pytest.approx([0.0, 0.01, 0.5, 0.8, 0.3, 0.05, 0.0, 0.0])
    alarms = query(warehouse, "SELECT sensor_id, severity, started_at, ended_at, peak_value FROM sensor_alarms")
    assert len(alarms) == 1
    sid, severity, start, end, peak = alarms[0]
    assert (sid, severity, start, end) == ("st:WET", "alarm", T0 + timedelta(minutes=20), T0 + timedelta(minutes=50))
    assert peak == pytest.approx(0.8)


def test_a_reading_for_a_sensor_without_baseline_is_rejected(tmp_path, warehouse):
    s = write(tmp_path / "s.csv", "id,type,warn,alarm,mount_cm\nX,flood_depth,0.1,0.3,\n")
    load_files(warehouse, "sensors", [s], sensors_mapping(FLOOD_SENSORS))
    rep = load_files(warehouse, "readings", [_csv(tmp_path / "r.csv", [("X", T0, 150)])],
                     readings_mapping(FLOOD_READINGS))
    assert rep.reasons == {"missing_required": 1}
    assert query(warehouse, "SELECT field, raw_value FROM etl_reject") == [("baseline", "st:X")]


@pytest.mark.parametrize(("direction", "extra", "values", "expected"), [
    # low water pressure: at or below 0.2 warns, 0.1 alarms; the peak is the lowest reading
    ("below", "", [0.3, 0.15, 0.05, 0.12, 0.3], [("alarm", 1, 4, 0.05)]),
    # a band (pH): above 8.5 / 9 or at or below 6.5 / 6
    ("outside", "6.5,6", [7.0, 8.6, 7.0, 5.9, 6.4, 7.0], [("warning", 1, 2, 8.6), ("alarm", 3, 5, 5.9)]),
    ("above", "", [0.1, 0.25, 0.1], [("warning", 1, 2, 0.25)]),
])
def test_direction(tmp_path, warehouse, direction, extra, values, expected):
    warn, alarm = {"below": ("0.2", "0.1"), "outside": ("8.5", "9"), "above": ("0.2", "0.3")}[direction]
    lw, la = extra.split(",") if extra else ("", "")
    s = write(tmp_path / "s.csv", f"id,type,warn,alarm,dir,lw,la\nP,x,{warn},{alarm},{direction},{lw},{la}\n")
    m = sensors_mapping('threshold_direction = "dir"\nthreshold_low_warning = "lw"\nthreshold_low_alarm = "la"\n')
    load_files(warehouse, "sensors", [s], m)
    with writer(warehouse) as con:
        load_into(con, "readings", [_csv(tmp_path / "r.csv", [("P", T0 + timedelta(hours=i), v)
                                                              for i, v in enumerate(values)])],
                  readings_mapping(PLAIN))
        derive_alarms(con)
    got = query(warehouse, "SELECT severity, started_at, ended_at, peak_value FROM sensor_alarms ORDER BY 2")
    assert got == [(sev, T0 + timedelta(hours=a), T0 + timedelta(hours=b), peak) for sev, a, b, peak in expected]


def test_unknown_direction_is_rejected(tmp_path, warehouse):
    s = write(tmp_path / "s.csv", "id,type,warn,alarm,dir\nP,x,1,2,sideways\n")
    rep = load_files(warehouse, "sensors", [s], sensors_mapping('threshold_direction = "dir"\n'))
    assert rep.reasons == {"bad_value": 1}


def test_a_threshold_declared_none_clears_it_on_reload_and_its_derived_alarms_go(tmp_path, warehouse):
    s = sensors_csv(tmp_path / "s.csv", [("A", "noise", "60", "70")])
    load_files(warehouse, "sensors", [s], sensors_mapping())
    with writer(warehouse) as con:
        load_into(con, "readings", [_csv(tmp_path / "r.csv", [("A", T0, 50), ("A", T0 + timedelta(hours=1), 75),
                                                             ("A", T0 + timedelta(hours=2), 50)])],
                  readings_mapping(PLAIN))
        derive_alarms(con)
    assert query(warehouse, "SELECT severity, peak_value FROM sensor_alarms") == [("alarm", 75.0)]
    # The same channel, both thresholds now declared "none" (a constant and a map value).
    m = sensors_mapping_with_thresholds('threshold_warning = { constant = "none" }\n'
                                        'threshold_alarm = { column = "type", map = { noise = "none" } }\n')
    with writer(warehouse) as con:
        rep = load_into(con, "sensors", [s], m)
        derive_alarms(con)
    assert rep.files[0].updated == 1
    assert query(warehouse, "SELECT threshold_warning, threshold_alarm FROM sensors") == [(None, None)]
    assert query(warehouse, "SELECT count(*) FROM sensor_alarms") == [(0,)]

