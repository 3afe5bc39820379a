"""Mappings that clean: null_if blanks a value and keeps the row; a placeholder point is warned about;
declared cancelled statuses become 'cancelled'; a mapping zone unlike the site's is warned about."""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.load import load_files
from etl.mapping import MappingError, parse_mapping
from etl.settings import Settings
from etl.snapshots import open_readonly

BASE = """
source_system = "t"
kind = "hotline"
[time]
formats = ["%Y-%m-%d %H:%M"]
zone = "America/New_York"
[fields]
source_id = "id"
received_at = "created"
closed_at = { column = "closed", null_if = ["1900-01-01 00:00"] }
status = { column = "status", map = { Closed = "closed", Open = "open" }, cancelled = ["Cancelled", "Duplicate"] }
[coords]
lon = { column = "lon", null_if = ["-73.9"] }
lat = { column = "lat", null_if = ["40.7"] }
check_jurisdiction = false
"""
NY = Settings(timezone="America/New_York", datum="WGS-84")


def _csv(path: Path, n_placeholder: int, n_real: int) -> Path:
    lines = ["id,created,closed,status,lon,lat"]
    for i in range(n_placeholder):
        lines.append(f"p{i},2018-10-21 08:00,1900-01-01 00:00,Cancelled,-73.900,40.7")
    for i in range(n_real):
        lines.append(f"r{i},2018-10-21 08:00,2018-10-21 09:00,{'Duplicate' if i == 0 else 'Closed'},"
                     f"{-74.2 + i / 10000:.4f},{40.5 + i / 10000:.4f}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_null_if_blanks_the_value_and_keeps_the_row(tmp_path: Path) -> None:
    wh = tmp_path / "data" / "vitals.duckdb"
    rep = load_files(wh, "hotline", [_csv(tmp_path / "a.csv", 3, 7)], parse_mapping(BASE, "m.toml"), settings=NY)
    assert (rep.rows_read, rep.rows_loaded, rep.rows_rejected) == (10, 10, 0)
    con = open_readonly(wh)
    rows = con.execute("SELECT count(*) FILTER (lon IS NULL), count(*) FILTER (lat IS NULL),"
                       " count(*) FILTER (closed_at IS NULL) FROM hotline_orders").fetchone()
    assert rows == (3, 3, 3)  # only the placeholder rows lost their point and their 1900 date
    statuses = con.execute("SELECT status, count(*) FROM hotline_orders GROUP BY 1 ORDER BY 1").fetchall()
    assert statuses == [("cancelled", 4), ("closed", 6)]
    assert not rep.warnings  # same zone as the site, and the placeholder was blanked


def test_a_point_on_more_than_one_percent_of_rows_is_warned(tmp_path: Path) -> None:
    text = BASE.replace(', null_if = ["-73.9"]', "").replace(', null_if = ["40.7"]', "")
    wh = tmp_path / "data" / "vitals.duckdb"
    rep = load_files(wh, "hotline", [_csv(tmp_path / "a.csv", 12, 988)], parse_mapping(text, "m.toml"), settings=NY)
    assert rep.rows_loaded == 1000
    assert len(rep.warnings) == 1 and "12 of 1,000 located rows (1.2%)" in rep.warnings[0]
    assert "-73.900000, 40.700000" in rep.warnings[0]
    rep = load_files(tmp_path / "w2" / "v.duckdb", "hotline", [_csv(tmp_path / "b.csv", 10, 990)],
                     parse_mapping(text, "m.toml"), settings=NY)
    assert rep.warnings == ()  # exactly 1%: not above the bound


def test_zone_unlike_the_site_accepted_is_still_warned(tmp_path: Path) -> None:
    wh = tmp_path / "data" / "vitals.duckdb"  # created with the default site, Asia/Shanghai
    rep = load_files(wh, "hotline", [_csv(tmp_path / "a.csv", 0, 3)], parse_mapping(BASE, "m.toml"), accept_zone=True)
    assert any("from America/New_York (mapping) to the site zone Asia/Shanghai" in w
               and "vitals site set --timezone America/New_York" in w for w in rep.warnings)


def test_cancelled_sets_the_case_flag(tmp_path: Path) -> None:
    from tests.etl.conftest import demo_units

    wh = tmp_path / "data" / "vitals.duckdb"
    load_files(wh, "units", [demo_units(tmp_path / "u.parquet")], "demo_units")
    f = tmp_path / "c.csv"
    f.write_text("id,t,st\n1,2026-03-01 08:00,作废\n2,2026-03-01 08:00,结案\n3,2026-03-01 08:00,\n")
    m = parse_mapping("""
source_system = "g"
kind = "cases"
[time]
formats = ["%Y-%m-%d %H:%M"]
[fields]
source_id = "id"
reported_at = "t"
unit_code = { constant = "V1" }
status = { column = "st", map = { "结案" = "closed" }, cancelled = ["作废"] }
""", "c.toml")
    load_files(wh, "cases", [f], m)
    con = open_readonly(wh)
    got = con.execute("SELECT source_id, status, cancelled FROM cases ORDER BY 1").fetchall()
    assert got == [("1", "cancelled", True), ("2", "closed", False), ("3", None, None)]


@pytest.mark.parametrize("text, key", [
    ('[fields]\ncategory = { column = "c", cancelled = ["x"] }', "fields.category"),
    ('[fields]\nstatus = { column = "c", cancelled = "x" }', "fields.status.cancelled"),
    ('[time]\nnot_before = "last year"', "time.not_before"),
    ('[time]\nfuture_days = -1', "time.future_days"),
])
def test_cleaning_keys_are_checked(text: str, key: str) -> None:
    head = 'source_system = "t"\nkind = "hotline"\n'
    body = text + ('\n[fields]\n' if "[fields]" not in text else "\n")
    body += 'source_id = "i"\nreceived_at = "r"\n'
    with pytest.raises(MappingError, match=f"\\[{key}\\]"):
        parse_mapping(head + body, "m.toml")
