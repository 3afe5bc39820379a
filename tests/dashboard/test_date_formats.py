"""Dates in the page's language: the filter bars' date pickers (ISO in Chinese, English words in English,
weeks from Monday) and date axes of figures with ISO ticks instead of Plotly's English month names."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dash
import pytest
from dash import dcc

from dashboard.components import cases_view, rankings_view
from dashboard.components import figures as F
from dashboard.components.page import run
from dashboard.filters import DATE_PICKER
from tests.clock import anchor_day
from tests.dashboard.test_pages import find


def pickers(tree: Any, page: str) -> dict[str, dcc.DatePickerSingle]:
    return {c.id["field"]: c for c in find(tree, lambda c: isinstance(c, dcc.DatePickerSingle))
            if isinstance(c.id, dict) and c.id.get("type") == DATE_PICKER and c.id.get("page") == page}


@pytest.mark.parametrize(("page", "render"), [("cases", cases_view.render), ("rankings", rankings_view.render)])
def test_date_pickers_show_iso_dates_in_chinese_and_words_in_english(ctx: dash.Dash, page: str, render: Any) -> None:
    day = anchor_day().isoformat()
    zh = pickers(run(page, {"date": day}, render), page)
    assert set(zh) == {"date", "start", "end"}
    assert zh["date"].date == day and zh["date"].display_format == "YYYY-MM-DD"
    assert "年" in zh["date"].month_format and zh["date"].placeholder == "选择日期"
    assert all(p.first_day_of_week == 1 for p in zh.values())
    en = pickers(run(page, {"date": day, "lang": "en"}, render), page)
    assert en["date"].display_format == "D MMM YYYY" and en["date"].month_format == "MMMM YYYY"
    # the filter callback still reads the field's value: the hidden input beside each picker holds it
    (field,) = find(run(page, {"date": day}, render),
                    lambda c: getattr(c, "id", None) == {"type": "cv-filter", "page": page, "field": "date"})
    assert field.value == day and field.type == "hidden"


def test_date_axes_get_iso_ticks_and_other_axes_do_not() -> None:
    days = F.fig([{"type": "scatter", "x": ["2026-12-01", "2026-12-02"], "y": [1, 2]}])["layout"]["xaxis"]
    assert days["tickformatstops"] == F.DATE_TICKS and days["hoverformat"] == "%Y-%m-%d"
    assert {s["value"] for s in days["tickformatstops"]} == {"%m-%d %H:%M", "%m-%d", "%Y-%m", "%Y"}
    one = F.fig([{"type": "scatter", "x": ["2026-12-07"], "y": [3]},
                 {"type": "scatter", "x": ["2026-12-07"], "y": [4]}])
    assert one["layout"]["xaxis"]["tickvals"] == ["2026-12-07"]  # not Plotly's padded "12-06 23:59" ticks
    assert days["tickvals"] == ["2026-12-01", "2026-12-02"]
    week = F.fig([{"type": "scatter", "x": [f"2026-12-0{d}" for d in range(1, 8)], "y": [1] * 7}])["layout"]
    assert "tickvals" not in week["xaxis"]  # three days and more: Plotly's own spacing
    months = F.fig([{"type": "scatter", "x": ["2026-11", "2026-12"], "y": [1, 2]}])["layout"]["xaxis"]
    assert months["hoverformat"] == "%Y-%m"
    hours = F.fig([{"type": "scatter", "x": [datetime(2026, 12, 1, 9), datetime(2026, 12, 1, 10)], "y": [1, 2]}])
    assert hours["layout"]["xaxis"]["hoverformat"] == "%Y-%m-%d %H:%M"
    assert "xaxis" not in F.fig([{"type": "bar", "x": [1, 2], "y": [3, 4]}])["layout"]
    assert "xaxis" not in F.fig([{"type": "bar", "x": ["街面秩序", "2026年"], "y": [3, 4]}])["layout"]
    own = F.fig([{"type": "scatter", "x": ["2026-12-01"], "y": [1]}], xaxis={"tickformat": "%d"})["layout"]["xaxis"]
    assert own == {"tickformat": "%d"}  # a caller's own format wins
    cat = F.fig([{"type": "bar", "x": ["2026-12"], "y": [1]}], xaxis={"type": "category"})["layout"]["xaxis"]
    assert "tickformatstops" not in cat


def test_a_flat_zero_series_gets_an_axis_from_zero_not_minus_one_to_four() -> None:
    pct = F.fig([{"type": "bar", "x": ["a", "b"], "y": [0, 0.0]}], yaxis={"tickformat": ".0%"})["layout"]["yaxis"]
    assert pct == {"tickformat": ".0%", "range": [0, 1.05]}  # Plotly's own −1…4 read −100%…400%
    counts = F.fig([{"type": "scatter", "x": ["2026-12-01", "2026-12-02"], "y": [0, None]}])["layout"]["yaxis"]
    assert counts == {"range": [0, 1], "dtick": 1}
    assert "yaxis" not in F.fig([{"type": "bar", "x": ["a"], "y": [0.4]}])["layout"]
    own = F.fig([{"type": "bar", "x": ["a"], "y": [0]}], yaxis={"range": [0, 2]})["layout"]["yaxis"]
    assert own == {"range": [0, 2]}
    assert "yaxis" not in F.fig([{"type": "bar", "orientation": "h", "x": [0], "y": ["a"]}])["layout"]
