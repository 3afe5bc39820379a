"""`vitals site show|set`: the site's facts can change after the first load; a new zone re-expresses
stored times (the same instants), a new datum converts stored points and polygons."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from dashboard.cli import app
from etl.datum import convert
from etl.load import load_files
from etl.mapping import parse_mapping
from etl.settings import Settings
from etl.snapshots import open_readonly, writer
from tests.etl.conftest import demo_units

runner = CliRunner(env={"COLUMNS": "200"})
_MAPPING_TEXT = """
source_system = "us"
kind = "hotline"
[time]
formats = ["%m/%d/%Y %H:%M"]
zone = "America/New_York"
[fields]
source_id = "id"
received_at = "created"
closed_at = "closed"
[coords]
lon = "lon"
lat = "lat"
datum = "WGS-84"
check_jurisdiction = false
"""
MAPPING = parse_mapping(_MAPPING_TEXT, "us.toml")


def _csv(path: Path) -> Path:
    # Oct 21 2018 is EDT (UTC-4); Jan 15 2019 is EST (UTC-5). Shanghai is UTC+8 all year.
    path.write_text("id,created,closed,lon,lat\n1,10/21/2018 00:00,10/21/2018 01:30,-73.95,40.75\n"
                    "2,01/15/2019 09:00,,-73.90,40.70\n")
    return path


def _rows(wh: Path) -> list[tuple[object, ...]]:
    con = open_readonly(wh)
    try:
        return con.execute("SELECT source_id, strftime(received_at, '%Y-%m-%d %H:%M'),"
                           " strftime(closed_at, '%Y-%m-%d %H:%M'), round(lon, 6), round(lat, 6)"
                           " FROM hotline_orders ORDER BY 1").fetchall()
    finally:
        con.close()


def _runs(wh: Path) -> list[tuple[object, ...]]:
    con = open_readonly(wh)
    try:
        return con.execute("SELECT kind, status, rows_loaded, message FROM etl_run ORDER BY run_id").fetchall()
    finally:
        con.close()


def test_a_mapping_in_another_zone_is_refused_in_one_line_and_recorded(tmp_path: Path) -> None:
    wh = tmp_path / "data" / "vitals.duckdb"
    f = _csv(tmp_path / "311.csv")
    mapping = tmp_path / "us.toml"
    mapping.write_text(_MAPPING_TEXT)
    # the trap: a new warehouse takes the default Shanghai site; the New York mapping is refused
    r = runner.invoke(app, ["etl", "load", "hotline", str(f), "-m", str(mapping), "-w", str(wh)])
    assert r.exit_code == 2 and "Traceback" not in r.output
    line = " ".join(r.output.split())  # rich wraps the one line at the terminal width
    for part in ("says times are in America/New_York but this site's zone is Asia/Shanghai", "nothing loaded",
                 "`vitals site set --zone America/New_York`", "fix [time] zone in the mapping", "--accept-zone"):
        assert part in line, part
    assert _rows(wh) == []
    (run,) = _runs(wh)
    assert run[:3] == ("hotline", "failed", 0) and "America/New_York" in str(run[3])
    # --accept-zone: the zone is intended, the times are converted to the site's (12 h ahead in October)
    r = runner.invoke(app, ["etl", "load", "hotline", str(f), "-m", str(mapping), "-w", str(wh), "--accept-zone"])
    assert r.exit_code == 0, r.output
    assert [g[:2] for g in _rows(wh)] == [("1", "2018-10-21 12:00"), ("2", "2019-01-15 22:00")]
    assert [x[1] for x in _runs(wh)] == ["failed", "succeeded"]
    # or the way out for a site in the wrong zone: set the site's zone, then the same mapping loads as is
    wh2 = tmp_path / "ny" / "vitals.duckdb"
    runner.invoke(app, ["etl", "load", "hotline", str(f), "-m", str(mapping), "-w", str(wh2)])
    r = runner.invoke(app, ["site", "set", "--zone", "America/New_York", "-w", str(wh2)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["etl", "load", "hotline", str(f), "-m", str(mapping), "-w", str(wh2)])
    assert r.exit_code == 0, r.output
    assert [g[:2] for g in _rows(wh2)] == [("1", "2018-10-21 00:00"), ("2", "2019-01-15 09:00")]


def test_wrong_zone_then_site_set_fixes_it_and_reload_changes_nothing(tmp_path: Path) -> None:
    wh = tmp_path / "data" / "vitals.duckdb"
    f = _csv(tmp_path / "311.csv")
    # a new warehouse with the default Shanghai site, the New York zone accepted
    rep = load_files(wh, "hotline", [f], MAPPING, accept_zone=True)
    assert any("vitals site set --timezone America/New_York" in w for w in rep.warnings)
    gx, gy = convert([-73.95, -73.90], [40.75, 40.70], "WGS-84", "GCJ-02")
    assert _rows(wh) == [("1", "2018-10-21 12:00", "2018-10-21 13:30", round(gx[0], 6), round(gy[0], 6)),
                         ("2", "2019-01-15 22:00", None, round(gx[1], 6), round(gy[1], 6))]
    with writer(wh) as con:
        con.execute("INSERT INTO warehouse_meta VALUES ('data_now', '2019-01-16 08:00:00')")
    r = runner.invoke(app, ["site", "set", "--timezone", "America/New_York", "--datum", "WGS-84", "-w", str(wh)])
    assert r.exit_code == 0, r.output
    assert "3 stored times re-expressed" in r.output and "2 points and polygons converted" in r.output
    got = _rows(wh)
    assert [g[:3] for g in got] == [("1", "2018-10-21 00:00", "2018-10-21 01:30"), ("2", "2019-01-15 09:00", None)]
    # GCJ-02 → WGS-84 is the inverse to within centimetres
    assert [v for g in got for v in g[3:]] == pytest.approx([-73.95, 40.75, -73.90, 40.70], abs=1e-6)
    con = open_readonly(wh)
    assert con.execute("SELECT value FROM warehouse_meta WHERE key = 'data_now'").fetchone() == ("2019-01-15 19:00:00",)
    con.close()
    rep = load_files(wh, "hotline", [f], MAPPING)
    assert sum(x.inserted + x.updated for x in rep.files) == 0  # the stored rows are now what the file says
    assert rep.warnings == ()


def test_datum_change_converts_polygons(tmp_path: Path) -> None:
    wh = tmp_path / "data" / "vitals.duckdb"
    load_files(wh, "units", [demo_units(tmp_path / "u.parquet")], "demo_units")  # GCJ-02 site, one polygon
    r = runner.invoke(app, ["site", "set", "--datum", "WGS-84", "-w", str(wh)])
    assert r.exit_code == 0, r.output
    con = open_readonly(wh)
    geo, datum, min_lon, min_lat = con.execute("SELECT geojson, datum, min_lon, min_lat FROM unit_geometry").fetchone()
    con.close()
    x, y = convert([121.0, 121.1, 121.1, 121.0], [31.0, 31.0, 31.1, 31.1], "GCJ-02", "WGS-84")  # the square
    assert datum == "WGS-84"
    assert (min_lon, min_lat) == pytest.approx((min(x), min(y)), abs=1e-9)
    assert json.loads(geo)["coordinates"][0][0] == pytest.approx([x[0], y[0]], abs=1e-9)


def test_show_names_levels_and_config_difference(tmp_path: Path) -> None:
    wh = tmp_path / "data" / "vitals.duckdb"
    load_files(wh, "units", [demo_units(tmp_path / "u.parquet")], "demo_units", settings=Settings(warehouse=wh))
    r = runner.invoke(app, ["site", "set", "--name-en", "Springfield", "--level", "town=区/Borough", "-w", str(wh)])
    assert r.exit_code == 0 and "site_name_en = Springfield" in r.output
    cfg = tmp_path / "vitals.toml"
    cfg.write_text('[site]\ntimezone = "America/Chicago"\n')
    r = CliRunner(env={"COLUMNS": "200", "VITALS_CONFIG": str(cfg)}).invoke(app, ["site", "show", "-w", str(wh)])
    assert r.exit_code == 0
    assert "Springfield" in r.output and "区 / Borough" in r.output
    assert "timezone = America/Chicago but this warehouse's site is Asia/Shanghai" in r.output
    con = duckdb.connect(str(wh), read_only=True)
    assert json.loads(con.execute("SELECT value FROM warehouse_meta WHERE key = 'level_names'").fetchone()[0]) == {
        "town": {"zh": "区", "en": "Borough"}}
    con.close()


@pytest.mark.parametrize("args, message", [
    (["--timezone", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
    (["--datum", "ED50"], "datum must be one of"),
    (["--level", "county=县"], "unknown level 'county'"),
    (["--level", "town"], "expected LEVEL="),
])
def test_bad_settings_are_one_line_and_change_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    wh = tmp_path / "data" / "vitals.duckdb"
    load_files(wh, "units", [demo_units(tmp_path / "u.parquet")], "demo_units")
    r = runner.invoke(app, ["site", "set", *args, "-w", str(wh)])
    assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output
    con = open_readonly(wh)
    assert con.execute("SELECT value FROM warehouse_meta WHERE key IN ('timezone', 'datum') ORDER BY key"
                       ).fetchall() == [("GCJ-02",), ("Asia/Shanghai",)]
    con.close()
