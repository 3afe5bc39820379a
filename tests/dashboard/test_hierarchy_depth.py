"""Hierarchies of 1 and 6 levels, built through the real ETL: a 6-level city (市 → 区 → 街镇 → 网格 → 村居 →
微网格, polygons only at 街镇) and a 1-level site (four sibling units, no root). Rankings, evaluations,
the unit pickers, the wall's map and ranking panels and every page work, without an error message.

Expected numbers come from pandas on the generated orders: unit codes spell their path (``U.1.2`` is
the second 街镇 of district ``U.1``), so each level's figures are computed without the warehouse.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import dash
import pandas as pd
import pytest

import metrics
from dashboard.callbacks import screen as cb
from dashboard.components import hotline_view, rankings_view
from dashboard.components.page import run
from dashboard.screen import model
from dashboard.screen.config import parse
from metrics import Period, Query
from metrics.hierarchy import hierarchy
from tests.dashboard import shaped_city as city
from tests.dashboard.minimal_warehouse import app_in_request
from tests.dashboard.test_any_city import ERRORS, _by_id, _raw, _walk, text

START, END = datetime(2018, 10, 1), datetime(2018, 10, 31, 23)  # hourly: data ends on October's last day
OCTOBER = (datetime(2018, 10, 1), datetime(2018, 11, 1))


def _orders(shape: city.Shape) -> pd.DataFrame:
    return city.orders(START, END, timedelta(hours=1), city.leaves(shape))


@pytest.fixture(scope="module")
def six(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return city.build(tmp_path_factory.mktemp("six"), city.SIX, _orders(city.SIX))


@pytest.fixture(scope="module")
def one(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return city.build(tmp_path_factory.mktemp("one"), city.ONE, _orders(city.ONE))


def _app(wh: Path) -> Iterator[dash.Dash]:
    yield from app_in_request(city.settings(wh))


@pytest.fixture
def app6(six: Path) -> Iterator[dash.Dash]:
    yield from _app(six)


@pytest.fixture
def app1(one: Path) -> Iterator[dash.Dash]:
    yield from _app(one)


def closure_by(shape: city.Shape, depth: int) -> dict[str, float]:
    """October's closure rate per unit at ``depth`` dots of the code (0: the top units), from the orders
    as generated: closed before the period's end over received in it."""
    df = _orders(shape)
    df = df[(df["received_at"] >= OCTOBER[0]) & (df["received_at"] < OCTOBER[1])]
    key = df["unit_code"].map(lambda c: ".".join(str(c).split(".")[:depth + 1]))
    closed = df["closed_at"].notna() & (df["closed_at"] < OCTOBER[1])
    return (closed.groupby(key).sum() / key.groupby(key).size()).to_dict()


def open_at(shape: city.Shape, depth: int, at: datetime) -> dict[str, int]:
    """Orders received by ``at`` without a closing time, per unit at ``depth`` (the wall's 在办工单)."""
    df = _orders(shape)
    df = df[(df["received_at"] <= at) & df["closed_at"].isna()]
    return df["unit_code"].map(lambda c: ".".join(str(c).split(".")[:depth + 1])).value_counts().to_dict()


def _level_menu(page: Any) -> Any:
    return _by_id(page, {"type": "cv-filter", "page": "rankings", "field": "level"})


def _rows(page: Any) -> dict[str, dict[str, Any]]:
    return {r["key"]: r for r in _by_id(page, "rankings-grid").rowData}


def _no_errors(wh: Path) -> None:
    for lang in (None, "en"):
        q = {"lang": lang} if lang else {}
        for path, page in dash.page_registry.items():
            if path.endswith("not_found_404"):
                continue
            body = text(page["layout"](**q) if callable(page["layout"]) else page["layout"])
            assert not any(m in body for m in ERRORS), (path, lang)
        out = cb.refresh(parse(q, city.settings(wh)).to_store(), {})
        assert out[len(cb.PANEL_OUTPUTS)] == "", lang  # no "刷新失败"


# --- six levels ------------------------------------------------------------------------------------


def test_six_levels_load_with_their_whole_path(six: Path) -> None:
    with _raw(six) as con:
        assert con.execute("SELECT level, count(*) FROM org_unit GROUP BY 1 ORDER BY min(length(unit_code))"
                           ).fetchall() == [("city", 1), ("district", 2), ("town", 4), ("grid", 8), ("village", 16),
                                            ("microgrid", 32)]
        row = con.execute("SELECT city_code, district_code, town_code, grid_code, village_code, unit_code FROM "
                          "hotline_orders WHERE unit_code = 'U.2.1.2.1.2' LIMIT 1").fetchone()
        assert row == ("U", "U.2", "U.2.1", "U.2.1.2", "U.2.1.2.1", "U.2.1.2.1.2")
        assert con.execute("SELECT count(*) FROM hotline_orders WHERE city_code = 'U'").fetchone() == (31 * 24,)
        h = hierarchy(con)
        assert h.slots == ("city", "district", "town", "grid", "village", "microgrid")
        assert h.below(None) == "district" and h.under(None) == ("district", "town", "grid", "village")
        assert [lv.shaped for lv in h.levels] == [0, 0, 4, 0, 0, 0]


