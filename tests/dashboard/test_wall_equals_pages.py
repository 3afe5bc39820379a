"""Wall = page (issue 18, item 3): the wall's station count at target, its ranking and its backlog tiles
are the numbers the pages show for the same window. Each side is called as it runs: the wall's refresh
callback (``screen.refresh``) and the page layouts (/stations, /rankings, /cases) with the wall's window
as a custom period; the backlog is also recomputed by SQL from the catalog rule (registered cases open
at the data's instant, not at the wall clock)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import dash
import duckdb
import pytest

from dashboard import data
from dashboard.callbacks import screen as cb
from dashboard.components import cases_view, rankings_view, stations_view
from dashboard.components.page import run
from dashboard.pages.screen_ids import ScreenIds as S
from dashboard.screen import model
from dashboard.screen.config import parse
from etl.settings import Settings
from tests.clock import NOW
from tests.dashboard.test_pages import figure, find, messages
from tests.dashboard.test_screen import _walk


@pytest.fixture
def pinned(settings: Settings) -> Iterator[dash.Dash]:
    from dashboard.app import create_app

    app = create_app(settings)
    with app.server.test_request_context("/"):
        yield app
        app.server.do_teardown_appcontext()


def _wall(settings: Settings, lang: str = "zh") -> dict[str, Any]:
    out = cb.refresh(parse({"lang": lang}, settings).to_store(), {})
    return dict(zip([i for i, _ in cb.PANEL_OUTPUTS], out[:len(cb.PANEL_OUTPUTS)], strict=True))



def _classed(tree: Any, cls: str) -> list[Any]:
    return [n for n in _walk(tree) if cls in (getattr(n, "className", None) or "").split()]


def _window_params(settings: Settings) -> dict[str, str]:
    w = model.window(model.now(parse({}, settings)))
    return {"period": "custom", "start": f"{w.start:%Y-%m-%d}", "end": f"{w.last_day:%Y-%m-%d}"}


def test_the_wall_window_is_the_last_30_days_and_each_panel_names_it(pinned: dash.Dash, settings: Settings) -> None:
    at = model.now(parse({}, settings))
    w = model.window(at)
    assert (w.days, w.last_day) == (30, NOW.date())  # the pinned clock: live data, the site's day
    wall = _wall(settings)
    first = f"{w.start:%Y-%m-%d}"
    days = f"{first}–{NOW:%m-%d}" if w.start.year == NOW.year else f"{first}–{NOW:%Y-%m-%d}"
    for panel in (S.VITALS, S.STATIONS_SUMMARY, S.RANKING):
        notes = [n.children for n in _classed(wall[panel], "scr-window")]
        assert notes and notes[0].startswith(f"近30天 {days}"), (panel, notes)
    en = _wall(settings, "en")
    assert next(n.children for n in _classed(en[S.STATIONS_SUMMARY], "scr-window")).startswith("last 30 days, ")


def test_station_count_at_target_equals_stations_page_for_the_wall_window(pinned: dash.Dash,
                                                                          settings: Settings) -> None:
    wall = _wall(settings)
    note = _classed(wall[S.STATIONS_SUMMARY], "scr-big-note")[0].children
    n, m = map(int, re.match(r"(\d+)/(\d+) ", note).groups())  # type: ignore[union-attr]
    page = run("stations", _window_params(settings), stations_view.render)
    assert messages(page) == []
    (kpi,) = [c for c in find(page, lambda c: getattr(c, "id", None) == "stations-meeting")]
    assert kpi.children == f"{n} / {m}" and m > 0
    # and the bars: each station's rate and n/d on the wall = the page's closure figure for it
    fig = figure(page, "closure")["data"][0]
    on_page = {name: (y, text.split("(")[1].rstrip(")")) for name, y, text in
               zip(fig["hovertext"], fig["y"], fig["text"], strict=True)}
    bars = _classed(wall[S.STATIONS], "scr-bar")
    assert bars
    for bar in bars:
        title = _classed(bar, "scr-bar-name")[0].title
        name, nd = title.rsplit(" ", 1)
        rate, page_nd = on_page[name]
        assert float(getattr(bar, "data-value")) == pytest.approx(rate, rel=1e-5), name
        assert page_nd.replace(",", "") == nd.replace(",", ""), name


def test_ranking_equals_rankings_page_for_the_wall_window(pinned: dash.Dash, settings: Settings) -> None:
    wall = _wall(settings)
    items = [li for li in _walk(wall[S.RANKING]) if getattr(li, "data-place", None)]
    assert items
    page = run("rankings", {**_window_params(settings), "level": model.ranking(
        parse({}, settings), model.now(parse({}, settings))).level}, rankings_view.render)
    assert messages(page) == []
    (grid,) = find(page, lambda c: getattr(c, "id", None) == rankings_view.RankIds.GRID)
    rows = {r["name"]: r for r in grid.rowData}
    for li in items:
        name = _classed(li, "scr-rank-name")[0].children.split(" · ")[0]
        row = rows[name]
        assert getattr(li, "data-place").replace("/", " / ") == row["group_rank"], name
        assert float(getattr(li, "data-value")) == pytest.approx(row["score"], rel=1e-6), name
        assert (getattr(li, "data-bottom") == "1") == bool(row["bottom"]), name
    # every 末位 on /rankings is on the wall (up to five), and nothing else is in the wall's 末位 column
    page_bottom = {r["name"] for r in grid.rowData if r["bottom"]}
    wall_bottom = {_classed(li, "scr-rank-name")[0].children.split(" · ")[0] for li in items
                   if getattr(li, "data-bottom") == "1"}
    assert wall_bottom <= page_bottom and len(wall_bottom) == min(5, len(page_bottom))


def _stock_sql(warehouse: Path, at: datetime) -> tuple[int, int]:
    """Registered, not cancelled cases open at ``at`` and those of them past their deadline."""
    con = duckdb.connect(str(warehouse / "vitals.duckdb") if warehouse.is_dir() else str(warehouse), read_only=True)
    try:
        row = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE deadline_at < $a) FROM cases WHERE NOT coalesce(cancelled, false) "
            "AND registered_at < $a AND (closed_at IS NULL OR closed_at >= $a)", {"a": at}).fetchone()
    finally:
        con.close()
    assert row is not None
    return int(row[0]), int(row[1])


def _tile(tree: Any, label: str) -> int:
    for kpi in _classed(tree, "scr-kpi"):
        kids = kpi.children
        if kids[1].children == label:
            return int(str(kids[0].children).replace(",", ""))
    raise AssertionError(f"no tile {label}")


def test_backlog_is_the_catalog_rule_at_the_data_instant_as_on_cases(pinned: dash.Dash, settings: Settings,
                                                                     warehouse: Path) -> None:
    wall = _wall(settings)
    open_, overdue = _tile(wall[S.BACKLOG], "在办案件"), _tile(wall[S.BACKLOG], "超期案件")
    at = model.data_instant(model.now(parse({}, settings)))
    recorded = data.data_now()
    assert at == (min(NOW, recorded) if recorded else NOW)
    assert (open_, overdue) == _stock_sql(warehouse, at)
    # /cases' 超期未结 tile for the running month (its as-of instant: the same data 'now')
    page = run("cases", {"date": NOW.date().isoformat()}, cases_view.render)
    values = [c.children for c in find(page, lambda c: getattr(c, "className", None) == "cv-kpi-value")]
    labels = [c.children for c in find(page, lambda c: getattr(c, "className", None) == "cv-kpi-label")]
    assert dict(zip(labels, values, strict=True))["超期未结"] == f"{overdue:,}"
    assert _classed(wall[S.BACKLOG], "scr-window")[0].children.startswith(f"数据时刻 {at:%m-%d %H:%M}")
