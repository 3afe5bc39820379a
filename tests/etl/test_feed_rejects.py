"""Rejects keep their evidence (issue 23 item 6, issue 17's physical lines): the whole row as exported,
the raw value of a blanked sentinel, and the physical line after a preamble and multi-line fields."""

from __future__ import annotations

import json

from etl.load import load_files
from tests.etl.feeds import query, readings_mapping, sensors_csv, sensors_mapping, write

MAPPING = """
[file]
null_values = ["-200"]
[fields]
sensor_id = { template = "st:{id}" }
ts = "when"
value = "PM2.5"
"""


def _load(tmp_path, warehouse, text: str, skip: int = 0):
    load_files(warehouse, "sensors", [sensors_csv(tmp_path / "s.csv", [("CO", "air_co", "10", "")])],
               sensors_mapping())
    mapping = readings_mapping(MAPPING.replace("[file]\n", f"[file]\nskip = {skip}\n"))
    return load_files(warehouse, "readings", [write(tmp_path / "r.csv", text)], mapping)


def test_reject_keeps_whole_row_raw_sentinel_and_physical_line(tmp_path, warehouse):
    text = ("Logger SN 4411\n"                                      # 1 preamble
            "exported 2026-01-02\n"                                 # 2 preamble
            'id,when,t,"PM2.5"\n'                                   # 3 header
            'CO,2026-01-01 00:00,"first\nsecond",-200\n'            # 4-5 one record, a sentinel
            "\n"                                                    # 6 blank
            "CO,2026-01-01 01:00,x,5\n"                             # 7 loaded
            "CO,2026-01-01 02:00,y,abc\n")                          # 8 not a number
    rep = _load(tmp_path, warehouse, text, skip=2)
    assert (rep.rows_read, rep.rows_loaded, rep.rows_rejected) == (3, 1, 2)
    rows = query(warehouse, "SELECT line, field, raw_value, reason, raw_record FROM etl_reject ORDER BY line")
    assert [r[:4] for r in rows] == [(4, "PM2.5", "-200", "missing_required"), (8, "PM2.5", "abc", "bad_number")]
    # A column named t: the record is the whole row, not that column's value.
    assert json.loads(rows[0][4]) == {"id": "CO", "when": "2026-01-01 00:00", "t": "first\nsecond", "PM2.5": "-200"}
    assert json.loads(rows[1][4]) == {"id": "CO", "when": "2026-01-01 02:00", "t": "y", "PM2.5": "abc"}
    assert query(warehouse, "SELECT value FROM sensor_readings") == [(5.0,)]


def test_plain_file_keeps_header_plus_k(tmp_path, warehouse):
    rep = _load(tmp_path, warehouse, 'id,when,t,"PM2.5"\nCO,2026-01-01 00:00,x,1\nCO,2026-01-01 01:00,x,zz\n')
    assert rep.rows_rejected == 1
    assert query(warehouse, "SELECT line, raw_value FROM etl_reject") == [(3, "zz")]


def test_wide_station_reject_names_the_column_and_keeps_the_sentinel(tmp_path, warehouse):
    # An hourly multi-pollutant station, one column per pollutant, -200 for a missing value.
    s = sensors_csv(tmp_path / "s.csv", [("CO(GT)", "air_co", "10", ""), ("NO2(GT)", "air_no2", "200", "")])
    load_files(warehouse, "sensors", [s], sensors_mapping())
    f = write(tmp_path / "wide.csv", "when;CO(GT);NO2(GT)\n2004-03-10 18:00;2,6;-200\n2004-03-10 19:00;-200;101\n")
    m = readings_mapping('[file]\ndelimiter = ";"\nnull_values = ["-200"]\n[numbers]\ndecimal = ","\n'
                         '[unpivot]\ncolumns = ["CO(GT)", "NO2(GT)"]\nname = "pollutant"\nvalue = "v"\n'
                         '[fields]\nsensor_id = { template = "st:{pollutant}" }\nts = "when"\nvalue = "v"\n')
    rep = load_files(warehouse, "readings", [f], m)
    assert (rep.rows_read, rep.rows_loaded, rep.rows_rejected) == (4, 2, 2)
    assert query(warehouse, "SELECT line, field, raw_value, reason FROM etl_reject ORDER BY line") == [
        (2, "NO2(GT)", "-200", "missing_required"), (3, "CO(GT)", "-200", "missing_required")]
    assert query(warehouse, "SELECT sensor_id, value FROM sensor_readings ORDER BY ts") == [
        ("st:CO(GT)", 2.6), ("st:NO2(GT)", 101.0)]
