"""One time zone on the data-status page (issue 18): the loads' times, kept in UTC, are shown in the
site's zone like the data's own times, and the page says which zone that is."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dash
import duckdb

from dashboard.callbacks.home import render
from dashboard.pages.home_ids import HomeIds
from tests.dashboard.test_any_city import _by_id, text


def test_every_time_on_home_is_site_local_and_labelled(ctx: dash.Dash, warehouse: Path) -> None:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        (zone,) = con.execute("SELECT value FROM warehouse_meta WHERE key = 'timezone'").fetchone()
        finished = [r[0] for r in con.execute("SELECT finished_at FROM etl_run WHERE finished_at IS NOT NULL"
                                              " ORDER BY run_id DESC LIMIT 8").fetchall()]
    finally:
        con.close()
    assert zone == "Asia/Shanghai" and finished  # UTC+8 all year: the local time is 8 hours later
    for lang in ("zh", "en"):
        page = render(lang)
        body = text(page)
        assert " UTC" not in body and "(UTC)" not in body
        assert _by_id(page, HomeIds.ZONE).children == "Asia/Shanghai"
        assert ("本页所有时间均为站点时区 Asia/Shanghai 的当地时间" if lang == "zh"
                else "Every time on this page is local time in the site's zone, Asia/Shanghai") in body
        for utc in finished:
            assert f"{utc + timedelta(hours=8):%Y-%m-%d %H:%M}" in body
