"""The /hotline page: layout and callbacks called directly on the test warehouse, numbers checked against
independent SQL on the same file."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import dash
import duckdb
import flask
import pandas as pd
import pytest
from dash import dcc

from dashboard import access, data
from dashboard.auth.model import Principal
from dashboard.callbacks import hotline as hotline_cb
from dashboard.callbacks import pages_shared
from dashboard.components import hotline_view
from dashboard.components.page import rows_page, run
from tests.clock import anchor_day
from tests.dashboard.test_pages import figure, find, messages, text


def layout(**q: Any) -> Any:
    return run("hotline", {"date": anchor_day().isoformat(), **q} if q.get("period") != "custom" else q,
               hotline_view.render)


@pytest.fixture
def raw(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(warehouse / "vitals.duckdb") if warehouse.is_dir() else str(warehouse), read_only=True)
    yield con
    con.close()


def bounds(grain: str = "month") -> tuple[datetime, datetime]:
    today = anchor_day()
    if grain == "month":
        start = datetime(today.year, today.month, 1)
        return start, datetime(today.year + (today.month == 12), today.month % 12 + 1, 1)
    q0 = (today.month - 1) // 3 * 3 + 1
    start = datetime(today.year, q0, 1)
    return start, datetime(today.year + (q0 == 10), (q0 + 2) % 12 + 1, 1)


def search_of(href: str) -> str:
    return "?" + urlsplit(href).query


def params_of(href: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(href).query))


def test_page_renders_and_kpis_and_categories_match_sql(ctx: dash.Dash, raw: duckdb.DuckDBPyConnection) -> None:
    page = layout()
    assert messages(page) == []
    for role in ("rates", "trend", "category"):
        assert figure(page, role)["data"], role
    s, e = bounds()
    n, fc_yes, fc_rec = raw.execute(
        "SELECT count(*), count(*) FILTER (WHERE first_contact), count(first_contact) FROM hotline_orders "
        "WHERE received_at >= ? AND received_at < ?", [s, e]).fetchone()
    assert n > 0 and fc_rec > 0
    kpis = text(find(page, lambda c: getattr(c, "id", None) == hotline_view.KPIS_ID)[0])
    assert f"'{n:,}'" in kpis and f"{fc_yes / fc_rec * 100:.1f}%" in kpis
    bars = figure(page, "category")["data"][0]
    by_cat = dict(raw.execute("SELECT category, count(*) FROM hotline_orders WHERE received_at >= ? AND "
                              "received_at < ? AND category IS NOT NULL GROUP BY 1", [s, e]).fetchall())
    assert dict(zip(bars["y"], bars["x"], strict=True)) == {k: by_cat[k] for k in bars["y"]}
    assert bars["customdata"][0].startswith("category=")


def test_category_click_filters_then_subcategory_drill_lists_exactly_its_orders(
        ctx: dash.Dash, raw: duckdb.DuckDBPyConnection) -> None:
    bars = figure(layout(), "category")["data"][0]
    top = bars["y"][-1]  # bars are drawn bottom-up: the last is the largest
    on = f"?date={anchor_day()}"
    href = pages_shared.click_href("hotline", on, {"points": [{"customdata": bars["customdata"][-1]}]})
    assert params_of(href) == {"category": top, "date": anchor_day().isoformat()}
    page = layout(**params_of(href))
    assert messages(page) == []
    s, e = bounds()
    subs = figure(page, "category")["data"][0]
    expected = dict(raw.execute("SELECT subcategory, count(*) FROM hotline_orders WHERE received_at >= ? AND "
                                "received_at < ? AND category = ? AND subcategory IS NOT NULL GROUP BY 1",
                                [s, e, top]).fetchall())
    assert dict(zip(subs["y"], subs["x"], strict=True)) == {k: expected[k] for k in subs["y"]}
    # the KPI strip narrowed too: orders of that category only
    kpis = text(find(page, lambda c: getattr(c, "id", None) == hotline_view.KPIS_ID)[0])
    assert f"'{sum(expected.values()) + _no_sub(raw, s, e, top):,}'" in kpis
    drill = pages_shared.click_href("hotline", search_of(href), {"points": [{"customdata": subs["customdata"][-1]}]})
    rows, total = rows_page("hotline_orders", search_of(drill), 0, 1000, [])
    assert total == subs["x"][-1] == expected[subs["y"][-1]]
    assert {r["subcategory"] for r in rows} == {subs["y"][-1]} and {r["category"] for r in rows} == {top}


def _no_sub(raw: duckdb.DuckDBPyConnection, s: datetime, e: datetime, cat: str) -> int:
    return raw.execute("SELECT count(*) FROM hotline_orders WHERE received_at >= ? AND received_at < ? AND "
                       "category = ? AND subcategory IS NULL", [s, e, cat]).fetchone()[0]


def test_hotspot_links_drill_to_exactly_the_orders_counted(ctx: dash.Dash, raw: duckdb.DuckDBPyConnection) -> None:
    s, e = bounds("quarter")
    dlat = 100 / 111_320.0
    dlon = 100 / (111_320.0 * math.cos(math.radians(31.2)))
    checked = 0
    for sel in ("", "unit"):
        page = layout(period="quarter", **({"sel": sel} if sel else {}))
        assert messages(page) == []
        ol = find(page, lambda c: getattr(c, "id", None) == hotline_view.HOT_LIST_ID)[0]
        links = [li.children[0] for li in ol.children if isinstance(li.children[0], dcc.Link)]
        actions = find(page, lambda c: getattr(c, "id", None) == hotline_view.HOT_ACTIONS)[0].data
        assert links and actions[0] == links[0].href  # marker 0 and list row 0: the same hotspot
        for link in links[:5]:
            p = params_of(link.href)
            kind, _, value = p["drill"].partition(":")
            rows, total = rows_page("hotline_orders", search_of(link.href), 0, 1000, [])
            if kind == "cell":
                ix, iy, _m = value.split(":")
                where, args = ("CAST(floor(lon / ?) AS BIGINT) = ? AND CAST(floor(lat / ?) AS BIGINT) = ?",
                               [dlon, int(ix), dlat, int(iy)])
            else:
                assert kind == "place"
                where, args = "unit_code = ?", [value]
            expected = raw.execute(f"SELECT count(*) FROM hotline_orders WHERE received_at >= ? AND received_at < ? "
                                   f"AND category = ? AND {where}", [s, e, p["category"], *args]).fetchone()[0]
            li = next(li for li in ol.children if li.children[0] is link)
            assert total == expected == len(rows) >= 1 and f"本期 {expected} 件" in text(li.children[1])
            if checked == 0:  # the drilled page says the same count in its banner
                drilled = layout(**params_of(link.href))
                assert f"{expected} 件工单" in text(find(drilled, lambda c: getattr(c, "id", None) == "hotline-drill"))
            checked += 1
    assert checked >= 2


def test_map_points_are_one_layer_in_list_order_with_their_hotspots_rows(ctx: dash.Dash,
                                                                          raw: duckdb.DuckDBPyConnection) -> None:
    """The hotspot points: one GeoJSON layer, point i = stored URL i = list row i (same label); each
    point lies in the cell its URL drills into (it is the mean of that cell's orders)."""
    page = layout(period="quarter")
    layer = find(page, lambda c: getattr(c, "id", None) == hotline_view.HOT_LAYER)
    assert len(layer) == 1 and layer[0].pointToLayer == {"variable": "cityVitalsHotline.hotPoint"}
    feats = layer[0].data["features"]
    actions = find(page, lambda c: getattr(c, "id", None) == hotline_view.HOT_ACTIONS)[0].data
    ol = find(page, lambda c: getattr(c, "id", None) == hotline_view.HOT_LIST_ID)[0]
    links = [li.children[0] for li in ol.children if isinstance(li.children[0], dcc.Link)]
    assert feats and len(feats) == len(actions) and [f["properties"]["i"] for f in feats] == list(range(len(feats)))
    assert actions[: len(links)] == [link.href for link in links][: len(actions)]
    dlat = 100 / 111_320.0
    dlon = 100 / (111_320.0 * math.cos(math.radians(31.2)))
    for f, href in zip(feats[:5], actions, strict=False):
        kind, _, value = params_of(href)["drill"].partition(":")
        assert kind == "cell"
        ix, iy, _m = value.split(":")
        lon, lat = f["geometry"]["coordinates"]
        # the point is the mean of the cell's orders: inside the cell
        assert math.floor(lon / dlon) == int(ix) and math.floor(lat / dlat) == int(iy)
        assert f["properties"]["tooltip"].rsplit(":", 1)[0] in text(ol)  # the same label as the list row
    assert all(5 <= f["properties"]["r"] <= 14 for f in feats)
    assert max(f["properties"]["r"] for f in feats) == 14


def test_point_click_maps_its_feature_to_its_hotspot() -> None:
    actions = ["/hotline?category=%E6%B0%B4&drill=cell%3A1%3A2%3A100", "/hotline?drill=place%3AV1"]
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [121.1, 31.1]},
               "properties": {"i": 1, "tooltip": "x"}}
    assert hotline_cb.hotspot_href(hotline_cb.clicked_index(feature), 1, actions) == actions[1]
    assert hotline_cb.clicked_index({"properties": {"tooltip": "an outline"}}) is None
    assert hotline_cb.clicked_index(None) is None
    assert hotline_cb.hotspot_href(True, 1, actions) is None  # a bool is not an index


