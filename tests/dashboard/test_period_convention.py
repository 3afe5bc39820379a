"""The one period convention on screen (issue 18): a running month is titled by its days so far, its
立案数 is compared with the same days of the previous month (上月同期), and the page says so. Counts
are checked against an independent SQL count over hand-built day windows."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import dash
import duckdb
import pytest

from dashboard.components import cases_view
from dashboard.components.page import run
from tests.clock import NOW
from tests.dashboard.test_pages import find, messages, text


def _registered(warehouse: Path, start: date, end_inclusive: date) -> int:
    con = duckdb.connect(str(warehouse / "vitals.duckdb") if warehouse.is_dir() else str(warehouse), read_only=True)
    try:
        row = con.execute("SELECT count(*) FROM cases WHERE NOT coalesce(cancelled, false) AND registered_at >= ? "
                          "AND registered_at < ?", [datetime.combine(start, datetime.min.time()),
                                                     datetime.combine(end_inclusive + timedelta(days=1),
                                                                      datetime.min.time())]).fetchone()
    finally:
        con.close()
    assert row is not None
    return int(row[0])


def _same_day_last_month(d: date) -> date:
    """By hand: the same day of the month before, or that month's last day (31 March → 28 February)."""
    first_prev = (d.replace(day=1) - timedelta(days=1)).replace(day=1)
    last_prev = d.replace(day=1) - timedelta(days=1)
    return first_prev.replace(day=min(d.day, last_prev.day))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_running_month_is_titled_by_its_days_and_compared_with_the_same_days(
        ctx: dash.Dash, warehouse: Path, lang: str) -> None:
    today = NOW.date()
    page = run("cases", {"date": today.isoformat(), **({"lang": "en"} if lang == "en" else {})}, cases_view.render)
    assert messages(page) == []
    first = today.replace(day=1)
    if lang == "zh":
        days = f"{first:%Y-%m-%d}" if today == first else f"{first:%Y-%m-%d}–{today:%m-%d}"
        title, vs = f"{days}（本月至今）", "上月同期"
    else:
        days = f"{first:%b} 1, {first.year}" if today == first else f"{first:%b} 1–{today.day}, {first.year}"
        title, vs = f"{days} (month to date)", "same days last month"
    scope = [text(c) for c in find(page, lambda c: getattr(c, "className", None) == "cv-scope")]
    assert scope and title in scope[0]
    assert f"{today:%Y-%m}-{_month_end(today):%d}" not in scope[0]  # never the whole month's end
    prev_first = (first - timedelta(days=1)).replace(day=1)
    prev_count = _registered(warehouse, prev_first, _same_day_last_month(today))
    tiles = [text(c) for c in find(page, lambda c: getattr(c, "className", None) == "cv-kpi-target")]
    assert [x for x in tiles if f"{vs} {prev_count:,}" in x], tiles
    notes = [text(c) for c in find(page, lambda c: getattr(c, "className", None) == "cv-partial-note")]
    assert len(notes) == 1 and vs in notes[0]


def _month_end(d: date) -> date:
    return ((d.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1))


def test_a_past_month_is_whole_and_compared_with_the_whole_month_before(ctx: dash.Dash, warehouse: Path) -> None:
    today = NOW.date()
    last_month_end = today.replace(day=1) - timedelta(days=1)
    first = last_month_end.replace(day=1)
    page = run("cases", {"date": first.isoformat()}, cases_view.render)
    scope = [text(c) for c in find(page, lambda c: getattr(c, "className", None) == "cv-scope")]
    assert f"{first:%Y-%m-%d}–{last_month_end:%m-%d}" in scope[0] and "至今" not in scope[0]
    before_last = first - timedelta(days=1)
    prev_count = _registered(warehouse, before_last.replace(day=1), before_last)
    tiles = [text(c) for c in find(page, lambda c: getattr(c, "className", None) == "cv-kpi-target")]
    assert [x for x in tiles if f"上期 {prev_count:,}" in x], tiles
    assert not find(page, lambda c: getattr(c, "className", None) == "cv-partial-note")
