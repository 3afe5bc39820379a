"""Issue 18 polish, the wall's builders called directly: the hourly charts' scale, the 12345 panel's
note, day counts in the urgent clocks, and no unnamed ("trace 0") legend entry on /stations."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.components import stations_view
from dashboard.screen import panels, urgent
from metrics.feed import Backlog
from tests.dashboard.test_screen import _find, _walk


def _text(node: object) -> str:
    return "".join(n if isinstance(n, str) else str(getattr(n, "children", "") or "")
                   if isinstance(getattr(n, "children", None), str) or isinstance(n, str) else "" for n in _walk(node))


@pytest.mark.parametrize(("peak", "top"), [(54, 60), (60, 60), (9, 10), (10, 10), (130, 200), (1, 2), (0, 2),
                                           (2.5, 4), (100, 100), (101, 200), (7, 8), (3, 4)])
def test_scale_top_is_the_next_round_count(peak: float, top: float) -> None:
    assert panels.scale_top(peak) == top


def test_hourly_bars_draw_a_labelled_scale_and_columns_against_it() -> None:
    today = [2.0, 5.0, 30.0, 54.0] + [float("nan")] * 20  # four hours so far; 54 peaks: scale 0–60
    typical = [1.0] * 23 + [45.0]
    div = panels.hourly_bars(pd.DataFrame({"hour": range(24), "today": today, "typical": typical}), "zh")
    grid = _find(div, "scr-cols-grid")
    assert [g.to_plotly_json()["props"]["data-value"] for g in grid] == ["30", "60"]
    assert [g.style["bottom"] for g in grid] == ["50.0%", "100.0%"]
    assert [_text(g) for g in grid] == ["30", "60"]  # the labels a viewer reads
    fills = _find(div, "scr-col-fill")
    assert [f.style["height"] for f in fills] == ["3.3%", "8.3%", "50.0%", "90.0%"]  # v / 60
    typ = _find(div, "scr-col-typ")
    assert typ[-1].style["bottom"] == "75.0%"  # 45 / 60
    assert "件/小时" in _text(div) and "per hour" in _text(panels.hourly_bars(
        pd.DataFrame({"hour": range(24), "today": today, "typical": typical}), "en"))


def test_a_city_hour_widens_the_scale_gutter_to_its_labels() -> None:
    # 1,980 cases an hour (the city demo): labels 1,000 / 2,000 need a wider gutter than a district's 30 / 60
    city = panels.hourly_bars(pd.DataFrame({"hour": range(24), "today": [1980.0] * 24, "typical": [900.0] * 24}), "zh")
    town = panels.hourly_bars(pd.DataFrame({"hour": range(24), "today": [54.0] * 24, "typical": [9.0] * 24}), "zh")
    assert [_text(g) for g in _find(city, "scr-cols-grid")] == ["1,000", "2,000"]
    assert city.style["--scr-gutter"] == "calc(var(--u) * 70)"  # 5 characters of 12 units + the gap
    assert town.style["--scr-gutter"] == "calc(var(--u) * 46)"  # the district's width, unchanged


def test_hotline_backlog_note_describes_orders_not_cases() -> None:
    b = Backlog(open_cases=9, overdue_cases=3, open_urgent=1, open_hotline=7, overdue_hotline=2, active_alarms=0)
    from datetime import datetime

    at = datetime(2026, 12, 7, 10, 30)
    cases = _find(panels.backlog(b, "zh", at=at), "scr-window")[0]
    orders = _find(panels.backlog(b, "zh", ("hotline_open", "hotline_overdue"), at=at), "scr-window")[0]
    assert cases.title.startswith("已立案案件")
    assert "工单" in orders.title and "案件" not in orders.title and "12345" in orders.title
    en = _find(panels.backlog(b, "en", ("hotline_open", "hotline_overdue"), at=at), "scr-window")[0]
    assert "orders" in en.title and "cases" not in en.title.lower()
    values = [_text(v) for v in _find(panels.backlog(b, "zh", ("hotline_open", "hotline_overdue")), "scr-kpi-value")]
    assert values == ["7", "2"]


def test_urgent_durations_say_days_in_the_wall_language() -> None:
    seconds = 72 * 86400 + 8 * 3600 + 24 * 60 + 5
    assert urgent.duration(seconds, "zh") == "72天 08:24"
    assert urgent.duration(seconds, "en") == "72d 08:24"
    assert urgent.duration(3 * 3600 + 62, "zh") == "3:01:02" and urgent.duration(75, "zh") == "01:15"
    step = urgent.Step("breached", 0, None)
    assert urgent.step_text(step, seconds * 1000, "zh") == "超时 +72天 08:24"


def test_stations_trend_legend_names_every_entry() -> None:
    months = pd.date_range("2026-01-01", periods=12, freq="MS")
    trend = pd.DataFrame({"month": months, "value": [0.9] * 11 + [0.6], "numerator": [9] * 11 + [3],
                          "denominator": [10] * 11 + [5]})
    fig = stations_view.trend_figure(trend, None, None, "无数据", partial="未满期")
    assert fig["layout"]["showlegend"]
    shown = [tr for tr in fig["data"] if tr.get("showlegend", True)]
    # Plotly names an unnamed trace "trace 0" in the legend: every entry shown carries its own name
    assert shown and all(tr.get("name") for tr in shown), [tr.get("name") for tr in fig["data"]]
    assert [tr["name"] for tr in shown] == ["未满期"]
    assert fig["layout"]["xaxis"]["automargin"] is True  # the angled "2026-12" was cut at 1366 px
