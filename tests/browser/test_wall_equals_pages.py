"""Wall = pages in the browser (issue 18): what the wall shows for its window is what /stations and
/cases show for the same window, read from the two rendered pages in one browser. The window is read
from the wall itself (its "近30天 2026-11-08–12-07" line), not recomputed here."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

FILLED = ".scr-kpi-value"


def _wall_window(text: str) -> tuple[date, date]:
    """The days a wall panel names: "近30天 2026-11-08–12-07" (or "…–2027-01-05" across a year)."""
    m = re.search(r"(\d{4})-(\d{2})-(\d{2})–(?:(\d{4})-)?(\d{2})-(\d{2})", text)
    assert m, text
    y, mo, d, y2, mo2, d2 = m.groups()
    start = date(int(y), int(mo), int(d))
    return start, date(int(y2 or y), int(mo2), int(d2))


def test_wall_station_count_and_backlog_equal_the_pages(open_page: Any) -> None:
    wall = open_page("/screen?kiosk=1", wait=FILLED)
    wall.wait_for_selector("#scr-stations-summary .scr-big-note", timeout=30_000)
    window = wall.inner_text("#scr-stations-summary .scr-window")
    start, end = _wall_window(window)
    assert (end - start) == timedelta(days=29)  # 30 days, today included
    meeting = re.match(r"(\d+)/(\d+)", wall.inner_text("#scr-stations-summary .scr-big-note"))
    assert meeting
    n, m = map(int, meeting.groups())
    overdue = wall.inner_text("#scr-backlog .scr-kpi:nth-of-type(2) .scr-kpi-value")  # 在办, 超期, 紧急, 告警
    assert overdue.replace(",", "").isdigit() and m > 0
    stations = open_page(f"/stations?period=custom&start={start}&end={end}", wait="#stations-meeting")
    assert stations.inner_text("#stations-meeting") == f"{n} / {m}"
    # the backlog is a stock at the data's instant: /cases' 超期未结 for the running month is the same
    cases = open_page(f"/cases?date={end}", wait="#cases-kpis")
    tiles = cases.eval_on_selector_all(
        "#cases-kpis .cv-kpi", "els => els.map(e => [e.querySelector('.cv-kpi-label').textContent, "
        "e.querySelector('.cv-kpi-value').textContent])")
    assert dict(tiles)["超期未结"] == overdue
