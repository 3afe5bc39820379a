"""Issue 18 polish of the desk pages, found by shooting every page of the town demo in both languages:
count axes from zero and in whole numbers, level bar labels, and the grades in view on /rankings."""

from __future__ import annotations

import dash
import pytest

from dashboard.components import cases_view, hotline_view, rankings_view, sensors_view
from dashboard.components import figures as F
from dashboard.components.page import run
from tests.clock import anchor_day
from tests.dashboard.test_pages import figure, find, messages


def test_small_stacked_counts_tick_at_whole_numbers() -> None:
    """Two alarms on a day (one of each level, stacked) ticked 0, 0.5, 1, 1.5, 2 on /sensors."""
    out = F.fig([{"type": "bar", "x": ["12-01", "12-02"], "y": [1, 1], "name": "告警"},
                 {"type": "bar", "x": ["12-01", "12-02"], "y": [0, 1], "name": "预警"}], barmode="stack")
    assert out["layout"]["yaxis"] == {"rangemode": "tozero", "dtick": 1}
    # a stack of six: Plotly's own ticks are whole numbers already
    six = F.fig([{"type": "bar", "x": ["a"], "y": [3]}, {"type": "bar", "x": ["a"], "y": [3]}], barmode="stack")
    assert six["layout"]["yaxis"] == {"rangemode": "tozero"}


def test_count_lines_start_at_zero_and_other_series_keep_their_axis() -> None:
    counts = F.fig([{"type": "scatter", "x": ["12-05", "12-06", "12-07"], "y": [190, 230, 55]}])
    assert counts["layout"]["yaxis"] == {"rangemode": "tozero"}
    rates = F.fig([{"type": "scatter", "x": ["a", "b"], "y": [0.9, 0.8]}], yaxis={"tickformat": ".0%"})
    assert rates["layout"]["yaxis"] == {"tickformat": ".0%"}
    readings = F.fig([{"type": "scatter", "x": ["a", "b"], "y": [3.2, 4.0]}])
    assert "yaxis" not in readings["layout"]  # a water level is no count: its axis is Plotly's
    hbar = F.fig([{"type": "bar", "orientation": "h", "x": [3, 1], "y": ["甲", "乙"], "text": [3, 1]}])
    assert hbar["layout"]["xaxis"] == {"rangemode": "tozero", "dtick": 1} and "yaxis" not in hbar["layout"]


def test_horizontal_bar_labels_stay_level() -> None:
    out = F.fig([{"type": "bar", "orientation": "h", "x": [337, 45], "y": ["街面秩序", "施工管理"], "text": [337, 45],
                  "textposition": "auto"}])
    assert out["data"][0]["textangle"] == 0 and out["data"][0]["text"] == ["337", "45"]
    unit = F.fig([{"type": "bar", "orientation": "h", "x": [1183], "y": ["盈浦街道"], "text": [1183]}])
    assert unit["data"][0]["text"] == ["1,183"]  # as the KPI writes it (Plotly printed "1183")
    caller = F.fig([{"type": "bar", "orientation": "h", "x": [1], "y": ["a"], "text": [1], "textangle": 90}])
    assert caller["data"][0]["textangle"] == 90  # a caller's own angle wins
    vertical = F.fig([{"type": "bar", "x": ["a"], "y": [1], "text": ["1"]}])
    assert "textangle" not in vertical["data"][0]


# the month holding yesterday (tests/clock.anchor_day): the run's own day may be 00:30 on the 1st, a month
# with no data yet and so no charts to check
RUNNING = {"date": anchor_day().isoformat()}


def test_cases_per_day_axis_starts_at_zero(ctx: dash.Dash) -> None:
    page = run("cases", RUNNING, cases_view.render)
    assert messages(page) == []
    fig = figure(page, "trend")
    assert fig["layout"]["yaxis"]["rangemode"] == "tozero"
    for role in ("category", "unit"):
        bars = [t for t in figure(page, role)["data"] if t.get("type") == "bar"]
        assert bars and all(t["textangle"] == 0 for t in bars)


def test_sensors_daily_alarms_tick_whole_numbers(ctx: dash.Dash) -> None:
    fig = figure(run("sensors", RUNNING, sensors_view.render), "alarm_time")
    bars = [t for t in fig["data"] if t.get("type") == "bar" and t.get("meta") != "partial"]
    if not bars:
        pytest.skip("no alarm in the running month")
    per_day: dict[str, int] = {}
    for b in bars:
        for x, y in zip(b["x"], b["y"], strict=True):
            per_day[x] = per_day.get(x, 0) + y
    axis = fig["layout"]["yaxis"]
    assert axis["rangemode"] == "tozero"
    assert (axis.get("dtick") == 1) == (max(per_day.values()) <= 5)


def test_rankings_show_score_and_grade_before_the_rest(ctx: dash.Dash) -> None:
    page = run("rankings", {**RUNNING, "level": "town"}, rankings_view.render)
    (grid,) = find(page, lambda c: getattr(c, "id", None) == rankings_view.RankIds.GRID)
    defs = grid.columnDefs
    pinned = [d["field"] for d in defs if d.get("pinned") == "left"]
    rest = [d["field"] for d in defs if d.get("pinned") != "left"]
    assert pinned == ["group_rank", "note_text", "name"]
    assert rest[:2] == ["score_text", "grade"]
    assert all(d["wrapHeaderText"] and d["autoHeaderHeight"] for d in defs)
    assert {d["field"] for d in defs} <= set(grid.rowData[0]) | {"note_text"}


def test_sensors_stacked_charts_make_room_for_their_labels(ctx: dash.Dash) -> None:
    page = run("sensors", {**RUNNING, "lang": "en"}, sensors_view.render)
    for role in ("states", "alarm_type"):
        fig = figure(page, role)
        assert fig["layout"]["xaxis"]["automargin"] is True, role


def test_hotline_rate_labels_keep_clear_of_the_target_marks(ctx: dash.Dash) -> None:
    fig = figure(run("hotline", RUNNING, hotline_view.render), "rates")
    bars, marks = fig["data"][0], fig["data"][1]
    assert bars["type"] == "bar" and marks["mode"] == "markers"
    # inside each bar, from its start: the value is written left of the bar's end, where the target mark sits
    assert bars["textposition"] == "inside" and bars["insidetextanchor"] == "start"
