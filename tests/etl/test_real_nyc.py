"""NYC 311 sample + community districts: counts checked against an independent pandas/shapely reading."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import shapely

from etl.load import load_files
from etl.settings import Settings
from etl.snapshots import open_readonly
from tests.etl.conftest import REAL

pytestmark = pytest.mark.real_data
CSV = REAL / "hotline" / "nyc311_2018_sample.csv"
GEO = REAL / "boundaries" / "nyc_community_districts_2013.geojson"
BORO = {"MANHATTAN": 1, "BRONX": 2, "BROOKLYN": 3, "QUEENS": 4, "STATEN ISLAND": 5}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    wh = tmp_path_factory.mktemp("nyc") / "vitals.duckdb"
    s = Settings(warehouse=wh, timezone="America/New_York", datum="WGS-84", site_name_en="New York City")
    units = load_files(wh, "units", [GEO], "nyc_community_districts", settings=s)
    hot = load_files(wh, "hotline", [CSV], "nyc311", settings=s)
    con = open_readonly(wh)
    yield units, hot, con
    con.close()


def expected() -> dict[str, int]:
    """Independent computation of what must be rejected, straight from the raw file."""
    raw = pd.read_csv(CSV, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    feats = json.loads(GEO.read_text())["features"]
    polys = [shapely.geometry.shape(f["geometry"]) for f in feats]
    cds = {int(f["properties"]["BoroCD"]) for f in feats}
    minx, miny, maxx, maxy = np.array([p.bounds for p in polys]).T
    box = (minx.min(), miny.min(), maxx.max(), maxy.max())
    created = pd.to_datetime(raw["Created Date"], format="%m/%d/%y %H:%M")
    closed = pd.to_datetime(raw["Closed Date"].replace("", None), format="%m/%d/%y %H:%M")
    out = {"read": len(raw), "closed_before_reported": int((closed < created).sum()), "outside": 0, "unresolved": 0}
    for cb, lat, lon, c_ok in zip(raw["Community Board"], raw["Latitude"], raw["Longitude"], ~(closed < created),
                                  strict=True):
        if not c_ok:
            continue
        m = re.fullmatch(r"(\d\d) (MANHATTAN|BRONX|BROOKLYN|QUEENS|STATEN ISLAND)", cb)
        has_pt = lat != "" and lon != ""
        if has_pt:
            x, y = float(lon), float(lat)
            if not (box[0] <= x <= box[2] and box[1] <= y <= box[3]):
                out["outside"] += 1
                continue
        if m and BORO[m.group(2)] * 100 + int(m.group(1)) in cds:
            continue
        if has_pt and any(p.contains(shapely.Point(x, y)) for p in polys):
            continue
        out["unresolved"] += 1
    return out


def test_units_hierarchy(loaded):
    units, _, con = loaded
    assert (units.rows_read, units.rows_loaded, units.rows_rejected) == (71, 71, 0)
    assert dict(con.execute("SELECT level, count(*) FROM org_unit GROUP BY 1").fetchall()) == {
        "district": 1, "town": 5, "grid": 71}
    assert con.execute("SELECT district_code, town_code, grid_code, name_en FROM org_unit WHERE unit_code = 'NYC-112'"
                       ).fetchall() == [("NYC", "NYC-1", "NYC-112", "Manhattan Community District 12")]
    assert con.execute("SELECT count(*), bool_or(approximate), min(datum) FROM unit_geometry").fetchall() == [
        (71, False, "WGS-84")]


def test_hotline_counts_match_independent_reading(loaded):
    _, hot, con = loaded
    exp = expected()
    assert hot.rows_read == exp["read"] == 6765
    reasons = hot.reasons
    assert reasons.get("closed_before_reported", 0) == exp["closed_before_reported"]
    assert reasons.get("outside_jurisdiction", 0) == exp["outside"]
    assert reasons.get("unit_unresolved", 0) == exp["unresolved"]
    # What is rejected, and why: only rows whose Community Board is "Unspecified" and whose point
    # is missing or falls in no community district (water, airports outside the 2013 boundaries).
    assert set(reasons) <= {"closed_before_reported", "outside_jurisdiction", "unit_unresolved"}
    assert hot.rows_rejected == sum(reasons.values()) == exp["closed_before_reported"] + exp["outside"] + exp[
        "unresolved"]
    assert hot.rows_loaded == hot.rows_read - hot.rows_rejected
    assert con.execute("SELECT count(*) FROM hotline_orders").fetchone()[0] == hot.rows_loaded
    assert con.execute("SELECT rows_read, rows_loaded, rows_rejected FROM etl_file WHERE file LIKE '%nyc311%'"
                       ).fetchall() == [(6765, hot.rows_loaded, hot.rows_rejected)]
    bad = con.execute("SELECT DISTINCT field FROM etl_reject WHERE reason = 'unit_unresolved'").fetchall()
    assert bad == [("Community Board",)]
    assert con.execute("SELECT count(*) FROM etl_reject WHERE raw_value NOT LIKE '%Unspecified%'"
                       " AND reason = 'unit_unresolved'").fetchone()[0] == 0


def test_hotline_fields(loaded):
    _, _, con = loaded
    row = con.execute("SELECT received_at, closed_at, due_at, status, channel, unit_code, grid_code, town_code"
                      " FROM hotline_orders WHERE order_id = 'nyc311:40611598'").fetchone()
    assert row == (pd.Timestamp("2018-10-21 00:00"), pd.Timestamp("2018-10-21 00:59"),
                   pd.Timestamp("2018-10-21 08:00"), "closed", "phone", "NYC-405", "NYC-405", "NYC-4")
    raw = pd.read_csv(CSV, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    n_open = con.execute("SELECT count(*) FROM hotline_orders WHERE closed_at IS NULL").fetchone()[0]
    rejected = {int(r[0]) - 2 for r in con.execute("SELECT line FROM etl_reject").fetchall()}
    kept = raw.drop(index=list(rejected))
    assert n_open == int((kept["Closed Date"] == "").sum())
