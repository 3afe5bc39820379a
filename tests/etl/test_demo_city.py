"""The `city` demo at a small size factor: 上海市 above Shanghai's 16 districts with their real names, every
case and order inside its district's outline, a correct hierarchy and unique identifiers, through the ETL."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest
import shapely
from shapely.geometry import shape

from etl.demo.city import CITY, city_ref, qualified
from etl.demo.scales import get_scale
from tests.conftest import CITY_DAYS as DAYS
from tests.conftest import CITY_SIZE as SIZE

SHANGHAI = ("黄浦区", "徐汇区", "长宁区", "静安区", "普陀区", "虹口区", "杨浦区", "闵行区", "宝山区", "嘉定区",
            "浦东新区", "金山区", "松江区", "青浦区", "奉贤区", "崇明区")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def city(tiny_city):
    summary, warehouse = tiny_city
    con = duckdb.connect(str(warehouse), read_only=True)
    yield summary, con
    con.close()


def test_every_generated_row_is_loaded(city):
    summary, con = city
    for kind, r in summary.reports.items():
        assert r.rows_rejected == 0, (kind, r.reasons)
        assert r.rows_loaded == summary.files.rows[kind], kind
    # one file per district for the reference kinds: the generator streams the city district by district
    assert len(summary.files.files["units"]) == 17  # 上海市's, then one per district
    assert len(summary.files.files["cases"]) >= 16
    expected = round(get_scale("city").cases_per_year * SIZE * DAYS / 365)
    assert abs(summary.files.rows["cases"] - expected) <= 16  # rounding per district
    assert con.execute("SELECT value FROM warehouse_meta WHERE key = 'demo_scale'").fetchone() == ("city",)
    # loaded means stored: no district's rows replaced another's under a shared identifier
    for kind, table in (("cases", "cases"), ("hotline", "hotline_orders"), ("staffing", "staffing_roster")):
        assert con.execute(f"SELECT count(*) FROM {table}").fetchone() == (summary.files.rows[kind],), kind


def test_sixteen_districts_with_their_real_names_and_outlines(city):
    _, con = city
    rows = con.execute(
        "SELECT u.name_zh, u.parent_code, g.approximate, g.geojson FROM org_unit u "
        "JOIN unit_geometry g USING (unit_code) WHERE u.level = 'district' ORDER BY u.unit_code").fetchall()
    assert tuple(r[0] for r in rows) == SHANGHAI
    assert all(r[1] == CITY and r[2] is False for r in rows)  # real outlines, under the city
    ref = city_ref().outlines
    pudong = shape(json.loads(rows[SHANGHAI.index("浦东新区")][3]))
    assert pudong.symmetric_difference(ref["310115000000"]).area < 1e-6 * ref["310115000000"].area + 1e-9
    # the shipped reference: 235 街镇 and 5,859 村居 with real names, all of them loaded
    assert con.execute("SELECT level, count(*) FROM org_unit WHERE level IN ('town', 'village') GROUP BY 1 "
                       "ORDER BY 1").fetchall() == [("town", 235), ("village", 5859)]
    assert con.execute("SELECT count(*) FROM org_unit WHERE name_zh = '张江镇' AND district_code = '310115000000'"
                       ).fetchone() == (1,)


def test_each_level_sits_under_the_level_above(city):
    _, con = city
    pairs = con.execute(
        "SELECT c.level, p.level, count(*) FROM org_unit c LEFT JOIN org_unit p ON p.unit_code = c.parent_code "
        "GROUP BY ALL ORDER BY 1").fetchall()
    assert [(c, p) for c, p, _ in pairs] == [("city", None), ("district", "city"), ("grid", "town"),
                                             ("microgrid", "village"), ("town", "district"), ("village", "grid")]
    # the ETL's unit path agrees with the codes: a village's district is the one its code names
    assert con.execute("SELECT count(*) FROM org_unit WHERE level = 'village' "
                       "AND substr(district_code, 1, 6) <> substr(unit_code, 1, 6)").fetchone() == (0,)
    # derived polygons are labelled approximate
    assert con.execute("SELECT DISTINCT g.approximate FROM org_unit u JOIN unit_geometry g USING (unit_code) "
                       "WHERE u.level IN ('town', 'grid', 'village')").fetchall() == [(True,)]


@pytest.mark.parametrize("table", ["cases", "hotline_orders", "sensors"])
def test_every_point_lies_inside_its_district(city, table):
    _, con = city
    outlines = {code: shape(json.loads(g)) for code, g in con.execute(
        "SELECT unit_code, geojson FROM unit_geometry JOIN org_unit USING (unit_code) WHERE level = 'district'"
    ).fetchall()}
    pts = con.execute(f"SELECT district_code, lon, lat FROM {table}").df()
    assert pts.district_code.nunique() == 16 if table != "sensors" else pts.district_code.nunique() >= 8
    outside = [r for r in pts.itertuples() if not outlines[r.district_code].contains(shapely.Point(r.lon, r.lat))]
    assert outside == []


def test_facts_of_every_district_keep_unique_linked_identifiers(city):
    _, con = city
    for table, key in (("cases", "case_id"), ("hotline_orders", "order_id"), ("station", "station_code"),
                       ("department", "dept_code"), ("sensor_alarms", "alarm_id"), ("staffing_roster", "roster_id")):
        n, distinct = con.execute(f"SELECT count(*), count(DISTINCT {key}) FROM {table}").fetchone()
        assert n == distinct > 0, table
    # a case's station and department are in the case's own district (prefixes kept the links local)
    assert con.execute(
        "SELECT count(*) FROM cases c JOIN station s USING (station_code) "
        "WHERE s.district_code <> c.district_code").fetchone() == (0,)
    assert con.execute(
        "SELECT count(*) FROM cases c JOIN hotline_orders h ON h.order_id = c.hotline_order_id "
        "WHERE h.case_id <> c.case_id OR h.district_code <> c.district_code").fetchone() == (0,)
    addr = con.execute("SELECT address FROM cases WHERE district_code = '310101000000' LIMIT 1").fetchone()[0]
    assert addr.startswith("上海市黄浦区")


def test_the_city_is_the_root_of_every_unit_and_fact_row(city):
    summary, con = city
    assert con.execute("SELECT unit_code, name_zh, name_en, parent_code FROM org_unit WHERE level = 'city'"
                       ).fetchall() == [(CITY, "上海市", "Shanghai", None)]
    assert con.execute("SELECT count(*) FROM org_unit WHERE parent_code = ?", [CITY]).fetchone() == (16,)
    # every unit but the root, and every fact row, carries the root as its city
    assert con.execute("SELECT count(*) FROM org_unit WHERE city_code IS DISTINCT FROM ? AND level <> 'city'",
                       [CITY]).fetchone() == (0,)
    for table in ("cases", "hotline_orders", "sensors", "sensor_alarms", "station", "staffing_roster"):
        n, ours = con.execute(f"SELECT count(*), count(*) FILTER (city_code = ?) FROM {table}", [CITY]).fetchone()
        assert n == ours > 0, table
    assert con.execute("SELECT count(*) FROM cases").fetchone() == (summary.files.rows["cases"],)
    # its outline is the union of the 16 districts' (real, so not approximate)
    geojson, approximate = con.execute("SELECT geojson, approximate FROM unit_geometry WHERE unit_code = ?",
                                       [CITY]).fetchone()
    union = shapely.union_all(list(city_ref().outlines.values()))
    assert approximate is False
    assert shape(json.loads(geojson)).symmetric_difference(union).area < 1e-6 * union.area
    # the demo names its site after the root, as `vitals site set --name` records it
    assert dict(con.execute("SELECT key, value FROM warehouse_meta WHERE key LIKE 'site_name_%'").fetchall()) == {
        "site_name_zh": "上海市", "site_name_en": "Shanghai"}


def test_qualified_prefixes_plain_and_demo_identifiers_and_keeps_missing_ones():
    got = qualified(pd.Series(["demo:QP1", "LQ00101", None]), "150")
    assert got.tolist() == ["demo:150QP1", "150LQ00101", None]


def test_district_shares_follow_the_weighted_committees():
    shares = city_ref().shares()
    assert len(shares) == 16 and abs(shares.sum() - 1) < 1e-12
    assert shares.idxmax() == "310115000000"  # 浦东, 1,281 村居
    assert 0.15 < shares["310115000000"] < 0.3


def test_size_scales_counts_and_days_but_refuses_nonsense():
    city = get_scale("city")
    small = city.sized(0.001, days=30)
    assert (small.cases_per_year, small.hotline_per_year, small.sensors, small.days) == (10_000, 5_000, 20, 30)
    assert city.sized(1.0) == city
    with pytest.raises(ValueError, match="positive"):
        city.sized(0)
    with pytest.raises(ValueError, match="positive"):
        city.sized(0.5, days=0)
