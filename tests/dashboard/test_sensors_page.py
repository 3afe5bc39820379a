"""The /sensors page: layout and callbacks called directly on the test warehouse, numbers checked against
independent SQL on the same file."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import dash
import duckdb
import pandas as pd
import pytest

from dashboard import data
from dashboard.callbacks import pages_shared
from dashboard.components import sensors_view
from dashboard.components.page import context_from_search, run
from dashboard.i18n import t
from metrics.query import Period
from tests.clock import NOW, anchor_day
from tests.dashboard.test_pages import figure, find, messages, text


def layout(**q: Any) -> Any:
    """The page, its preset periods anchored at ``anchor_day()`` unless the test names a date."""
    return run("sensors", {"date": anchor_day().isoformat(), **q}, sensors_view.render)


@pytest.fixture
def raw(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(warehouse / "vitals.duckdb") if warehouse.is_dir() else str(warehouse), read_only=True)
    yield con
    con.close()


def as_of(raw: duckdb.DuckDBPyConnection) -> datetime:
    """The page's as-of instant for the anchor's month: its end, the data's 'now' or the site's, the earliest."""
    now = datetime.fromisoformat(raw.execute("SELECT value FROM warehouse_meta WHERE key = 'data_now'").fetchone()[0])
    return min(month_bounds()[1], now, data.site_now())


def online_sql(raw: duckdb.DuckDBPyConnection, at: datetime, where: str = "true", params: tuple = (),
               start: datetime | None = None) -> tuple[int, int, int]:
    """(sensors installed by ``at``, reporting intervals expected over the month to ``at``, those with a
    reading), counted in pandas from the rows: each sensor's intervals run from the month start (or its
    installation) in steps of its declared interval (60 min when none)."""
    start = start or month_bounds()[0]
    s = raw.execute(f"""SELECT sensor_id, installed_at, coalesce(expected_interval_min, 60) AS every FROM sensors
        WHERE (installed_at IS NULL OR installed_at <= $1) AND {where}""", [at, *params]).df()
    r = raw.execute("SELECT sensor_id, ts FROM sensor_readings WHERE ts >= $1 AND ts < $2", [start, at]).df()
    expected = received = 0
    for sid, installed, every in s.itertuples(index=False):
        w0 = max(pd.Timestamp(start), pd.Timestamp(installed)) if pd.notna(installed) else pd.Timestamp(start)
        step = pd.Timedelta(minutes=int(every))
        expected += max(math.ceil((pd.Timestamp(at) - w0) / step), 0)
        mine = r.loc[(r.sensor_id == sid) & (r.ts >= w0), "ts"]
        received += ((mine - w0) // step).nunique()
    return len(s), expected, received


def month_bounds() -> tuple[datetime, datetime]:
    today = anchor_day()
    start = datetime(today.year, today.month, 1)
    end = datetime(today.year + (today.month == 12), today.month % 12 + 1, 1)
    return start, end


def test_page_renders_every_panel_and_kpis_match_sql(ctx: dash.Dash, raw: duckdb.DuckDBPyConnection) -> None:
    page = layout()
    assert messages(page) == []
    for role in ("online_type", "online_unit", "series", "alarm_time", "alarm_type", "states"):
        assert figure(page, role)["data"], role
    n, expected, received = online_sql(raw, as_of(raw))
    kpis = text(find(page, lambda c: getattr(c, "id", None) == sensors_view.KPIS_ID)[0])
    assert 0 < received < expected
    assert f"{received / expected * 100:.1f}%" in kpis and f"'{n:,}'" in kpis
    bars = figure(page, "online_type")["data"][0]
    for label, action, txt in zip(bars["x"], bars["customdata"], bars["text"], strict=True):
        code = action.split("=", 1)[1]
        _, exp_t, got_t = online_sql(raw, as_of(raw), "sensor_type = $2", (code,))
        assert txt.endswith(f"({got_t:,}/{exp_t:,})"), code
        assert label == t(f"sensor.{code}", "zh") != code  # the type in the reader's language, not its code


def test_sensor_types_read_in_the_readers_language(ctx: dash.Dash, raw: duckdb.DuckDBPyConnection) -> None:
    codes = [r[0] for r in raw.execute("SELECT DISTINCT sensor_type FROM sensors").fetchall()]
    for lang in ("zh", "en"):
        page = layout(lang=lang) if lang == "en" else layout()
        names = {t(f"sensor.{c}", lang) for c in codes}
        assert not names & {f"sensor.{c}" for c in codes}  # every type of the warehouse has a label
        for role in ("alarm_type", "states"):
            xs = {x for tr in figure(page, role)["data"] for x in tr["x"]}
            assert xs and xs <= names, (role, xs)
        listed = text(find(page, lambda c: getattr(c, "id", None) in (sensors_view.BEYOND_ID, sensors_view.OFFLINE_ID)))
        assert " · " in listed and not any(f" · {code} · " in listed for code in codes), listed[:300]
    assert {t(f"sensor.{c}", "zh") for c in codes} != {t(f"sensor.{c}", "en") for c in codes}


def test_alarm_figures_count_the_alarms_of_the_period(ctx: dash.Dash, raw: duckdb.DuckDBPyConnection) -> None:
    start, end = month_bounds()
    expected = raw.execute("SELECT count(*) FROM sensor_alarms WHERE started_at >= ? AND started_at < ?",
                           [start, end]).fetchone()[0]
    assert expected > 0
    page = layout()
    # (the hatched-bar legend entry of a running day has no value: ``figures.partial_bars``)
    per_day = sum(sum(t["y"]) for t in figure(page, "alarm_time")["data"] if t.get("meta") != "partial")
    per_type = sum(sum(t["y"]) for t in figure(page, "alarm_type")["data"])
    assert per_day == per_type == expected


def test_type_bar_cross_filters_the_unit_panel(ctx: dash.Dash, raw: duckdb.DuckDBPyConnection) -> None:
    page = layout()
    bars = figure(page, "online_type")["data"][0]
    action = bars["customdata"][0]
    stype = action.split("=", 1)[1]
    href = pages_shared.click_href("sensors", "", {"points": [{"customdata": action}]})
    assert href == f"/sensors?sel={stype}"
    filtered = layout(sel=stype)
    unit_bars = figure(filtered, "online_unit")["data"][0]
    _, exp_t, got_t = online_sql(raw, as_of(raw), "sensor_type = $2", (stype,))
    counts = [t.rsplit("(", 1)[1].rstrip(")").replace(",", "").split("/") for t in unit_bars["text"]]
    assert sum(int(o) for o, _ in counts) == got_t and sum(int(s) for _, s in counts) == exp_t
    type_colors = figure(filtered, "online_type")["data"][0]["marker"]["color"]
    assert type_colors.count("#3182bd") == 1  # only the chosen type is highlighted


def test_unit_bar_cross_filters(ctx: dash.Dash, raw: duckdb.DuckDBPyConnection) -> None:
    action = figure(layout(), "online_unit")["data"][0]["customdata"][0]
    unit = action.split("=", 1)[1]
    href = pages_shared.click_href("sensors", "?sel=smoke", {"points": [{"customdata": action}]})
    assert href == f"/sensors?unit={unit}&sel=smoke"
    page = layout(unit=unit, sel="smoke")
    assert messages(page) == []
    level = raw.execute("SELECT level FROM org_unit WHERE unit_code = ?", [unit]).fetchone()[0]
    n_t, _, _ = online_sql(raw, as_of(raw), f"sensor_type = 'smoke' AND {level}_code = $2", (unit,))
    kpis = text(find(page, lambda c: getattr(c, "id", None) == sensors_view.KPIS_ID)[0])
    assert f"'{n_t:,}'" in kpis


def test_chosen_sensor_series_with_threshold_lines(ctx: dash.Dash, raw: duckdb.DuckDBPyConnection) -> None:
    sid, warn, alarm = raw.execute("SELECT sensor_id, threshold_warning, threshold_alarm FROM sensors "
                                   "WHERE threshold_alarm IS NOT NULL ORDER BY sensor_id DESC LIMIT 1").fetchone()
    page = layout(sensor=sid)
    fig = figure(page, "series")
    assert [s["y0"] for s in fig["layout"]["shapes"]] == [warn, alarm]
    mean = fig["data"][2]
    assert 0 < len(mean["x"]) <= sensors_view.MAX_POINTS
    start, end = month_bounds()
    lo, hi = raw.execute("SELECT min(value), max(value) FROM sensor_readings WHERE sensor_id = ? AND ts >= ? "
                         "AND ts < ?", [sid, start, end]).fetchone()
    band = [v for v in fig["data"][1]["y"] if v is not None]  # closed shapes split at gaps
    assert min(band) == pytest.approx(lo) and max(fig["data"][0]["y"]) == pytest.approx(hi)
    assert sid in text(page)


def test_year_series_is_downsampled(ctx: dash.Dash) -> None:
    sid = context_from_search("").con.execute("SELECT min(sensor_id) FROM sensors").fetchone()[0]
    fig = figure(layout(sensor=sid, period="year"), "series")
    assert 0 < len(fig["data"][2]["x"]) <= sensors_view.MAX_POINTS


def test_offline_list_links_select_a_sensor(ctx: dash.Dash, raw: duckdb.DuckDBPyConnection) -> None:
    page = layout()
    at = as_of(raw)
    offline = raw.execute("""SELECT count(*) FROM sensors s WHERE (installed_at IS NULL OR installed_at <= $1)
        AND NOT EXISTS (SELECT 1 FROM sensor_readings r WHERE r.sensor_id = s.sensor_id AND r.ts < $1
                        AND r.ts >= $1 - INTERVAL 1 MINUTE * coalesce(s.expected_interval_min, 60))""",
                          [at]).fetchone()[0]
    ul = find(page, lambda c: getattr(c, "id", None) == sensors_view.OFFLINE_ID)[0]
    links = find(ul, lambda c: isinstance(c, dash.dcc.Link))
    assert len(links) == min(offline, sensors_view.LIST_MAX)
    if links:
        assert "sensor=" in links[0].href
        sid = links[0].href.split("sensor=", 1)[1]
        assert sid in text(layout(sensor=sid))


def test_sensor_picker_is_a_filter_field(ctx: dash.Dash) -> None:
    href = pages_shared.filter_href("sensors", "?period=week", ["town", "grid", "village", "period", "sensor"],
                                    [None, None, None, "week", "demo:X-1"], "sensor")
    assert href == "/sensors?period=week&sensor=demo%3AX-1"


def test_bad_type_is_a_message_and_foreign_sensor_a_note(ctx: dash.Dash) -> None:
    page = layout(sel="rockets")
    assert len(messages(page)) == 1 and "not a sensor type" in messages(page)[0]
    page = layout(sensor="no-such-sensor")
    assert messages(page) == []
    note = find(page, lambda c: getattr(c, "id", None) == sensors_view.SERIES_NOTE_ID)[0]
    assert "no-such-sensor" in text(note)


def test_filter_change_changes_figures(ctx: dash.Dash) -> None:
    month = figure(layout(), "alarm_time")
    week = figure(layout(period="week"), "alarm_time")
    # each draws the days its period covers so far (a running one up to today: the period convention)
    for fig, grain in ((month, "month"), (week, "week")):
        p = Period.containing(grain, anchor_day()).to_date(NOW.date())
        assert fig["data"][0]["x"][0] == f"{p.start:%Y-%m-%d}" and len(fig["data"][0]["x"]) == p.days
    assert week["data"][0]["x"] != month["data"][0]["x"]


def test_english(ctx: dash.Dash) -> None:
    page = layout(lang="en")
    assert messages(page) == [] and "Sensors" in text(page) and "Online rate" in text(page)


def test_past_month_status_is_kept_per_as_of_and_stays_correct(ctx: dash.Dash,
                                                                  raw: duckdb.DuckDBPyConnection) -> None:
    start, _ = month_bounds()
    past_end = start  # the previous month ends where this one starts: its as-of instant
    day = (start - timedelta(days=10)).date().isoformat()
    prev_start = datetime(past_end.year - (past_end.month == 1), (past_end.month - 2) % 12 + 1, 1)
    n, expected, received = online_sql(raw, past_end, start=prev_start)
    for _ in range(2):  # first view scans, the repeat reads the kept scan: both match the count
        kpis = text(find(layout(date=day), lambda c: getattr(c, "id", None) == sensors_view.KPIS_ID)[0])
        assert (f"{received / expected * 100:.1f}%" if expected else "–") in kpis and f"'{n:,}'" in kpis
    wh = data.warehouse()
    assert any(k.startswith("sensors.status_at\x00") for k in wh._memo)


def test_bounded_per_snapshot_memo_drops_the_least_recently_used(ctx: dash.Dash) -> None:
    calls: list[int] = []

    def value(i: int) -> Any:
        return lambda con: calls.append(i) or i

    for i in range(4):
        assert data.per_snapshot_bounded("t.fam", str(i), value(i), 3) == i
    assert calls == [0, 1, 2, 3]  # 0 was dropped when 3 came in
    assert data.per_snapshot_bounded("t.fam", "1", value(1), 3) == 1  # kept: no call; now most recent
    assert calls == [0, 1, 2, 3]
    data.per_snapshot_bounded("t.fam", "4", value(4), 3)  # drops 2 (least recently used), not 1
    data.per_snapshot_bounded("t.fam", "1", value(1), 3)
    data.per_snapshot_bounded("t.fam", "2", value(2), 3)
    assert calls == [0, 1, 2, 3, 4, 2]
    assert sum(k.startswith("t.fam\x00") for k in data.warehouse()._memo) == 3


def test_sensor_lists_link_the_first_list_max_devices_and_count_the_rest(ctx: dash.Dash) -> None:
    from urllib.parse import parse_qs, urlsplit

    import pandas as pd

    c = context_from_search("?period=week&sel=noise")
    n = sensors_view.LIST_MAX + 7
    ids = [f"demo:X-{i:03d}" for i in range(n)]
    df = pd.DataFrame({"sensor_id": ids, "name": [f"设备{i}" for i in range(n)], "sensor_type": "noise",
                       "last_reading": [pd.Timestamp("2026-03-01 10:00")] * n})
    ul = sensors_view._sensor_links(c, df, "x", lambda r: f"{r['last_reading']:%H:%M}")
    assert len(find(ul, lambda x: isinstance(x, dash.dcc.Link))) == sensors_view.LIST_MAX
    links = [li.children[0] for li in ul.children[:sensors_view.LIST_MAX]]  # in list order
    hrefs = [parse_qs(urlsplit(link.href).query) for link in links]
    assert [h["sensor"] for h in hrefs] == [[i] for i in ids[:sensors_view.LIST_MAX]]
    assert all(h["period"] == ["week"] and h["sel"] == ["noise"] for h in hrefs)  # the page's filters stay
    assert [link.children for link in links[:2]] == ["设备0", "设备1"]
    assert ul.children[0].children[1] == " · 噪声 · 10:00"
    assert len(ul.children) == sensors_view.LIST_MAX + 1
    assert ul.children[-1].children == f"… +{n - sensors_view.LIST_MAX}"
    few = sensors_view._sensor_links(c, df.head(3), "x", lambda r: "")
    assert len(few.children) == 3 and "…" not in text(few)


def test_band_is_one_closed_shape_per_stretch_between_gaps() -> None:
    # two readings, an outage (the NaN row break_gaps inserts), one reading
    df = pd.DataFrame({"value": [1.0, 2.0, float("nan"), 3.0], "lo": [0.5, 1.5, float("nan"), 2.5],
                       "hi": [1.5, 2.5, float("nan"), 3.5]})
    band = sensors_view._band(["a", "b", "gap", "c"], df)
    assert band["x"] == ["a", "b", "b", "a", None, "c", "c", None]
    assert band["y"] == [1.5, 2.5, 1.5, 0.5, None, 3.5, 2.5, None]
