"""The /cases speed work (task cases6): each changed computation against an independent pandas count.

- the KPI strip's previous 立案数 comes from its own scan of the previous period (narrow window);
- the panels' previous-period trend comes from its own grouped count;
- scans whose every aggregate requires a declared predicate read that predicate's narrow window.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import duckdb
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import metrics
from metrics import compiler, indicators
from metrics.case_panels import case_panels
from metrics.indicators import data_now
from metrics.predicates import TABLES
from metrics.query import Period, Query
from tests.dashboard.minimal_warehouse import read_only_warehouse
from tests.metrics.test_rollups import _close, _nonzero, random_queries

KPI_IDS = ("registered", "proactive_rate", "closure_rate", "handling_p50", "urgent_arrival_rate",
           "urgent_result_rate", "overdue_backlog")


con = pytest.fixture(scope="module", name="con")(read_only_warehouse)


@pytest.fixture(scope="module")
def cases(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("SELECT * FROM cases").df()


def _queries(con: duckdb.DuckDBPyConnection) -> list[Query]:
    """Month (running and past), quarter, week, a 街镇 and a grid, a major class and a minor category,
    urgency: the page's filter kinds."""
    last = con.execute("SELECT max(reported_at) FROM cases").fetchone()[0].date()
    month = Period.containing("month", last)
    past = Period.containing("month", last.replace(day=1) - timedelta(days=1))
    quarter = Period.containing("quarter", last)
    week = Period.containing("week", last - timedelta(days=3))
    town, grid = (con.execute(f"SELECT {c} FROM cases GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
                  for c in ("town_code", "grid_code"))
    category = con.execute("SELECT category_code FROM cases GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    return [Query(month), Query(past), Query(quarter), Query(week), Query(month, unit=town),
            Query(quarter, unit=grid), Query(month, category=category[:3]), Query(quarter, category=category),
            Query(month, urgency="urgent"), Query(quarter, urgency="urgent"), Query(past, unit=town, urgency="general")]


def _true(s: pd.Series) -> pd.Series:
    return s.eq(True).fillna(False).astype(bool)


def _scoped(df: pd.DataFrame, q: Query) -> pd.DataFrame:
    keep = ~_true(df["cancelled"])
    if q.unit is not None:
        keep &= (df[["district_code", "town_code", "grid_code", "village_code"]] == q.unit).any(axis=1)
    if q.category is not None:
        keep &= df["category_code"].fillna("").str.startswith(q.category)
    if q.urgency is not None:
        keep &= df["urgency"] == q.urgency
    return df[keep]


def _between(s: pd.Series, lo: datetime, hi: datetime) -> pd.Series:
    return (s >= lo) & (s < hi)


def test_kpi_strip_equals_pandas(con: duckdb.DuckDBPyConnection, cases: pd.DataFrame) -> None:
    now = data_now(con)
    seen = {"prev": 0, "urgent": 0, "handling": 0, "overdue": 0}
    for q in _queries(con):
        vals = metrics.indicator_values(con, KPI_IDS, q, previous=["registered"])
        df = _scoped(cases, q)
        s, e = q.period.start, q.period.end
        a = min(e, now) if now else e
        reg = _between(df["registered_at"], s, e)
        prev = q.period.previous()
        prev_reg = int(_between(df["registered_at"], prev.start, prev.end).sum())
        assert vals["registered"].value == reg.sum()
        assert vals["registered"].previous_value == prev_reg
        assert all(vals[k].previous_value is None for k in KPI_IDS[1:])
        assert (vals["proactive_rate"].numerator, vals["proactive_rate"].denominator) == \
            ((reg & _true(df["proactive"])).sum(), reg.sum())
        due = (df["registered_at"] < e) & (df["deadline_at"] < a) & (
            (df["deadline_at"] >= s) | df["closed_at"].isna() | (df["closed_at"] >= s))
        assert (vals["closure_rate"].numerator, vals["closure_rate"].denominator) == \
            ((due & (df["closed_at"] < e)).sum(), due.sum())
        closed_in = (df["registered_at"] < e) & _between(df["closed_at"], s, e)
        hours = (df["closed_at"] - df["registered_at"]).dt.total_seconds() / 3600.0
        assert vals["handling_p50"].denominator == closed_in.sum()
        if closed_in.any():
            assert vals["handling_p50"].value == pytest.approx(hours[closed_in].quantile(0.5), rel=1e-12)
        else:
            assert vals["handling_p50"].value is None
        urgent = (df["urgency"] == "urgent") & _between(df["dispatched_at"], s, e)
        for k, col, minutes in (("urgent_arrival_rate", "arrived_at", 15),
                                ("urgent_result_rate", "first_result_at", 60)):
            ok = urgent & (df[col] <= df["dispatched_at"] + pd.Timedelta(minutes=minutes))
            assert (vals[k].numerator, vals[k].denominator) == (ok.sum(), urgent.sum()), (k, q)
        open_at = (df["registered_at"] < a) & (df["closed_at"].isna() | (df["closed_at"] >= a))
        overdue = open_at & (df["deadline_at"] < a)
        assert vals["overdue_backlog"].value == overdue.sum()
        seen["prev"] += prev_reg
        seen["urgent"] += int(urgent.sum())
        seen["handling"] += int(closed_in.sum())
        seen["overdue"] += int(overdue.sum())
    assert all(n > 0 for n in seen.values()), seen  # the fixture has something of each to count


def test_kpi_strip_equals_the_two_period_scan(con: duckdb.DuckDBPyConnection) -> None:
    """Split (current scan + previous 立案数 scan) = the one scan of both periods it replaced, exactly."""
    for q in _queries(con):
        full = metrics.indicator_values(con, KPI_IDS, q)
        one = metrics.indicator_values(con, KPI_IDS, q, previous=["registered"])
        for k in KPI_IDS:
            assert (one[k].numerator, one[k].denominator, one[k].value, one[k].status) == \
                   (full[k].numerator, full[k].denominator, full[k].value, full[k].status), k
        assert one["registered"].previous_value == full["registered"].previous_value
        none = metrics.indicator_values(con, KPI_IDS, q, previous=[])
        assert all(none[k].previous_value is None and none[k].value == full[k].value for k in KPI_IDS)


def test_previous_trend_equals_pandas(con: duckdb.DuckDBPyConnection, cases: pd.DataFrame) -> None:
    seen = 0
    for q in _queries(con):
        p = case_panels(con, q)
        df = _scoped(cases, q)
        for frame, period in ((p.trend, q.period), (p.previous, q.period.previous())):
            days = df.loc[_between(df["reported_at"], period.start, period.end), "reported_at"].dt.strftime("%Y-%m-%d")
            want = days.value_counts().sort_index()
            assert list(frame["key"]) == list(want.index) == list(frame["label"])
            assert list(frame["cases"]) == list(want.to_numpy())
        seen += int(p.previous["cases"].sum())
    assert seen > 0  # some query's previous period has cases


def _wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiler without narrow windows: every scan reads its table's window."""
    monkeypatch.setattr(compiler, "TABLES", {n: replace(t, narrow={}) for n, t in TABLES.items()})


NARROW_SETS = (["registered", "proactive_rate", "escalation_rate", "supervision_rate"],
               ["urgent_arrival_rate", "urgent_result_rate"],
               ["hotline_orders", "hotline_first_contact_rate", "hotline_resolution_rate", "hotline_closure_rate"])


def test_narrow_windows_count_what_the_table_window_counts(con: duckdb.DuckDBPyConnection,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    qs = _queries(con)
    narrow = {}
    for ids in NARROW_SETS:
        for q in qs:
            narrow[(tuple(ids), q, "values")] = metrics.indicator_values(con, ids, q)
            narrow[(tuple(ids), q, "trend")] = metrics.monthly_trend(con, ids, q, months=3, by="grid")
    # the narrow window is in the compiled SQL (else this test compares a thing with itself)
    q = qs[0]
    inds = metrics.catalog()
    pick = [i for i in inds if i.id in NARROW_SETS[0]]
    sql = compiler.compile_scan("cases", pick, [q.period, q.period.previous()], None, q, None).sql
    assert "(registered_at >= $smin AND registered_at < $emax)" in sql
    _wide(monkeypatch)
    wide_sql = compiler.compile_scan("cases", pick, [q.period, q.period.previous()], None, q, None).sql
    assert "closed_at IS NULL OR closed_at >= $smin" in wide_sql
    total = 0.0
    for ids in NARROW_SETS:
        for q in qs:
            wide = metrics.indicator_values(con, ids, q)
            got = narrow[(tuple(ids), q, "values")]
            for k in ids:
                assert (got[k].numerator, got[k].denominator, got[k].value, got[k].previous_value) == \
                       (wide[k].numerator, wide[k].denominator, wide[k].value, wide[k].previous_value), (k, q)
                total += (got[k].numerator or 0) + (got[k].denominator or 0)
            assert_frame_equal(narrow[(tuple(ids), q, "trend")],
                               metrics.monthly_trend(con, ids, q, months=3, by="grid"))
    assert total > 0


def test_the_table_window_is_left_out_only_where_it_drops_few_rows(con: duckdb.DuckDBPyConnection,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    lo, hi = con.execute("SELECT min(registered_at), max(registered_at) FROM cases").fetchone()  # type: ignore[misc]
    whole = Period(lo.replace(hour=0, minute=0, second=0), hi + timedelta(days=1), "custom")
    week = Period.containing("week", hi.date())
    assert (hi - lo).days > 40  # a week is a small part of the data here
    assert not indicators.window_pays(con, "cases", [whole]) and indicators.window_pays(con, "cases", [week])
    inds = metrics.catalog()
    assert "closed_at IS NULL OR closed_at >= $smin" not in compiler.compile_scan(
        "cases", [i for i in inds if i.id == "closure_rate"], [whole], None, Query(whole), None, wide_window=False).sql
    # the window changes the cost, never a number: every indicator of every table, random queries
    compared = 0
    for q, periods, by in random_queries(con, 60, seed=21):
        got = {}
        for wide in (True, False):
            monkeypatch.setattr(indicators, "window_pays", lambda *_a, w=wide: w)
            got[wide] = indicators.scan(con, inds, q, periods, by, use_rollups=False)
        assert got[True].keys() == got[False].keys()
        for ind_id, per_key in got[True].items():
            a, b = _nonzero(per_key), _nonzero(got[False][ind_id])
            assert a.keys() == b.keys(), (ind_id, q, by)
            for key in a:
                for x, y in zip(a[key], b[key], strict=True):
                    assert all(_close(u, v) for u, v in zip(x, y, strict=True)), (ind_id, q, by, key, x, y)
                    compared += any(v not in (None, 0.0) for v in y)
    assert compared > 300