def test_marker_click_maps_index_to_its_hotspot_only() -> None:
    actions = ["/hotline?category=%E6%B0%B4&drill=cell%3A1%3A2%3A100", "/hotline?drill=place%3AV1"]
    assert hotline_cb.hotspot_href(1, 1, actions) == actions[1]
    assert hotline_cb.hotspot_href(2, 1, actions) is None  # an index the page did not render
    assert hotline_cb.hotspot_href(0, None, actions) is None  # a marker appearing, not a click
    assert hotline_cb.hotspot_href(0, 1, ["https://elsewhere.example/"]) is None


@pytest.mark.parametrize("clearance", [False, True])
def test_order_table_masks_personal_data_per_role(ctx: dash.Dash, raw: duckdb.DuckDBPyConnection,
                                                  clearance: bool) -> None:
    flask.g.setdefault(access.G_PRINCIPAL, Principal("ana", "analyst", None, clearance=clearance))
    rows, total = rows_page("hotline_orders", f"?date={anchor_day()}", 0, 20, [])
    assert total > 0 and rows
    ids = [r["order_id"] for r in rows]
    truth = {r[0]: r[1:] for r in raw.execute("SELECT order_id, citizen_name, citizen_phone, address FROM "
                                              "hotline_orders WHERE order_id IN (SELECT unnest(?))", [ids]).fetchall()}
    assert sum(1 for v in truth.values() if v[1]) > 0
    for r in rows:
        name, phone, address = truth[r["order_id"]]
        if clearance:
            assert (r["citizen_name"], r["citizen_phone"], r["address"]) == (name, phone, address)
            continue
        if phone:
            assert r["citizen_phone"] != phone and r["citizen_phone"].endswith(phone[-4:]) and "*" in r["citizen_phone"]
        if name:
            assert r["citizen_name"] != name and r["citizen_name"][0] == name[0]