def test_six_levels_rank_and_evaluate_every_level(six: Path, app6: dash.Dash) -> None:
    page = run("rankings", {"measure": "hotline_closure_rate"}, rankings_view.render)
    assert not any(m in text(page) for m in ERRORS)
    menu = _level_menu(page)
    assert [o["value"] for o in menu.options] == ["district", "town", "grid", "village", "station", "department"]
    assert menu.value == "district" and [o["label"] for o in menu.options[:2]] == ["区", "街镇"]
    for level, depth in (("district", 1), ("village", 4)):
        rows = _rows(run("rankings", {"level": level, "measure": "hotline_closure_rate"}, rankings_view.render))
        exp = closure_by(city.SIX, depth)
        assert len(rows) == len(exp) == 2 ** depth
        for key, rate in exp.items():
            assert rows[key]["value"] == pytest.approx(rate), (level, key)
    q = Query(Period(*OCTOBER, "month"))
    with _raw(six) as con:
        ev = metrics.evaluation(con, "region", "district", q, overrides={})
        assert sorted(ev["key"]) == ["U.1", "U.2"] and set(ev["grade"].fillna("—")) == {"—"}  # no cases: no grade
        df = metrics.ranking(con, "grid", "hotline_closure_rate", q, overrides={})
        assert len(df) == 8


def test_six_levels_pickers_reach_the_village(six: Path, app6: dash.Dash) -> None:
    page = run("hotline", {"unit": "U.1.2.1.2"}, hotline_view.render)
    bar = {n.id["field"]: n for n in _walk(page) if isinstance(getattr(n, "id", None), dict)
           and n.id.get("field") in ("town", "grid", "village", "microgrid")}
    assert [bar[f].value for f in ("town", "grid", "village", "microgrid")] == ["U.1", "U.1.2", "U.1.2.1",
                                                                                 "U.1.2.1.2"]
    assert [o["value"] for o in bar["town"].options] == ["U.1", "U.2"]  # the first picker lists the districts
    assert [o["value"] for o in bar["microgrid"].options] == ["U.1.2.1.1", "U.1.2.1.2"]
    labels = [(n.children[0].children, bool(getattr(n, "hidden", False))) for n in _walk(page)
              if getattr(n, "className", "") == "cv-filter-field" and isinstance(getattr(n.children[1], "id", None),
                                                                               dict)
              and n.children[1].id.get("field") in ("town", "grid", "village", "microgrid")][::-1]
    assert labels == [("区", False), ("街镇", False), ("责任网格", False), ("村居", False)]
    # the page's figures are the village's: 31 days x 24 hours over 32 micro-grids, two of them here
    n = sum(1 for c in _orders(city.SIX)["unit_code"] if str(c).startswith("U.1.2.1.2."))
    assert f"/ {n:,}" in text(_by_id(page, "hotline-kpi-hotline_closure_rate"))


def test_six_levels_wall_map_draws_the_first_level_with_polygons(six: Path, app6: dash.Dash) -> None:
    scr = parse({}, city.settings(six))
    at = model.now(scr)
    view = model.map_view(scr, at, None)
    assert view.level == "town" and len(view.units["features"]) == 4 and view.skipped == ("区",)
    assert "按街镇显示：区无边界数据" in text(cb.map_refresh(None, scr.to_store(), {})[2])
    got = {f["properties"]["unit_code"]: f["properties"]["count"] for f in view.units["features"]}  # not per km²
    assert {k: v for k, v in got.items() if v} == {k: float(v) for k, v in open_at(city.SIX, 2, at).items()}
    ranking = model.ranking(scr, at)
    assert ranking.level == "district" and ranking.total == 2  # the wall ranks the 区 (the city is the root)
    assert sorted({item.name for item in (*ranking.top, *ranking.bottom)}) == ["districtU.1", "districtU.2"]


def test_six_levels_every_page_and_the_wall(six: Path, app6: dash.Dash) -> None:
    _no_errors(six)


# --- one level -------------------------------------------------------------------------------------


def test_one_level_ranks_picks_and_maps_its_units(one: Path, app1: dash.Dash) -> None:
    with _raw(one) as con:
        h = hierarchy(con)
        assert h.slots == ("town",) and h.below(None) == "town" and h.under(None) == ("town",)
    page = run("rankings", {"measure": "hotline_closure_rate"}, rankings_view.render)
    assert [o["value"] for o in _level_menu(page).options] == ["town", "station", "department"]
    rows = _rows(page)
    exp = closure_by(city.ONE, 0)
    assert sorted(rows) == sorted(exp) == ["U1", "U2", "U3", "U4"]
    for key, rate in exp.items():
        assert rows[key]["value"] == pytest.approx(rate)
    hot = run("hotline", {"unit": "U3"}, hotline_view.render)
    first = _by_id(hot, {"type": "cv-filter", "page": "hotline", "field": "town"})
    assert [o["value"] for o in first.options] == ["U1", "U2", "U3", "U4"] and first.value == "U3"
    scr = parse({}, city.settings(one))
    at = model.now(scr)
    view = model.map_view(scr, at, None)
    assert view.level == "town" and sorted(f["properties"]["unit_code"] for f in view.units["features"]) == [
        "U1", "U2", "U3", "U4"]
    got = {f["properties"]["unit_code"]: f["properties"]["count"] for f in view.units["features"]}  # not per km²
    assert got == {k: float(v) for k, v in open_at(city.ONE, 0, at).items()} and sum(got.values()) > 0
    assert view.scope_name == "样例市"


def test_one_level_every_page_and_the_wall(one: Path, app1: dash.Dash) -> None:
    _no_errors(one)


def test_ranking_the_root_level_says_so(six: Path, app6: dash.Dash) -> None:
    page = run("rankings", {"level": "city"}, rankings_view.render)
    assert "is the top of this hierarchy: rank district or below" in text(page) and "cv-message-input" in text(page)
