"""The phone view (/m): the same numbers as the desk pages for the same scope and period, the scope
rule (a town leader sees its town only; its place among the towns but no sibling), share links that
open only within the reader's scope, and the static HTML writer.

A warehouse of its own with three 街镇 and a pinned clock (``[site] now``): no test reads the wall clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import dash
import duckdb
import flask
import pytest
from dash import dcc, html

import metrics
from dashboard.access import G_PRINCIPAL
from dashboard.app import create_app
from dashboard.auth.model import Principal
from dashboard.components import mobile_model, rankings_view, static_html, stations_view
from dashboard.components import mobile_page as mobile
from dashboard.components.page import context, run
from dashboard.pages.rankings_ids import RankIds
from etl.settings import Settings
from tests.dashboard.minimal_warehouse import TOWNS, build_minimal
from tests.dashboard.test_pages import find

NOW = datetime(2026, 11, 20, 10, 0)
TOWN = TOWNS[1][0]  # 盈浦街道
OTHERS = [t for t in TOWNS if t[0] != TOWN]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_minimal(tmp_path_factory.mktemp("mobile"), now=NOW)


@pytest.fixture
def app(warehouse: Path) -> dash.Dash:
    return create_app(Settings(warehouse=warehouse, sections={"site": {"now": NOW.isoformat()}}))


@pytest.fixture
def as_admin(app: dash.Dash) -> Iterator[dash.Dash]:
    with app.server.test_request_context("/m"):
        yield app
        app.server.do_teardown_appcontext()


@pytest.fixture
def as_town_leader(app: dash.Dash) -> Iterator[dash.Dash]:
    with app.server.test_request_context("/m"):
        flask.g.setdefault(G_PRINCIPAL, Principal("lead", "leader", TOWN))
        yield app
        app.server.do_teardown_appcontext()


def by_id(tree: Any, cid: str) -> Any:
    hits = find(tree, lambda c: getattr(c, "id", None) == cid)
    assert hits, f"no component {cid}"
    return hits[0]


def plain(node: Any) -> str:
    return re.sub(r"<[^>]+>", " ", static_html.render(node))


def desk_rows(level: str) -> list[dict[str, Any]]:
    page = run("rankings", {"level": level}, rankings_view.render)
    return list(by_id(page, RankIds.GRID).rowData)


def test_ranking_equals_the_rankings_page(as_admin: dash.Dash) -> None:
    for level in ("town", "grid", "station"):
        rk = mobile_model.ranking(context({"level": level}))
        desk = desk_rows(level)
        assert rk.level == level and len(desk) > 1
        assert [(r.key, r.place, r.grade, r.bottom, r.movement, r.score) for r in rk.rows] == \
               [(d["key"], d["group_rank"], d["grade"], d["bottom"], d["movement_text"], d["score_text"]) for d in desk]
    page = mobile.layout(level="grid")
    items = by_id(page, "m-rank-list").children
    assert [i.to_plotly_json()["props"]["data-key"] for i in items] == [d["key"] for d in desk_rows("grid")]


def test_stations_equal_the_stations_page(as_admin: dash.Dash) -> None:
    desk = run("stations", {}, stations_view.render)
    page = mobile.layout()
    assert by_id(page, "m-stations-meeting").children == by_id(desk, "stations-meeting").children
    bars = find(desk, lambda c: isinstance(getattr(c, "id", None), dict) and c.id.get("role") == "closure")[0]
    trace = bars.figure["data"][0]
    red = [k for k, col in zip(trace["x"], trace["marker"]["color"], strict=True) if col == stations_view.RED]
    listed = [i.to_plotly_json()["props"]["data-key"] for i in by_id(page, "m-stations-list").children]
    assert sorted(listed) == sorted(red) and listed  # the fixture has stations below 85%
    # independently: closed / due station cases per station from the declared rule
    sc = metrics.station_closure(context({}).con, context({}).query, previous=False)
    below = sc.stations[sc.stations["value"] < 0.85]
    assert sorted(listed) == sorted(below["key"])


def test_station_detail_lists_its_overdue_cases(as_admin: dash.Dash, warehouse: Path) -> None:
    st = mobile_model.stations(context({}))
    key = st.below[0].key
    page = mobile.layout(view="station", sel=key)
    assert by_id(page, "m-detail-name").children == st.below[0].name
    ids = [i.children[0].children for i in by_id(page, "m-overdue-list").children]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        sql = con.execute(
            "SELECT case_id FROM cases WHERE station_code = ? AND NOT coalesce(cancelled, FALSE) AND closed_at IS NULL"
            " AND deadline_at < ? AND status NOT IN ('closed', 'cancelled') ORDER BY deadline_at, case_id",
            [key, NOW]).fetchall()
    finally:
        con.close()
    assert ids == [r[0] for r in sql][: mobile_model.LIST_MAX] and ids
    desk = run("stations", {"sel": key}, stations_view.render)
    assert f"({len(sql):,})" in str(desk) and f"（{len(sql)}）" in plain(page)


def test_unit_detail_equals_the_rankings_detail(as_admin: dash.Dash) -> None:
    grid = desk_rows("grid")[0]["key"]
    page = mobile.layout(view="unit", level="grid", sel=grid)
    desk = run("rankings", {"level": "grid", "sel": grid}, rankings_view.render)
    desk_cells = [[str(td.children) for td in tr.children]
                  for tr in by_id(desk, "rankings-detail-table").children[1].children]
    phone = [(li.children[0].children, li.children[1].children[0]) for li in by_id(page, "m-indicators").children]
    assert phone == [(c[0], c[1]) for c in desk_cells] and len(phone) >= 5


def test_urgent_open_now_counts_like_an_independent_query(as_admin: dash.Dash, warehouse: Path) -> None:
    u = mobile_model.urgent(context({}))
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        ids = [r[0] for r in con.execute(
            "SELECT case_id FROM cases WHERE urgency = 'urgent' AND NOT coalesce(cancelled, FALSE)"
            " AND closed_at IS NULL AND status NOT IN ('closed', 'cancelled') AND reported_at <= ?"
            " ORDER BY reported_at, case_id",
            [NOW]).fetchall()]
    finally:
        con.close()
    assert u.total == len(ids) and [c.case_id for c in u.rows] == ids[: mobile_model.LIST_MAX]


def test_urgent_list_names_each_unit_in_english_or_else_in_chinese(tmp_path: Path) -> None:
    """A unit without an English name is named in Chinese on the English page, never left blank (the
    English list read "· reported 03-06 16:32")."""
    wh = build_minimal(tmp_path, now=NOW)
    con = duckdb.connect(str(wh))
    try:
        first = con.execute("SELECT c.unit_code FROM cases c WHERE c.urgency = 'urgent' AND c.closed_at IS NULL"
                            " ORDER BY c.reported_at LIMIT 1").fetchone()
        assert first is not None
        con.execute("UPDATE org_unit SET name_en = NULL WHERE unit_code = ?", [first[0]])
        names = dict(con.execute("SELECT c.case_id, coalesce(nullif(u.name_en, ''), u.name_zh) FROM cases c"
                                 " JOIN org_unit u ON u.unit_code = c.unit_code").fetchall())
        zh = con.execute("SELECT name_zh FROM org_unit WHERE unit_code = ?", [first[0]]).fetchone()
    finally:
        con.close()
    app = create_app(Settings(warehouse=wh, sections={"site": {"now": NOW.isoformat()}}))
    with app.server.test_request_context("/m"):
        rows = mobile_model.urgent(context({"lang": "en"})).rows
        app.server.do_teardown_appcontext()
    assert rows and [c.where for c in rows] == [names[c.case_id] for c in rows]
    assert zh is not None and zh[0] in [c.where for c in rows]  # the unit without an English name, in Chinese


def test_town_leader_sees_its_town_and_its_place_among_the_towns(as_town_leader: dash.Dash) -> None:
    page = mobile.layout()
    text = plain(page)
    assert by_id(page, "m-scope").children == TOWNS[1][1]
    for code, zh, _ in OTHERS:
        assert zh not in text and code not in text  # no sibling 街镇, not even in the links
    # its grids, as /rankings ranks them for the same leader
    rk = mobile_model.ranking(context({}))
    assert rk.level == "grid"
    assert [r.key for r in rk.rows] == [d["key"] for d in desk_rows("grid")]
    # its place among the towns: the row /rankings shows for it to a district user
    own = rk.own
    assert own is not None and own.key == TOWN
    flask.g.pop(G_PRINCIPAL)
    flask.g.setdefault(G_PRINCIPAL, Principal("chief", "leader", None))
    row = next(d for d in desk_rows("town") if d["key"] == TOWN)
    assert (own.place, own.grade, own.bottom, own.movement) == \
           (row["group_rank"], row["grade"], row["bottom"], row["movement_text"])
    assert own.place is not None and own.place.endswith(f"/ {len(TOWNS)}")
    assert by_id(page, "m-own-place").children == f"第 {own.place} 名"
    assert by_id(page, "m-own-bottom").children == ("末位" if own.bottom else "非末位")


def test_town_leader_stations_equal_its_stations_page(as_town_leader: dash.Dash) -> None:
    page = mobile.layout()
    desk = run("stations", {}, stations_view.render)
    assert by_id(page, "m-stations-meeting").children == by_id(desk, "stations-meeting").children
    st = mobile_model.stations(context({}))
    assert st.rows and all(r.key.startswith("ST1") for r in st.rows)  # the fixture's stations of 盈浦


def test_share_link_is_the_exact_view_and_opens_only_in_scope(app: dash.Dash) -> None:
    with app.server.test_request_context("/m"):
        flask.g.setdefault(G_PRINCIPAL, Principal("chief", "leader", None))
        page = mobile.layout(unit=TOWN, level="village", view="home")
        share = by_id(page, "m-share").href
    assert share == f"/m?unit={TOWN}&date=2026-11-01&view=home&level=village" or \
        set(share.split("?")[1].split("&")) == {f"unit={TOWN}", "date=2026-11-01", "view=home", "level=village"}
    query = dict(p.split("=") for p in share.split("?")[1].split("&"))
    with app.server.test_request_context(share):  # a colleague of the same 街镇 sees the same view
        flask.g.setdefault(G_PRINCIPAL, Principal("deputy", "leader", TOWN))
        body, status = mobile._view(query)
        assert status == 200 and "m-rank-list" in static_html.render(body)
    with app.server.test_request_context(share):  # one of another 街镇: refused, nothing of it shown
        flask.g.setdefault(G_PRINCIPAL, Principal("other", "leader", OTHERS[0][0]))
        body, status = mobile._view(query)
        out = static_html.render(body)
        assert status == 403 and "不在您的权限范围内" in out and TOWNS[1][1] not in out


def test_served_document_is_small_and_needs_no_script(app: dash.Dash) -> None:
    c = app.server.test_client()
    r = c.get("/m", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["Content-Encoding"] == "gzip"
    assert len(r.data) < 30_000  # the whole first view, styles inlined
    plain_r = c.get("/m")
    body = plain_r.get_data(as_text=True)
    assert "<script" not in body and "_dash-component-suites" not in body
    assert 'id="m-stations-meeting"' in body and 'id="m-rank-list"' in body
    # the pinned clock: the running month is titled by its days so far (the period convention)
    assert "2026-11-01–11-20（本月至今）<span> · 数据截至 11-20 10:00</span>" in body
    assert len(re.findall(r' id="([^"]+)"', body)) == len(set(re.findall(r' id="([^"]+)"', body)))
    assert c.get("/m?view=nope").status_code == 400


def test_static_html_escapes_and_refuses_renderer_components() -> None:
    out = static_html.render(html.Div(["<script>alert(1)</script>", html.A("x", href='"><b', title="&")],
                                      className="a"))
    assert out == ('<div class="a">&lt;script&gt;alert(1)&lt;/script&gt;'
                   '<a href="&#34;&gt;&lt;b" title="&amp;">x</a></div>')
    with pytest.raises(TypeError):
        static_html.render(dcc.Link("x", href="/"))
    with pytest.raises(ValueError):
        static_html.render(html.Div(style={"color": "red"}))


def test_detail_views_refuse_other_scopes(as_town_leader: dash.Dash) -> None:
    other_grid = f"{OTHERS[0][0][:9]}G01"
    body, status = mobile._view({"view": "unit", "sel": other_grid, "level": "grid"})
    assert status == 403 and OTHERS[0][1][:2] not in static_html.render(body)
    body, status = mobile._view({"view": "station", "sel": "ST00"})
    assert status == 400 and "ST00" in static_html.render(body)  # not a station of this scope: no data of it


def test_english_view_keeps_english_in_every_link(app: dash.Dash) -> None:
    r = app.server.test_client().get("/m?lang=en&level=grid")
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and body.startswith('<!DOCTYPE html><html lang="en">')
    assert "Composite ranking" in body and "综合评价排名" not in body
    links = re.findall(r'<a class="([^"]*)" href="(/m[^"]*)"', body)
    toggle = [h for c, h in links if "cv-m-lang" in c]
    assert toggle == ["/m?level=grid"]  # 中文: the same view in Chinese
    others = [h for c, h in links if "cv-m-lang" not in c]
    assert len(others) > 5 and all("lang=en" in h for h in others), others


def test_own_row_among_peers_lets_only_the_scope_out(as_town_leader: dash.Dash) -> None:
    from dashboard import access
    from tests.dashboard.minimal_warehouse import DISTRICT

    seen: list[str | None] = []

    def rank(q: metrics.Query) -> Any:
        seen.append(q.unit)
        return metrics.ranking(context({}).con, "town", "region_composite", q)

    q = context({}).query
    assert q.unit == TOWN  # the leader's query is clamped to its town
    row = access.own_row_among_peers(rank, q, DISTRICT[0])
    assert list(row["key"]) == [TOWN] and seen == [DISTRICT[0]]
    assert int(row["ranked_in_group"].iloc[0]) == len(TOWNS)
    # a "parent" that is not above the scope (a sibling, the scope itself) computes nothing
    assert access.own_row_among_peers(rank, q, OTHERS[0][0]).empty
    assert access.own_row_among_peers(rank, q, TOWN).empty and seen == [DISTRICT[0]]
