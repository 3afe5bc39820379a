"""Grades in a short running window (issue 18, item 4). The choice: /rankings keeps the period asked for
(the one convention of every page, /m and the export) and, for a running period, says it is partial,
why grades run low early in it, and links the last whole period. Tested: the note and its link (dates
worked out by hand), the linked page is that whole month without a note, and both pages' grades are
``metrics.ranking``'s for exactly those days."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import dash

import metrics
from dashboard import data
from dashboard.components import rankings_view
from dashboard.components.page import context, run
from metrics.query import Period, Query
from tests.clock import NOW
from tests.dashboard.test_pages import find, messages, text


def _grid(page: object) -> list[dict]:
    (grid,) = find(page, lambda c: getattr(c, "id", None) == rankings_view.RankIds.GRID)
    return list(grid.rowData)


def _grades(period: Period) -> dict[str, object]:
    df = metrics.ranking(data.connection(), "town", "region_composite", Query(period), bottom_n=3,
                         by_peer_group=True, overrides=data.metrics_config())
    return {str(k): metrics.grade(s) or "—" for k, s in zip(df["key"], df["score"], strict=True)}


def test_a_running_month_is_ranked_as_is_with_a_partial_note_and_a_link_to_the_last_whole_month(
        ctx: dash.Dash) -> None:
    today = NOW.date()
    page = run("rankings", {"date": today.isoformat(), "level": "town"}, rankings_view.render)
    assert messages(page) == []
    (note,) = find(page, lambda c: getattr(c, "id", None) == "rankings-partial")
    first = today.replace(day=1)
    days = f"{first:%Y-%m-%d}" if today == first else f"{first:%Y-%m-%d}–{today:%m-%d}"
    assert f"{days}（本月至今）未满期" in text(note) and "等级可能偏低" in text(note)
    (link,) = find(page, lambda c: getattr(c, "id", None) == "rankings-whole-link")
    last_whole_end = first - timedelta(days=1)
    last_whole_start = last_whole_end.replace(day=1)
    assert f"{last_whole_start:%Y-%m-%d}–{last_whole_end:%m-%d}" in text(link)
    params = dict(parse_qsl(urlsplit(link.href).query))
    assert urlsplit(link.href).path == "/rankings"
    assert params == {"date": last_whole_end.isoformat(), "level": "town"}
    # the running page's grades are those of the days so far, not of the whole month
    running = Period(datetime.combine(first, datetime.min.time()),
                     datetime.combine(today + timedelta(days=1), datetime.min.time()), "month")
    assert context({"date": today.isoformat()}).query.period.end == running.end
    assert {r["key"]: r["grade"] for r in _grid(page)} == _grades(running)
    # the linked page: the whole month, no note, its own grades
    whole = run("rankings", params, rankings_view.render)
    assert not find(whole, lambda c: getattr(c, "id", None) == "rankings-partial")
    assert f"{last_whole_start:%Y-%m-%d}–{last_whole_end:%m-%d}" in text(
        find(whole, lambda c: getattr(c, "id", None) == "rankings-title")[0])
    month = Period(datetime.combine(last_whole_start, datetime.min.time()),
                   datetime.combine(first, datetime.min.time()), "month")
    assert {r["key"]: r["grade"] for r in _grid(whole)} == _grades(month)


def test_the_unit_detail_is_not_styled_as_the_row_detail_modal(ctx: dash.Dash) -> None:
    """``.cv-detail`` is /cases' and /hotline's row-detail modal (position: fixed over the page): the
    /rankings unit detail once carried that class and was drawn as a broken overlay over the table."""
    page = run("rankings", {"level": "town"}, rankings_view.render)
    sel = _grid(page)[0]["key"]
    detail = run("rankings", {"level": "town", "sel": sel}, rankings_view.render)
    classes = [str(getattr(c, "className", "") or "").split() for c in find(detail, lambda c: True)]
    assert ["cv-unit-detail"] in classes and not [c for c in classes if "cv-detail" in c]
