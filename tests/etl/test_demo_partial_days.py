"""The window's partial days: the last full day before `now` and the window's first full day hold a
normal day's events, and the partial days only their share of the hour profile (no times moved across
days, which once made the day before `now` a 1.7x spike on /cases)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from etl.demo.cases import HOUR_PROFILE, _times
from etl.demo.timebase import Window

N = 1_000_000  # district scale: about 2,700 a day, so a day's count is within a few percent of its mean
NOWS = [
    datetime(2026, 12, 7, 0, 30),   # Monday just after midnight: the day before is a Sunday
    datetime(2026, 12, 7, 7, 0),    # Monday morning (the reported case)
    datetime(2026, 12, 7, 23, 50),  # Monday, nearly over
    datetime(2026, 12, 6, 7, 0),    # Sunday morning: the day before is a Saturday
    datetime(2026, 12, 9, 16, 3),   # Wednesday afternoon
]


def _share_before(profile: str, t: datetime) -> float:
    """Share of the day's hour profile before time of day ``t``, integrated minute by minute."""
    per_minute = np.repeat(HOUR_PROFILE[profile], 60)
    return float(per_minute[: t.hour * 60 + t.minute].sum() / per_minute.sum())


def _same_kind_mean(counts: pd.Series, day: datetime, step: int) -> float:
    """Mean count of the four weeks of days of the same kind (weekday / weekend) after or before ``day``."""
    weekend = day.weekday() >= 5
    near = [day + timedelta(days=step * k) for k in range(1, 29)]
    return float(np.mean([counts.get(pd.Timestamp(d.date()), 0) for d in near
                          if (d.weekday() >= 5) == weekend]))


@pytest.mark.parametrize("profile,weekend", [("staff", 0.7), ("citizen", 1.0)])
@pytest.mark.parametrize("now", NOWS, ids=lambda d: d.strftime("%a-%H%M"))
def test_partial_days_hold_their_share_and_the_full_days_next_to_them_no_more(now, profile, weekend):
    win = Window(now=now, days=365)
    ts = _times(np.random.default_rng(7), win, N, profile, weekend)
    assert len(ts) == N
    assert ts.min() >= np.datetime64(win.start, "us") and ts.max() <= np.datetime64(now, "us")
    counts = pd.Series(ts.astype("datetime64[D]")).value_counts()
    counts.index = pd.to_datetime(counts.index)

    today = datetime.combine(now.date(), datetime.min.time())
    yesterday = today - timedelta(days=1)
    assert 0.9 <= counts[pd.Timestamp(yesterday)] / _same_kind_mean(counts, yesterday, -1) <= 1.1
    expected_today = _same_kind_mean(counts, today, -1) * _share_before(profile, now)
    assert abs(counts.get(pd.Timestamp(today), 0) - expected_today) <= 0.1 * expected_today + 15

    first = datetime.combine(win.start.date(), datetime.min.time())
    first_full = first + timedelta(days=1)
    assert 0.9 <= counts[pd.Timestamp(first_full)] / _same_kind_mean(counts, first_full, 1) <= 1.1
    expected_first = _same_kind_mean(counts, first, 1) * (1 - _share_before(profile, win.start))
    assert abs(counts.get(pd.Timestamp(first), 0) - expected_first) <= 0.1 * expected_first + 15


def test_times_are_deterministic_in_the_seed():
    win = Window(now=NOWS[1], days=365)
    a = _times(np.random.default_rng(3), win, 1000, "staff", 0.7)
    b = _times(np.random.default_rng(3), win, 1000, "staff", 0.7)
    assert (a == b).all()
