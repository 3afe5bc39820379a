"""Decimal commas and explicit UTC offsets in sensor exports (issue 23, items 1 and 2)."""

from __future__ import annotations

from datetime import datetime

import pytest

from etl.load import LoadError, load_files
from etl.settings import Settings
from tests.etl.feeds import query, readings_mapping, sensors_csv, sensors_mapping, write

READINGS = """
[file]
format = "csv"
delimiter = ";"
[time]
formats = ["%d/%m/%Y %H:%M"]
zone = "Europe/Rome"
[fields]
sensor_id = { template = "st:{id}" }
ts = "when"
value = "co"
"""


def _setup(tmp_path, warehouse, settings=None):
    # the readings mappings below are in Rome time: a site in Rome unless a test says otherwise
    s = sensors_csv(tmp_path / "s.csv", [("CO", "air_co", "10", "")])
    return load_files(warehouse, "sensors", [s], sensors_mapping(),
                      settings=settings or Settings(warehouse=warehouse, timezone="Europe/Rome"))


def test_decimal_comma_is_refused_without_declaration_and_exact_with_it(tmp_path, warehouse):
    _setup(tmp_path, warehouse, Settings(warehouse=warehouse, timezone="Europe/Rome"))
    f = write(tmp_path / "air.csv", "id;when;co\nCO;10/03/2004 18:00;2,6\nCO;10/03/2004 19:00;2\n"
                                    "CO;10/03/2004 20:00;2,2\n")
    with pytest.raises(LoadError, match=r'column .co. has values written with a decimal comma.*decimal = ","'):
        load_files(warehouse, "readings", [f], readings_mapping(READINGS))
    assert query(warehouse, "SELECT count(*) FROM sensor_readings") == [(0,)]  # nothing written
    rep = load_files(warehouse, "readings", [f], readings_mapping('[numbers]\ndecimal = ","\n' + READINGS))
    assert (rep.rows_read, rep.rows_loaded, rep.rows_rejected) == (3, 3, 0)
    assert query(warehouse, "SELECT value FROM sensor_readings ORDER BY ts") == [(2.6,), (2.0,), (2.2,)]


def test_mixed_decimal_marks_are_refused_even_when_declared(tmp_path, warehouse):
    _setup(tmp_path, warehouse)
    f = write(tmp_path / "air.csv", "id;when;co\nCO;10/03/2004 18:00;2,6\nCO;10/03/2004 19:00;2.5\n")
    with pytest.raises(LoadError, match=r"mixes decimal commas \('2,6'\) and decimal points \('2.5'\)"):
        load_files(warehouse, "readings", [f], readings_mapping('[numbers]\ndecimal = ","\n' + READINGS))


def test_ambiguous_grouping_is_refused_and_thousands_declaration_reads_it(tmp_path, warehouse):
    _setup(tmp_path, warehouse)
    f = write(tmp_path / "air.csv", "id;when;co\nCO;10/03/2004 18:00;1,017\nCO;10/03/2004 19:00;2\n")
    with pytest.raises(LoadError, match=r"'1,017'.*thousands = \",\""):
        load_files(warehouse, "readings", [f], readings_mapping(READINGS))
    load_files(warehouse, "readings", [f], readings_mapping('[numbers]\nthousands = ","\n' + READINGS))
    assert query(warehouse, "SELECT value FROM sensor_readings ORDER BY ts") == [(1017.0,), (2.0,)]


def test_decimal_comma_with_point_thousands_and_a_scale(tmp_path, warehouse):
    _setup(tmp_path, warehouse)
    f = write(tmp_path / "air.csv", "id;when;co\nCO;10/03/2004 18:00;1.234,5\nCO;10/03/2004 19:00;-0,5\n")
    m = readings_mapping('[numbers]\ndecimal = ","\nthousands = "."\n'
                         + READINGS.replace('value = "co"', 'value = { column = "co", scale = 0.001, offset = 1 }'))
    load_files(warehouse, "readings", [f], m)
    got = [v for (v,) in query(warehouse, "SELECT value FROM sensor_readings ORDER BY ts")]
    assert got == pytest.approx([1234.5 * 0.001 + 1, -0.5 * 0.001 + 1])


OFFSETS = """
[file]
format = "csv"
[time]
zone = "America/New_York"
{formats}
[fields]
sensor_id = {{ template = "st:{{id}}" }}
ts = "when"
value = "v"
"""


# New York: clocks went from 02:00 EST to 03:00 EDT on 2026-03-08 (UTC-5 before, UTC-4 after).
@pytest.mark.parametrize(("formats", "values"), [
    ('formats = ["%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M:%S"]',
     ["2026-03-08 06:30:00+00:00", "2026-03-08 07:30:00+0000", "2026-03-08 12:00:00Z",
      "2026-03-08 04:00:00"]),
    ("", ["2026-03-08T06:30:00Z", "2026-03-08T07:30:00Z", "2026-03-08T20:00:00+08:00", "2026-03-08T04:00:00"]),
    ("", ["2026-03-08 01:30:00-05:00", "2026-03-08 03:30:00-04:00", "2026-03-08 08:00:00-04:00",
          "2026-03-08 04:00:00"]),
])
def test_offsets_are_instants_and_the_zone_applies_to_naive_values(tmp_path, warehouse, formats, values):
    _setup(tmp_path, warehouse, Settings(warehouse=warehouse, timezone="America/New_York"))
    f = write(tmp_path / "r.csv", "id,when,v\n" + "".join(f"CO,{w},{i}\n" for i, w in enumerate(values)))
    rep = load_files(warehouse, "readings", [f], readings_mapping(OFFSETS.format(formats=formats)))
    assert rep.rows_rejected == 0
    got = query(warehouse, "SELECT value, ts FROM sensor_readings ORDER BY value")
    assert got == [(0.0, datetime(2026, 3, 8, 1, 30)), (1.0, datetime(2026, 3, 8, 3, 30)),
                   (2.0, datetime(2026, 3, 8, 8, 0)), (3.0, datetime(2026, 3, 8, 4, 0))]


def test_an_offset_value_is_converted_to_a_site_in_another_zone(tmp_path, warehouse):
    # The mapping's zone (New York) applies to the naive value only; the offset value is an instant.
    _setup(tmp_path, warehouse, Settings(warehouse=warehouse, timezone="Asia/Shanghai"))
    f = write(tmp_path / "r.csv", "id,when,v\nCO,2026-03-08T12:00:00Z,0\nCO,2026-03-08T09:00:00,1\n")
    load_files(warehouse, "readings", [f], readings_mapping(OFFSETS.format(formats="")), accept_zone=True)
    assert query(warehouse, "SELECT ts FROM sensor_readings ORDER BY value") == [
        (datetime(2026, 3, 8, 20, 0),), (datetime(2026, 3, 8, 21, 0),)]
