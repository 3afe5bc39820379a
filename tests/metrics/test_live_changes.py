"""When a live panel can change (metrics/feed.py, ``*_changes``; metrics/urgent.py, ``tile_changes``):
between two consecutive listed instants each panel's rows are the same at any ``now`` (their ages
aside), so the wall may compute them once per stretch (dashboard/screen/model.py, ``live``). Checked
on the tiny demo's last day at both ends and the middle of many stretches, under two scopes."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from metrics import feed, urgent
from metrics.query import Period, Query
from tests import clock
from tests.dashboard.minimal_warehouse import read_only_warehouse

con = pytest.fixture(scope="module", name="con")(read_only_warehouse)

Panel = Callable[[feed.DayRows, Query, datetime], object]
TYPICAL = tuple(float(h % 7) for h in range(24))
PANELS: dict[str, tuple[Callable[[feed.DayRows], np.ndarray], Panel]] = {
    "live_feed": (feed.live_feed_changes,
                  lambda r, q, now: feed.live_feed(r, q, now, limit=16).drop(columns="age_minutes")),
    "urgent_tiles": (urgent.tile_changes, lambda r, q, now: urgent.urgent_tiles(r, q, now).drop(
        columns="since_report_s")),
    "on_duty_by_grid": (feed.duty_changes, feed.on_duty_by_grid),
    "backlog": (feed.backlog_changes, feed.backlog),
    **{f"hourly_{src}": ((lambda r, src=src: feed.hourly_changes(r, src)),  # type: ignore[misc]
                         (lambda r, q, now, src=src: feed.hourly_volume(r, TYPICAL, q, now, src)))
       for src in ("cases", "hotline")},
}


def same(a: object, b: object) -> bool:
    if isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame):
        return a.reset_index(drop=True).equals(b.reset_index(drop=True))
    return a == b


def at(instant: np.datetime64) -> datetime:
    return pd.Timestamp(instant).to_pydatetime()


@pytest.fixture(scope="module")
def rows(con: duckdb.DuckDBPyConnection) -> feed.DayRows:
    """The tiny demo's live rows of its last day, their times and flags redrawn at random over that day
    and the one before (a busy day: many urgent cases, alarms, shifts and deadlines to pass)."""
    real = feed.day_rows(con, clock.NOW.date())
    # an alarm and a shift to copy from, whatever the run's instant (the days before hold some)
    earlier = (feed.day_rows(con, clock.NOW.date() - timedelta(days=d)) for d in range(1, 60))
    alarms = real.alarms if len(real.alarms) else next(r.alarms for r in earlier if len(r.alarms))
    roster = real.roster if len(real.roster) else next(r.roster for r in earlier if len(r.roster))
    rng = np.random.default_rng(19)
    day0 = np.datetime64(datetime.combine(real.day, datetime.min.time()), "us")

    def times(n: int, missing: float = 0.0, after: np.ndarray | None = None) -> np.ndarray:
        base = day0 - np.timedelta64(1, "D") if after is None else after
        t = base + rng.integers(0, 36 * 3600, n).astype("timedelta64[s]")
        return np.where(rng.random(n) < missing, np.datetime64("NaT"), t).astype("datetime64[us]")

    c = real.cases.copy()
    n = len(c)
    c["reported_at"] = times(n)
    c["dispatched_at"] = np.where(rng.random(n) < 0.3, np.datetime64("NaT"),
                                  c["reported_at"].to_numpy() + rng.integers(0, 600, n).astype("timedelta64[s]"))
    for col in ("arrived_at", "first_result_at", "closed_at"):
        c[col] = np.where(rng.random(n) < 0.5, np.datetime64("NaT"),
                          c["reported_at"].to_numpy() + rng.integers(60, 7200, n).astype("timedelta64[s]"))
    c["deadline_at"] = c["reported_at"].to_numpy() + rng.integers(0, 86400, n).astype("timedelta64[s]")
    c["urgent"] = rng.random(n) < 0.4
    c["is_open"] = c["closed_at"].isna().to_numpy() & (rng.random(n) < 0.9)
    a = alarms.sample(40, replace=True, random_state=1).reset_index(drop=True)  # a busy day's alarms
    a["alarm_id"] = [f"demo:a{i}" for i in range(len(a))]
    a["started_at"] = times(len(a))
    a["ended_at"] = np.where(rng.random(len(a)) < 0.3, np.datetime64("NaT"),
                             a["started_at"].to_numpy() + rng.integers(60, 20000, len(a)).astype("timedelta64[s]"))
    a["case_id"] = np.where(rng.random(len(a)) < 0.5, rng.choice(c["case_id"].to_numpy(), len(a)), None)
    a["has_case"] = a["case_id"].notna()
    h = real.hotline.copy()
    h["received_at"] = times(len(h))
    h["due_at"] = h["received_at"].to_numpy() + rng.integers(0, 86400, len(h)).astype("timedelta64[s]")
    r = roster.sample(max(len(roster), 40), replace=True, random_state=2).reset_index(drop=True)
    r["start_at"] = times(len(r))
    r["end_at"] = r["start_at"].to_numpy() + rng.integers(3600, 12 * 3600, len(r)).astype("timedelta64[s]")
    assert len(c) > 100
    return feed.DayRows(real.day, c, a, h, r, real.grids)


@pytest.mark.parametrize("name", sorted(PANELS))
def test_a_live_panel_is_constant_between_two_of_its_change_instants(con: duckdb.DuckDBPyConnection,
                                                                      rows: feed.DayRows, name: str) -> None:
    changes, panel = PANELS[name]
    instants = changes(rows)
    assert (np.diff(instants) > np.timedelta64(0, "us")).all()  # sorted, distinct
    day0 = np.datetime64(datetime.combine(rows.day, datetime.min.time()), "us")
    # the day and the one before it (the feed looks 24 h back); the hourly charts are asked about their day only
    since = day0 if name.startswith("hourly") else day0 - np.timedelta64(1, "D")
    inside = np.flatnonzero((instants >= since) & (instants < day0 + np.timedelta64(1, "D")))
    assert len(inside) > 10, "the days have instants to test between"
    town = con.execute("SELECT min(town_code) FROM org_unit WHERE level = 'town'").fetchone()[0]  # type: ignore[index]
    rng = random.Random(name)
    changed = 0
    for unit in (None, town):
        q = Query(period=Period.containing("day", rows.day), unit=unit)
        for i in sorted(rng.sample(list(inside[:-1]), min(25, len(inside) - 1))):
            lo, hi = instants[i], instants[i + 1] - np.timedelta64(1, "us")
            first = panel(rows, q, at(lo))
            assert same(first, panel(rows, q, at(hi))), (name, unit, lo, hi)
            assert same(first, panel(rows, q, at(lo + (hi - lo) // 2))), (name, unit, lo, hi)
            changed += not same(first, panel(rows, q, at(lo - np.timedelta64(1, "us"))))
    assert changed > 0  # and some instants do change it (the test can tell a missing one)


def test_interval_of_counts_the_instants_at_or_before_now() -> None:
    t0 = datetime(2026, 3, 1, 8)
    instants = np.array([t0, t0 + timedelta(minutes=5)], dtype="datetime64[us]")
    assert [feed.interval_of(instants, t0 + timedelta(microseconds=d)) for d in (-1, 0, 1)] == [0, 1, 1]
    assert feed.interval_of(instants, t0 + timedelta(minutes=5)) == 2
