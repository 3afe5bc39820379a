"""The /staffing page: layout and callbacks called directly on the test warehouse, numbers checked against
independent SQL on the same file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import dash
import duckdb
import pytest

from dashboard.callbacks import pages_shared
from dashboard.components import staffing_view
from dashboard.components.page import run
from tests.clock import anchor_day
from tests.dashboard.test_pages import figure, find, messages, text


def layout(**q: Any) -> Any:
    """The page, its preset periods anchored at ``anchor_day()`` unless the test names a date."""
    return run("staffing", q if q.get("period") == "custom" else {"date": anchor_day().isoformat(), **q},
               staffing_view.render)


@pytest.fixture
def raw(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(warehouse / "vitals.duckdb") if warehouse.is_dir() else str(warehouse), read_only=True)
    yield con
    con.close()


def month() -> tuple[date, date]:
    today = anchor_day()
    start = today.replace(day=1)
    return start, date(today.year + (today.month == 12), today.month % 12 + 1, 1)


def test_page_renders_and_duty_bars_match_sql(ctx: dash.Dash, raw: duckdb.DuckDBPyConnection) -> None:
    page = layout()
    assert messages(page) == []
    for role in ("duty", "daily", "night", "load"):
        assert figure(page, role)["data"], role
    s, e = month()
    expected = dict(raw.execute(
        "SELECT u.name_zh, count(DISTINCT person_id) FROM staffing_roster r "
        "JOIN org_unit u ON u.unit_code = r.town_code WHERE shift = 'night' AND duty_date >= ? AND duty_date < ? "
        "GROUP BY 1", [s, e]).fetchall())
    night = next(t for t in figure(page, "duty")["data"] if t["name"] == "夜间")
    assert dict(zip(night["x"], night["y"], strict=True)) == expected
    persons = raw.execute("SELECT count(DISTINCT person_id) FROM staffing_roster WHERE duty_date >= ? "
                          "AND duty_date < ?", [s, e]).fetchone()[0]
    kpis = text(find(page, lambda c: getattr(c, "id", None) == staffing_view.KPIS_ID)[0])
    assert f"'{persons:,}'" in kpis


def test_grids_without_night_cover_listed_and_red(ctx: dash.Dash, raw: duckdb.DuckDBPyConnection) -> None:
    s, _ = month()
    now = datetime.fromisoformat(raw.execute("SELECT value FROM warehouse_meta WHERE key = 'data_now'").fetchone()[0])
    last = min(now.date(), month()[1] - timedelta(days=1))
    # independent: every (grid, night) up to tonight without a night shift on the roster
    gaps = dict(raw.execute("""
        WITH nights AS (SELECT unnest(generate_series($1::DATE, $2::DATE, INTERVAL 1 DAY))::DATE AS d),
        grids AS (SELECT unit_code, name_zh FROM org_unit WHERE level = 'grid')
        SELECT g.name_zh, count(*) FROM grids g CROSS JOIN nights n
        WHERE NOT EXISTS (SELECT 1 FROM staffing_roster r WHERE r.grid_code = g.unit_code AND r.duty_date = n.d
                          AND r.shift = 'night') GROUP BY 1""", [s, last]).fetchall())
    page = layout()
    ul = find(page, lambda c: getattr(c, "id", None) == staffing_view.NIGHT_LIST_ID)[0]
    links = find(ul, lambda c: isinstance(c, dash.dcc.Link))
    assert {lk.children for lk in links} == set(gaps)
    if not gaps:  # early in a month the demo's few weak grids may not have missed a night yet
        assert "所有网格每晚都有夜间值守" in str(ul.children)
    for li in find(ul, lambda c: isinstance(c, dash.html.Li)) if gaps else []:
        name = li.children[0].children
        assert f" {gaps[name]} / " in li.children[1].children
    bars = figure(page, "night")["data"][0]
    red = {n for n, c in zip(bars["hovertext"], bars["marker"]["color"], strict=True) if c == "#b02a37"}
    assert red == set(gaps)
    assert [c == "#b02a37" for c in bars["marker"]["color"]] == sorted(  # the grids that missed nights first
        (c == "#b02a37" for c in bars["marker"]["color"]), reverse=True)


def test_workload_matches_sql(ctx: dash.Dash, raw: duckdb.DuckDBPyConnection) -> None:
    s, e = month()
    cases = dict(raw.execute(
        "SELECT u.name_zh, count(*) FROM cases c JOIN org_unit u ON u.unit_code = c.town_code WHERE NOT "
        "coalesce(cancelled, false) AND registered_at >= ? AND registered_at < ? GROUP BY 1", [s, e]).fetchall())
    persons = dict(raw.execute(
        "SELECT u.name_zh, count(DISTINCT person_id) FROM staffing_roster r "
        "JOIN org_unit u ON u.unit_code = r.town_code WHERE duty_date >= ? AND duty_date < ? GROUP BY 1",
        [s, e]).fetchall())
    bars = figure(layout(), "load")["data"][0]
    for name, v in zip(bars["y"], bars["x"], strict=True):
        assert v == pytest.approx(cases[name] / persons[name], abs=0.006)


def test_unit_click_cross_filters_to_the_grids(ctx: dash.Dash, raw: duckdb.DuckDBPyConnection) -> None:
    action = figure(layout(), "duty")["data"][0]["customdata"][0]
    town = action.split("=", 1)[1]
    href = pages_shared.click_href("staffing", "?period=week", {"points": [{"customdata": action}]})
    assert href == f"/staffing?unit={town}&period=week"
    page = layout(unit=town, period="week")
    grids = raw.execute("SELECT name_zh FROM org_unit WHERE level = 'grid' AND parent_code = ? ORDER BY unit_code",
                        [town]).fetchall()
    assert figure(page, "duty")["data"][0]["x"] == [g for (g,) in grids]


def test_filter_change_changes_figures(ctx: dash.Dash) -> None:
    href = pages_shared.filter_href("staffing", "", ["town", "grid", "village", "period"], [None, None, None, "week"],
                                    "period")
    assert href == "/staffing?period=week"
    week = figure(layout(period="week"), "daily")["data"][0]
    # not the month: on the 2nd, a Tuesday, the month so far is no longer than its week
    weeks = figure(layout(period="custom", start=(anchor_day() - timedelta(days=27)).isoformat(),
                          end=anchor_day().isoformat()), "daily")["data"][0]
    assert 0 < len(week["x"]) <= 7 and len(week["x"]) < len(weeks["x"])


def test_bad_input_is_a_message(ctx: dash.Dash) -> None:
    for params in ({"unit": "999999"}, {"period": "custom", "start": "2026-02-01", "end": "2026-01-01"}):
        msgs = messages(layout(**params))
        assert len(msgs) == 1 and "cv-message-input" in msgs[0]


def test_english(ctx: dash.Dash) -> None:
    page = layout(lang="en")
    assert messages(page) == [] and "Staffing" in text(page) and "Grids without night cover" in text(page)


def test_a_period_without_rosters_says_so_instead_of_every_grid_uncovered(
        ctx: dash.Dash, raw: duckdb.DuckDBPyConnection) -> None:
    (first,) = raw.execute("SELECT min(duty_date) FROM staffing_roster").fetchone()
    before = date(first.year - 1, first.month, 1)  # a month a year before the first roster
    page = layout(period="month", date=before.isoformat())
    kpis = text(find(page, lambda c: getattr(c, "id", None) == staffing_view.KPIS_ID)[0])
    assert "本期未载入排班数据" in kpis and "/ " not in kpis.split("无夜间值守的网格")[1].split("人均")[0]
    listed = text(find(page, lambda c: getattr(c, "id", None) == staffing_view.NIGHT_LIST_ID)[0])
    assert "本期未载入排班数据" in listed and "夜无夜间值守" not in listed
    night = figure(page, "night")
    assert night["data"] == [] and night["layout"]["annotations"][0]["text"] == "无数据"
    # with rosters the same tile counts grids (the usual month)
    assert "本期未载入排班数据" not in text(find(layout(period="month"),
                                           lambda c: getattr(c, "id", None) == staffing_view.KPIS_ID)[0])
