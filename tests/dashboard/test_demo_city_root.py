"""The tiny `city` demo (``tiny_city``: 上海市 above Shanghai's 16 districts) on the wall and the pages: the
root scopes the whole city, so the map draws the 16 districts, the header names 上海市, the pickers and
rankings start at the 区."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType

import dash
import pytest

import metrics
from dashboard.components import cases_view, rankings_view
from dashboard.components.page import run
from dashboard.pages.screen_ids import ScreenIds as S
from dashboard.screen import model
from dashboard.screen.config import parse
from etl.settings import Settings
from metrics import Period, Query, feed
from metrics.hierarchy import hierarchy
from tests.conftest import CITY_NOW
from tests.dashboard.minimal_warehouse import app_in_request
from tests.dashboard.test_any_city import ERRORS, _by_id, _raw, _walk, text

CITY = "310000000000"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def warehouse(tiny_city: tuple[object, Path]) -> Path:
    return tiny_city[1]


def _settings(wh: Path) -> Settings:
    # the configured site name stays the default (青浦区): the names shown must come from the warehouse
    return Settings(warehouse=wh, sections=MappingProxyType({"site": {"now": CITY_NOW.isoformat(timespec="minutes")}}))


@pytest.fixture
def app(warehouse: Path) -> Iterator[dash.Dash]:
    yield from app_in_request(_settings(warehouse))


def _districts(wh: Path) -> dict[str, str]:
    with _raw(wh) as con:
        return dict(con.execute("SELECT unit_code, name_zh FROM org_unit WHERE parent_code = ?", [CITY]).fetchall())


def test_the_wall_maps_the_sixteen_districts_at_the_city_root(warehouse: Path, app: dash.Dash) -> None:
    scr = parse({}, _settings(warehouse))
    at = model.now(scr)
    view = model.map_view(scr, at, None)  # no scope: the root
    assert (view.scope, view.scope_name, view.level, view.skipped) == (CITY, "上海市", "district", ())
    districts = _districts(warehouse)
    feats = {f["properties"]["unit_code"]: f["properties"] for f in view.units["features"]}
    assert {k: p["name"] for k, p in feats.items()} == districts and len(feats) == 16
    assert all(p["drill"] and not p["approximate"] for p in feats.values())  # real outlines, each drills to 街镇
    # the districts' open cases add up to the whole city's, grouped by the rows' city_code (the tiles' scope)
    city = feed.counts_by_unit(model.day_rows(at), model.base_query(scr, at, CITY), "city", at)
    assert city["unit_code"].tolist() == [CITY]
    indicator = model.map_indicator(scr)
    assert sum(p["count"] for p in feats.values()) == float(city[indicator].iloc[0]) > 0
    # the view frames the whole city: Chongming in the north to Jinshan in the south
    (south, west), (north, east) = view.bounds or [[0, 0], [0, 0]]
    assert south < 30.8 and north > 31.8 and west < 121.0 and east > 122.0


def test_the_wall_header_names_the_city_from_the_warehouse(warehouse: Path, app: dash.Dash) -> None:
    # the configured name is the default 青浦区; the demo recorded 上海市 / Shanghai in warehouse_meta
    assert _settings(warehouse).site_name_zh == "青浦区"
    screen = dash.page_registry["dashboard.pages.screen"]["layout"]
    assert _by_id(screen(), S.TITLE).children == "上海市"
    assert _by_id(screen(lang="en"), S.TITLE).children == "Shanghai"


def test_the_hierarchy_and_pickers_offer_the_district_below_the_city(warehouse: Path, app: dash.Dash) -> None:
    with _raw(warehouse) as con:
        h = hierarchy(con)
    assert h.slots == ("city", "district", "town", "grid", "village", "microgrid")
    assert h.below(None) == "district" and h.below("city") == "district"
    page = run("cases", {}, cases_view.render)
    assert not any(m in text(page) for m in ERRORS)
    first = _by_id(page, {"type": "cv-filter", "page": "cases", "field": "town"})  # the first unit picker
    assert {o["value"]: o["label"] for o in first.options} == _districts(warehouse)
    label = next(n.children[0].children for n in _walk(page) if getattr(n, "className", "") == "cv-filter-field"
                 and getattr(n.children[1], "id", None) == first.id)
    assert label == "区"
    # the page's scope names the whole city, not a district: 全市 (a district's site reads 全区)
    scope = next(n.children for n in _walk(page) if getattr(n, "className", "") == "cv-scope")
    assert scope.startswith("全市 · "), scope
    # the 下级单位 chart breaks the city down by district, not by the 235 街镇 of all of them
    year = run("cases", {"period": "year"}, cases_view.render)
    fig = _by_id(year, {"type": "cv-fig", "page": "cases", "role": "unit"})
    (bars,) = fig.figure["data"]
    assert dict(zip(bars["customdata"], bars["y"], strict=True)) == {
        f"unit={code}": name for code, name in _districts(warehouse).items()}  # each bar drills to its 区


def test_a_ranking_of_districts_has_sixteen_rows(warehouse: Path, app: dash.Dash) -> None:
    page = run("rankings", {"period": "week", "measure": "registered"}, rankings_view.render)
    menu = _by_id(page, {"type": "cv-filter", "page": "rankings", "field": "level"})
    assert menu.value == "district" and menu.options[0] == {"label": "区", "value": "district"}
    rows = _by_id(page, "rankings-grid").rowData
    assert {r["key"]: r["name"] for r in rows} == _districts(warehouse)
    # the metrics layer on the whole generated window, against a count of the rows themselves
    span = (CITY_NOW - timedelta(days=20), CITY_NOW + timedelta(hours=1))
    with _raw(warehouse) as con:
        df = metrics.ranking(con, "district", "registered", Query(Period(*span, "custom")), overrides={})
        want = dict(con.execute("SELECT district_code, count(*) FROM cases WHERE registered_at >= ? AND "
                                "registered_at < ? AND NOT coalesce(cancelled, false) GROUP BY 1",  # cancelled: out
                                list(span)).fetchall())
    assert len(df) == 16
    got = {k: int(v) for k, v in zip(df["key"], df["value"], strict=True) if v}
    assert got == want and sum(want.values()) > 16
