"""The data's own 'now': historical data opens on its last FULL period and says where it ends.

Two warehouses through the real ETL, the site clock pinned in 2026: one whose orders end on 31 December
2018 (December is full: it is the default month), one whose orders end on 15 October 2018 (October is
running: September is the default, with the note). Expected counts are hand-computed from the spans.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import dash
import pytest

from dashboard import data
from dashboard.callbacks.pages_shared import filter_href
from dashboard.components import hotline_view, period_text
from dashboard.components.page import context, run
from tests.dashboard import shaped_city as city
from tests.dashboard.minimal_warehouse import app_in_request
from tests.dashboard.test_any_city import _by_id, _walk, text

SHAPE = city.Shape(("district", "town"), fanout=3, shaped="town")


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # 1 Nov 2018 00:00 .. 31 Dec 2018 20:00, one order every 4 hours
    return city.build(tmp_path_factory.mktemp("full"), SHAPE, city.orders(
        datetime(2018, 11, 1), datetime(2018, 12, 31, 20), timedelta(hours=4), city.leaves(SHAPE)))


@pytest.fixture(scope="module")
def mid(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # 1 Sep 2018 00:00 .. 15 Oct 2018 10:00, one order every 2 hours
    return city.build(tmp_path_factory.mktemp("mid"), SHAPE, city.orders(
        datetime(2018, 9, 1), datetime(2018, 10, 15, 10), timedelta(hours=2), city.leaves(SHAPE)))


def _app(wh: Path, now: str = city.SITE_NOW) -> Iterator[dash.Dash]:
    yield from app_in_request(city.settings(wh, now))


def _notice(page: object) -> str:
    (n,) = [n for n in _walk(page) if getattr(n, "className", "") == "cv-data-ends"]
    return str(n.children)


def _orders_tile(page: object) -> str:
    return text(_by_id(page, "hotline-kpi-hotline_closure_rate"))


def test_data_ending_on_a_months_last_day_opens_on_that_month(full: Path) -> None:
    for _ in _app(full):
        assert data.data_ended() == datetime(2018, 12, 31, 20)
        ctx = context({})
        assert (ctx.query.period.start, ctx.query.period.end) == (datetime(2018, 12, 1), datetime(2019, 1, 1))
        page = run("hotline", {}, hotline_view.render)
        assert "数据截至 2018-12-31 20:00" in _notice(page)
        # December: 31 days x 6 orders; every third open, so 124 closed (the open ones are i % 3 == 2)
        assert "124 / 186" in _orders_tile(page)
        # a week: 31 Dec 2018 is a Monday, its week runs into 2019: the last full week is 24–30 December
        week = context({"period": "week"}).query.period
        assert (week.start, week.end) == (datetime(2018, 12, 24), datetime(2018, 12, 31))
        # a day: the 31st holds data to 20:00, the day's last order: the 31st counts as full
        assert context({"period": "day"}).query.period.start == datetime(2018, 12, 31)


def test_data_ending_mid_month_opens_on_the_previous_full_month(mid: Path) -> None:
    for _ in _app(mid):
        ctx = context({})
        assert (ctx.query.period.start, ctx.query.period.end) == (datetime(2018, 9, 1), datetime(2018, 10, 1))
        page = run("hotline", {}, hotline_view.render)
        assert "数据截至 2018-10-15 10:00" in _notice(page)
        assert "Data ends 2018-10-15 10:00" in _notice(run("hotline", {"lang": "en"}, hotline_view.render))
        # September: 30 days x 12 orders = 360; i % 3 == 2 stays open (120), and the 30 Sep 20:00 order
        # (i = 358) closes on 1 October, after the period: 239 closed within it
        assert "239 / 360" in _orders_tile(page)
        date_box = _by_id(page, {"type": "cv-filter", "page": "hotline", "field": "date"})
        assert date_box.value == "2018-09-30"  # the anchor in use, shown
        # the quarter holding 15 October is running, the one before it (Q3) is full and holds data
        q = context({"period": "quarter"}).query.period
        assert (q.start, q.end) == (datetime(2018, 7, 1), datetime(2018, 10, 1))
        # the year 2018 runs on; 2017 holds no data: the year holding the end, not an empty one
        assert context({"period": "year"}).query.period.start == datetime(2018, 1, 1)
        # switching to a custom range starts from the month shown
        href = filter_href("hotline", "", ["period"], ["custom"], "period")
        assert "start=2018-09-01" in href and "end=2018-09-30" in href
        # an explicit date is the reader's: no re-anchoring
        assert context({"date": "2018-10-03"}).query.period.start == datetime(2018, 10, 1)
        # October holds the end of an export, not a running month: it runs to the data's end, not "to date"
        october = context({"date": "2018-10-03"}).query.period
        assert period_text.title(october, "zh") == "2018-10-01–10-15（至数据截止）"
        assert period_text.title(october, "en") == "Oct 1–15, 2018 (to the data's end)"


def test_live_data_keeps_todays_period(mid: Path) -> None:
    live = "2018-10-17T09:00:00"  # two days after the data's end: a stalled live feed, not history
    for _ in _app(mid, live):
        assert data.data_ended() is None
        assert data.view_anchor("month") == date(2018, 10, 17)
        page = run("hotline", {}, hotline_view.render)
        assert [n for n in _walk(page) if getattr(n, "className", "") == "cv-data-ends"] == []
        assert context({}).query.period.start == datetime(2018, 10, 1)
        assert period_text.title(context({}).query.period, "zh").endswith("（本月至今）")  # live: it runs on


def test_the_wall_shows_the_datas_last_day_and_says_so(mid: Path) -> None:
    """The wall's period is the day (and the 30 days to it): for historical data, the data's last day."""
    from dashboard.callbacks import screen as cb
    from dashboard.screen import model
    from dashboard.screen.config import parse

    for _ in _app(mid):
        scr = parse({"lang": "en"}, city.settings(mid))
        assert model.now(scr) == datetime(2018, 10, 15, 10)
        out = cb.refresh(scr.to_store(), {})
        panels = dict(zip([i for i, _ in cb.PANEL_OUTPUTS], out[:len(cb.PANEL_OUTPUTS)], strict=True))
        assert [c.children for c in panels[cb.S.FRESHNESS]] == ["Data ends 2018-10-15 10:00"]
        assert out[len(cb.PANEL_OUTPUTS)] == ""  # no "Refresh failed"
