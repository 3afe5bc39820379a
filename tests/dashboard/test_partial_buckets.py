"""Running buckets are drawn apart, never as a cliff (issue 18): in every trend whose last bucket holds
the data's 'now' that bucket is dashed (a line's last segment, open marker) or hatched and lighter (a
bar), and labelled 未满期 / partial in the legend and on hover; the other buckets are not."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dash
import pytest

from dashboard import data
from dashboard.components import cases_view, hotline_view, rankings_view, sensors_view, stations_view
from dashboard.components import figures as F
from dashboard.components.page import run
from tests.clock import NOW
from tests.dashboard.test_pages import figure, find, messages


def _tail_checks(fig: dict[str, Any], label: str, last_x: str) -> None:
    """The line's running tail: dashed, its last point open and labelled; no other trace holds that
    point, and no other trace is dashed or labelled."""
    tails = [t for t in fig["data"] if t.get("meta") == "partial"]
    assert tails, "no partial tail"
    for tail in tails:
        assert tail["line"]["dash"] == "dash" and str(tail["x"][-1]).startswith(last_x)
        assert tail["marker"]["symbol"][-1] == "circle-open"
        assert label in tail["hovertemplate"][-1]
        assert all(label not in h for h in tail["hovertemplate"][:-1])  # the joint point is a whole bucket
    assert any(label in str(t.get("name")) for t in fig["data"] if t.get("showlegend") is not False
               and str(t.get("meta", "")).startswith("partial"))  # the legend says it
    for t in fig["data"]:
        if str(t.get("meta", "")).startswith("partial"):
            continue
        # (the previous period's overlay shares the x axis, without hover)
        assert not any(str(v).startswith(last_x) for v in t.get("x") or []) or t.get("hoverinfo") == "skip"
        assert label not in str(t.get("name")) and label not in str(t.get("hovertemplate", ""))
        assert (t.get("line") or {}).get("dash") != "dash"


def test_partial_line_and_bars_mark_only_the_last_bucket() -> None:
    line = {"type": "scatter", "x": ["2026-10", "2026-11", "2026-12"], "y": [0.9, 0.88, 0.58], "name": "结案率",
            "line": {"color": "#1f77b4"}, "customdata": ["a", "b", "c"],
            "hovertemplate": "%{x}: %{y:.1%}<extra></extra>"}
    whole, tail = F.partial_line(line, "未满期")
    assert whole["x"] == ["2026-10", "2026-11"] and whole["customdata"] == ["a", "b"] and "dash" not in whole["line"]
    assert tail["x"] == ["2026-11", "2026-12"] and tail["y"] == [0.88, 0.58] and tail["customdata"] == ["b", "c"]
    assert tail["line"] == {"color": "#1f77b4", "dash": "dash"} and tail["name"] == "结案率 · 未满期"
    assert tail["hovertemplate"] == ["%{x}: %{y:.1%}<extra></extra>", "%{x}: %{y:.1%} (未满期)<extra></extra>"]
    (only,) = F.partial_line({**line, "x": ["2026-12"], "y": [0.58], "customdata": ["c"]}, "partial")
    assert only["x"] == ["2026-12"] and only["marker"]["symbol"] == ["circle-open"]
    bars = F.partial_bars([{"type": "bar", "x": ["12-05", "12-06", "12-07"], "y": [3, 4, 1], "name": "告警"}], "未满期")
    bar, legend = bars
    assert bar["marker"]["pattern"]["shape"] == ["", "", "/"] and bar["marker"]["opacity"] == [1.0, 1.0, 0.55]
    assert "未满期" in bar["hovertemplate"][-1] and not any("未满期" in h for h in bar["hovertemplate"][:-1])
    assert legend["name"] == "未满期" and legend["showlegend"] and legend["marker"]["pattern"]["shape"] == "/"
    assert F.last_running(["2026-12-01"], "2026-12-07 10:00", "month")
    assert not F.last_running(["2026-11-01"], "2026-12-07 10:00", "month")
    assert F.last_running(["2026-12-07"], "2026-12-07 00:00", "day")
    assert not F.last_running(["2026-12-06"], "2026-12-07 00:00", "day")


RUNNING = {"date": NOW.date().isoformat()}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_cases_trend_draws_the_running_day_apart(ctx: dash.Dash, lang: str) -> None:
    page = run("cases", {**RUNNING, **({"lang": "en"} if lang == "en" else {})}, cases_view.render)
    assert messages(page) == []
    fig = figure(page, "trend")
    recorded = data.data_now()
    instant = min(data.view_now(), recorded) if recorded else data.view_now()
    if instant.time().isoformat() == "00:00:00":
        pytest.skip("the data stops at midnight: no day is partial")
    _tail_checks(fig, "未满期" if lang == "zh" else "partial", f"{instant:%Y-%m-%d}")


def test_monthly_trends_draw_the_running_month_apart(ctx: dash.Dash) -> None:
    month = f"{NOW:%Y-%m}"
    _tail_checks(figure(run("stations", RUNNING, stations_view.render), "trend"), "未满期", month)
    _tail_checks(figure(run("hotline", RUNNING, hotline_view.render), "trend"), "未满期", month)
    ranked = run("rankings", {**RUNNING, "level": "town"}, rankings_view.render)
    (grid,) = find(ranked, lambda c: getattr(c, "id", None) == rankings_view.RankIds.GRID)
    sel = grid.rowData[0]["key"]
    detail = run("rankings", {**RUNNING, "level": "town", "sel": sel}, rankings_view.render)
    _tail_checks(figure(detail, "trend"), "未满期", month)


def test_a_past_period_has_no_partial_bucket(ctx: dash.Dash) -> None:
    past = {"date": (NOW.date().replace(day=1) - timedelta(days=1)).isoformat()}
    for page, render in (("cases", cases_view.render), ("stations", stations_view.render),
                         ("hotline", hotline_view.render), ("sensors", sensors_view.render)):
        for role in ("trend", "alarm_time"):
            hits = find(run(page, past, render), lambda c, r=role: isinstance(getattr(c, "id", None), dict)
                        and c.id.get("role") == r)
            if hits:
                assert "未满期" not in str(hits[0].figure) and "partial" not in str(
                    [t.get("meta") for t in hits[0].figure["data"]]), (page, role)


def test_sensors_alarm_bars_hatch_today(ctx: dash.Dash) -> None:
    fig = figure(run("sensors", RUNNING, sensors_view.render), "alarm_time")
    bars = [t for t in fig["data"] if t.get("type") == "bar" and t.get("meta") != "partial"]
    if not bars:
        pytest.skip("no alarm in the running month")
    for b in bars:
        assert b["x"][-1] == NOW.date().isoformat()
        shapes = b["marker"]["pattern"]["shape"]
        assert shapes[-1] == "/" and set(shapes[:-1]) <= {""}
        assert "未满期" in b["hovertemplate"][-1] and not any("未满期" in h for h in b["hovertemplate"][:-1])
    (legend,) = [t for t in fig["data"] if t.get("meta") == "partial"]
    assert legend["name"] == "未满期"
