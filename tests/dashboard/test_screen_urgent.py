"""Urgent-case countdown tiles on the wall: states from a hand-built fixture, the same rule as the
catalog's urgent rates, the tile markup the browser's clock reads, and the config switches."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

import dash
import duckdb
import pandas as pd
import pytest

import metrics
from dashboard import data
from dashboard.app import create_app
from dashboard.screen import chime, urgent
from dashboard.screen.config import parse
from etl.settings import PROJECT_ROOT, Settings
from metrics.query import Period, Query
from metrics.urgent import clocks, urgent_clock_rows
from tests.dashboard.test_pages import find
from tests.dashboard.urgent_fixture import NOW, build

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def fixture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("urgent-wh")
    return root, build(root)


@pytest.fixture
def wall(fixture: tuple[Path, dict[str, str]]) -> Iterator[dash.Dash]:
    root, _ = fixture
    app = create_app(Settings(warehouse=root / "vitals.duckdb",
                              sections=MappingProxyType({"site": {"now": NOW.isoformat()}})))
    with app.server.test_request_context("/"):
        yield app
        app.server.do_teardown_appcontext()


def test_clock_states_by_hand() -> None:
    t0 = datetime(2026, 1, 1, 8, 0)
    df = pd.DataFrame({
        "reported_at": [t0] * 5, "dispatched_at": [t0, t0, t0, t0, pd.NaT],
        "arrived_at": [t0 + timedelta(minutes=10), t0 + timedelta(minutes=20), pd.NaT, pd.NaT, pd.NaT],
        "first_result_at": [t0 + timedelta(minutes=50), pd.NaT, pd.NaT, pd.NaT, pd.NaT],
    })
    # at 8:12: on site by 8:10 (met), late at 8:20 is not yet known → the second is still running
    out = clocks(df, t0 + timedelta(minutes=12))
    assert out["arrival"].tolist() == ["met", "warn", "warn", "warn", "warn"]
    assert out["state"].tolist() == ["ok", "warn", "warn", "warn", "warn"]  # the first: result still 48 min off
    out = clocks(df, t0 + timedelta(minutes=30))  # 15 minutes are up
    assert out["arrival"].tolist() == ["met", "late", "breached", "breached", "breached"]
    assert out["result"].tolist() == ["pending"] * 5
    assert out["state"].tolist() == ["ok", "bad", "bad", "bad", "bad"]
    out = clocks(df, t0 + timedelta(minutes=50))  # 10 min left to the first result: pending → warn
    assert out["result"].tolist() == ["met", "warn", "warn", "warn", "warn"]
    assert out["state"].tolist() == ["done", "bad", "bad", "bad", "bad"]
    # not dispatched: the clock runs from the report
    assert out["arrive_by"].iloc[4] == t0 + timedelta(minutes=15)


def test_clocks_count_what_the_catalog_rates_count(fixture: tuple[Path, dict[str, str]]) -> None:
    root, _ = fixture
    con = duckdb.connect(str(root / "vitals.duckdb"), read_only=True)
    try:
        last_month = Period.containing("month", NOW.date().replace(day=1) - timedelta(days=1))
        for period in (last_month, Period(NOW - timedelta(days=7), NOW - timedelta(hours=1))):
            q = Query(period)
            rows = urgent_clock_rows(con, q, NOW)
            vals = metrics.indicator_values(con, ["urgent_arrival_rate", "urgent_result_rate"], q)
            assert len(rows) == vals["urgent_arrival_rate"].denominator > 0
            assert (rows["arrival"] == "met").sum() == vals["urgent_arrival_rate"].numerator
            assert (rows["result"] == "met").sum() == vals["urgent_result_rate"].numerator
            # every deadline is past at NOW: the rest are the breaches the stations page lists
            assert set(rows["arrival"]) <= {"met", "late", "breached"}
            assert rows["arrival"].isin(("late", "breached")).sum() == metrics.urgent_breaches(con, q, "arrival")[1]
            assert rows["result"].isin(("late", "breached")).sum() == metrics.urgent_breaches(con, q, "result")[1]
    finally:
        con.close()


def test_tiles_show_the_fixture_cases_in_their_states(wall: dash.Dash, fixture: tuple[Path, dict[str, str]]) -> None:
    _, ids = fixture
    cfg = parse({}, data.settings())
    view = urgent.view(cfg, NOW)
    by_id = {tile.case_id: tile for tile in view.tiles}
    assert {ids["pending"], ids["warn"], ids["breached"]} <= set(by_id)
    assert by_id[ids["pending"]].state == "ok" and by_id[ids["pending"]].arrival.state == "pending"
    assert by_id[ids["warn"]].state == "warn" and by_id[ids["warn"]].arrival.state == "warn"
    tile = by_id[ids["breached"]]
    assert (tile.state, tile.arrival.state, tile.result.state) == ("bad", "late", "pending")
    # worst first
    order = [t.state for t in view.tiles]
    assert order == sorted(order, key=["bad", "warn", "ok", "done"].index)
    # the deadlines the browser counts to, as epoch ms of the site's time
    ms = int((NOW - timedelta(minutes=5)).replace(tzinfo=TZ).timestamp() * 1000)
    assert by_id[ids["pending"]].arrival.due_ms == ms + 15 * 60_000
    assert by_id[ids["pending"]].result.due_ms == ms + 60 * 60_000
    assert view.now_ms == int(NOW.replace(tzinfo=TZ).timestamp() * 1000)
    html_ = str(urgent.panel(view, cfg))
    assert "剩 10:00" in html_ and "剩 03:00" in html_ and "✓ 超时 +08:00" in html_ and "剩 35:00" in html_
    # the tiles' count agrees with the backlog's open urgent cases (no alarm-born case in this fixture)
    from dashboard.screen import model

    assert view.total == model.backlog(cfg, NOW).open_urgent


def test_screen_layout_has_tiles_banner_and_sound(wall: dash.Dash, fixture: tuple[Path, dict[str, str]]) -> None:
    from dashboard.pages import screen

    _, ids = fixture
    page = screen.layout()
    lists = find(page, lambda c: "scr-urgent-list" in str(getattr(c, "className", "")))
    assert len(lists) == 1
    attrs = lists[0].to_plotly_json()["props"]
    assert attrs["data-banner"] == "10" and attrs["data-sound"] == "1"
    tiles = find(page, lambda c: getattr(c, "className", "").startswith("scr-utile is-"))
    assert {ids["pending"], ids["warn"], ids["breached"]} <= {t.to_plotly_json()["props"]["data-id"] for t in tiles}
    assert find(page, lambda c: getattr(c, "id", None) == "scr-urgent-banner")
    sound = find(page, lambda c: getattr(c, "id", None) == "scr-urgent-sound")[0]
    assert sound.src.endswith("/assets/urgent.wav")
    quiet = find(screen.layout(mode="quiet"), lambda c: "scr-urgent-list" in str(getattr(c, "className", "")))
    props = quiet[0].to_plotly_json()["props"]
    assert props["data-banner"] == "0" and props["data-sound"] == "0"


def test_screen_config_switches() -> None:
    s = Settings(sections=MappingProxyType({"screen": {"urgent_banner_seconds": 4, "urgent_sound": False,
                                                        "urgent_tiles": 3}}))
    cfg = parse({}, s)
    assert (cfg.banner_seconds, cfg.sound, cfg.urgent_max, cfg.quiet) == (4, False, 3, False)
    assert parse({"mode": "quiet"}, s).quiet and parse({"mode": "quiet"}, s).mode == "normal"
    assert parse({"mode": "emergency"}, s).playlist == ("emergency",)


def test_shipped_chime_is_the_generated_one() -> None:
    assert (PROJECT_ROOT / "assets" / "urgent.wav").read_bytes() == chime.wav_bytes()