def test_bad_input_is_a_message_and_english_labels(ctx: dash.Dash) -> None:
    assert messages(layout(sel="street"))
    assert messages(layout(category="噪音\"><script>"))
    assert messages(layout(drill="cell:1:2:0"))
    en = text(layout(lang="en"))
    assert "Four rates vs targets" in en and "Repeat complaints" in en


def last_month_of(grain: str) -> date:
    """A day of the last month the trend shows: the viewed period's, cut at the site's now."""
    from metrics import Period

    p = Period.containing(grain, anchor_day())  # type: ignore[arg-type]
    return min(p.end - timedelta(microseconds=1), data.site_now()).date()


@pytest.mark.parametrize("grain", ["month", "quarter", "week", "year"])
def test_trend_matches_the_compiled_monthly_trend(ctx: dash.Dash, raw: duckdb.DuckDBPyConnection, grain: str) -> None:
    """Kept past months + the live current month = ``metrics.monthly_trend`` up to the current month."""
    from metrics import Period, Query, monthly_trend
    from metrics.hotline_explore import RATE_IDS

    for _ in range(2):  # the second render reads the months kept per snapshot
        fig = figure(layout(period=grain), "trend")
        ref = monthly_trend(raw, list(RATE_IDS), Query(Period.containing("month", last_month_of(grain))), 12,
                            overrides={})
        # one line per rate; a running last month is drawn apart (a dashed tail trace per rate, meta
        # "partial", and one legend entry): joined back here
        lines = [t for t in fig["data"] if not str(t.get("meta", "")).startswith("partial")]
        tails = {t["legendgroup"]: t for t in fig["data"] if t.get("meta") == "partial"}
        assert len(lines) == 4
        for trace, k in zip(lines, RATE_IDS, strict=True):
            r = ref[ref["metric_id"] == k]
            x, y = list(trace["x"]), list(trace["y"])
            if k in tails:
                x, y = x + tails[k]["x"][-1:], y + tails[k]["y"][-1:]
            assert x == [m.strftime("%Y-%m") for m in r["month"]]
            want = [None if v != v else round(float(v), 9) for v in r["value"]]
            assert [None if v is None else round(v, 9) for v in y] == want
            assert sum(v is not None for v in want) >= 2


