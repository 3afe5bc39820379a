from __future__ import annotations

import json

import pandas as pd

from etl.alarms import derive_alarms
from etl.datum import convert
from etl.load import load_files
from etl.snapshots import open_readonly, writer


def test_derived_alarms_runs_and_idempotence(tmp_path, warehouse):
    pd.DataFrame({"sensor_id": ["demo:w1"], "source_system": "demo", "source_id": "w1", "sensor_type": "water_level",
                  "threshold_warning": 2.0, "threshold_alarm": 3.0, "physical_min": -1.0, "physical_max": 10.0,
                  "unit_code": [None]}).to_parquet(tmp_path / "s.parquet")
    values = [1, 2.5, 3.5, 2.1, 1, 1, 2.2, 1, 50, 2.4]  # runs: [2.5 3.5 2.1] alarm, [2.2] warning, [2.4] ongoing
    ts = pd.date_range("2026-06-01", periods=len(values), freq="10min")
    pd.DataFrame({"sensor_id": "demo:w1", "ts": ts, "value": values}).to_parquet(tmp_path / "r.parquet")
    load_files(warehouse, "sensors", [tmp_path / "s.parquet"], "demo_sensors")
    rep = load_files(warehouse, "readings", [tmp_path / "r.parquet"], "demo_readings")
    assert rep.reasons == {"out_of_range": 1}  # 50 m of water level is beyond physical_max
    with writer(warehouse) as con:
        assert derive_alarms(con) == 3
        rows = con.execute("SELECT severity, started_at, ended_at, peak_value FROM sensor_alarms ORDER BY 2").fetchall()
        assert derive_alarms(con) == 0  # nothing changed
    # The out-of-range 50 was rejected, so the warning run at 06:00 ends at the next stored reading.
    assert rows == [("alarm", ts[1], ts[4], 3.5), ("warning", ts[6], ts[7], 2.2), ("warning", ts[9], None, 2.4)]


def test_feature_collection_units_converted_to_site_datum(tmp_path, warehouse):
    ring = [[121.0, 31.0], [121.1, 31.0], [121.1, 31.1], [121.0, 31.1], [121.0, 31.0]]
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "G9", "名称": "测试网格"},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}]}
    f = tmp_path / "grid.geojson"
    f.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    m = tmp_path / "m.toml"
    m.write_text('source_system = "gis"\nkind = "units"\n[fields]\nunit_code = "code"\nname_zh = "名称"\n'
                 'level = { constant = "grid" }\n[geometry]\ndatum = "WGS-84"\napproximate = true\n', encoding="utf-8")
    rep = load_files(warehouse, "units", [f], m)
    assert (rep.rows_read, rep.rows_loaded) == (1, 1)
    con = open_readonly(warehouse)
    gj, datum, approx, min_lon, min_lat = con.execute(
        "SELECT geojson, datum, approximate, min_lon, min_lat FROM unit_geometry").fetchone()
    x, y = convert([121.0], [31.0], "WGS-84", "GCJ-02")
    assert (datum, approx) == ("GCJ-02", True)
    assert abs(min_lon - x[0]) < 1e-9 and abs(min_lat - y[0]) < 1e-9
    assert json.loads(gj)["coordinates"][0][0] == [min_lon, min_lat]
    con.close()
