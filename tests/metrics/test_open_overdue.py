"""``overdue_cases`` over a kept ``open_overdue`` set equals the scan of ``cases`` (same page, same
total) for every scope, filter and drill the pages use; a set kept for another instant is ignored."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pytest
from pandas.testing import assert_frame_equal

from metrics import explore
from metrics.compiler import as_of
from metrics.explore import Drill
from metrics.indicators import data_now
from metrics.query import Period, Query
from tests.dashboard.minimal_warehouse import read_only_warehouse

con = pytest.fixture(scope="module", name="con")(read_only_warehouse)


def test_kept_set_gives_the_scans_page_and_total(con: duckdb.DuckDBPyConnection) -> None:
    now = data_now(con) or con.execute("SELECT max(reported_at) FROM cases").fetchone()[0]
    month = Period.containing("month", now.date())
    kept = explore.open_overdue(con, as_of(month, now))
    assert kept.rows.num_rows > 0  # the fixture has overdue cases to compare
    # independent: the overdue cases at that instant counted straight from the table
    n = con.execute("SELECT count(*) FROM cases WHERE NOT coalesce(cancelled, false) AND registered_at < $a "
                    "AND (closed_at IS NULL OR closed_at >= $a) AND deadline_at < $a", {"a": kept.at}).fetchone()[0]
    assert kept.rows.num_rows == n
    town, grid, station, cat, src = con.execute(
        "SELECT arg_max(town_code, 1), arg_max(grid_code, 1), max(station_code), arg_max(category_code, 1), "
        "arg_max(source, 1) FROM cases WHERE station_code IS NOT NULL").fetchone()
    queries = [Query(month), Query(month, unit=town), Query(month, unit=grid), Query(month, category=cat[:3]),
               Query(month, urgency="urgent"), Query(month, source=src),
               Query(Period.containing("quarter", now.date()))]
    seen = 0
    for q in queries:
        for d in (None, Drill("station", "*"), Drill("station", station)):
            for limit in (20, 3):
                want = explore.overdue_cases(con, q, d, limit, now=now)
                got = explore.overdue_cases(con, q, d, limit, now=now, kept=kept)
                assert got[1] == want[1]
                assert_frame_equal(got[0], want[0], check_dtype=False)
                seen += want[1] > 0
    assert seen > 10
    # a set kept for another instant (the end of a week ten days back: a past month's end may be minutes
    # before now and hold the same cases) is not used for this month's list
    past = Period.containing("week", (now - timedelta(days=10)).date())
    other = explore.open_overdue(con, as_of(past, now))
    # it would give other rows if used (the counts alone may happen to agree)
    assert set(other.rows.column("case_id").to_pylist()) != set(kept.rows.column("case_id").to_pylist())
    assert explore.overdue_cases(con, Query(month), now=now, kept=other)[1] == kept.rows.num_rows
    assert explore.overdue_cases(con, Query(past), now=now, kept=other)[1] == other.rows.num_rows