def _hotspots_pandas(raw: duckdb.DuckDBPyConnection, s: datetime, e: datetime, n: int, m: int
                     ) -> dict[tuple[str, str], int]:
    """(unit, category) → max orders within any m-day window ending on an order in [s, e), for pairs with
    at least n: counted row by row in pandas, independently of the page's SQL."""
    df = raw.execute("SELECT unit_code, category, received_at FROM hotline_orders WHERE unit_code IS NOT NULL "
                     "AND category IS NOT NULL AND received_at < ?", [e]).df()
    out = {}
    for (unit, cat), g in df.groupby(["unit_code", "category"]):
        ts = sorted(g["received_at"])
        best = max((sum(1 for u in ts if t - pd.Timedelta(days=m) <= u <= t) for t in ts if t >= s), default=0)
        if best >= n:
            out[(unit, cat)] = best
    return out


def test_hot_n_and_hot_m_change_the_hotspots_as_an_independent_count(ctx: dash.Dash,
                                                                     raw: duckdb.DuckDBPyConnection) -> None:
    s, e = bounds("quarter")
    counts = set()
    for n, m in ((2, 7), (3, 30), (2, 90), (4, 60)):
        page = layout(period="quarter", sel="unit", hot_n=str(n), hot_m=str(m))
        assert messages(page) == []
        expected = _hotspots_pandas(raw, s, e, n, m)
        body = text(page)
        assert f"同一地点同类诉求 {m} 天内 ≥ {n} 次 ({len(expected):,})" in body
        ol = find(page, lambda c: getattr(c, "id", None) == hotline_view.HOT_LIST_ID)[0]
        links = [li for li in ol.children if isinstance(li.children[0], dcc.Link)]
        assert len(links) == min(len(expected), hotline_view.LIST_MAX)
        for li in links:
            p = params_of(li.children[0].href)
            assert p["hot_n"] == str(n) and p["hot_m"] == str(m)  # the drill keeps the rule
            key = (p["drill"].removeprefix("place:"), p["category"])
            assert f"窗口内最多 {expected[key]} 件" in text(li.children[1])
        counts.add(len(expected))
    # the number fields write the rule into the URL through the shared filter callback
    href = pages_shared.filter_href("hotline", "?period=quarter&sel=unit", ["period", "hot_n", "hot_m"],
                                     ["quarter", 5, 45], "hot_n")
    assert params_of(href) == {"period": "quarter", "sel": "unit", "hot_n": "5", "hot_m": "45"}
    assert len(counts) > 1  # the parameters matter on this fixture


def test_bad_hot_parameters_are_a_message(ctx: dash.Dash) -> None:
    for q in ({"hot_n": "abc"}, {"hot_n": "1"}, {"hot_n": "51"}, {"hot_m": "0"}, {"hot_m": "366"},
              {"hot_m": "-3"}, {"hot_n": "2.5"}, {"hot_m": "9" * 30}):
        msg = messages(layout(**q))
        assert msg and "must be a whole number" in msg[0], q
    assert messages(layout(hot_n="2", hot_m="365")) == []


def test_previous_count_says_when_the_previous_period_begins_before_the_data(ctx: dash.Dash,
                                                                             raw: duckdb.DuckDBPyConnection) -> None:
    first = raw.execute("SELECT min(received_at) FROM hotline_orders").fetchone()[0]
    year = layout(period="year", date=f"{first:%Y}-12-31")
    assert f"数据始于 {first:%Y-%m-%d}" in text(year)
    assert "数据始于" not in text(layout(period="week"))  # the previous week is inside the data
