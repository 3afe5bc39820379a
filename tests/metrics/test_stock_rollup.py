"""The stock rollup (metrics/stock_rollup.py): 应结案数, 结案数, 结案率, 未结案件 and 超期未结 read from
cases counted per (立案 day, deadline day, 结案 day) equal their computation from rows, over random
day-aligned periods, as-of instants anywhere in a day (the running period's correction from the rows
of that day) and scopes the rollup answers; and the read really reads the rollup."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta
from pathlib import Path

import duckdb
import pytest

from metrics import stock_rollup
from metrics.catalog import BY_ID
from metrics.compiler import compile_stock_scan, fact_table
from metrics.indicators import indicator_values, scan
from metrics.query import Period, Query
from tests.dashboard.minimal_warehouse import copy_warehouse, read_only_warehouse

con = pytest.fixture(scope="module", name="con")(read_only_warehouse)

STOCK = ("due", "closed", "closure_rate", "open_backlog", "overdue_backlog")
QUANTILES = ("handling_p50", "handling_p90")


def test_the_stock_indicators_are_the_counts_of_stock_predicates() -> None:
    assert {i for i in BY_ID if stock_rollup.covers(BY_ID[i])} == set(STOCK)
    # a deadline compared with 结案 (按期结案率), a quantile, another table: rows
    for other in ("ontime_closure_rate", "handling_p50", "rework_rate", "hotline_backlog"):
        assert not stock_rollup.covers(BY_ID[other]), other


def test_the_handling_quantiles_are_read_in_two_steps() -> None:
    assert {i for i in BY_ID if stock_rollup.quantile_covers(BY_ID[i])} == set(QUANTILES)
    assert not stock_rollup.quantile_covers(BY_ID["hotline_close_p50"])  # no histogram for the hotline


def test_only_unfiltered_whole_district_reads_are_answered() -> None:
    q = Query(Period.containing("month", date(2026, 3, 1)))
    assert stock_rollup.answers(q, None, None) and stock_rollup.answers(q, None, "district")
    assert not stock_rollup.answers(q, "town", None)  # grouped: one value per scope only
    assert not stock_rollup.answers(q, None, "town")  # below the district grain
    assert not stock_rollup.answers(Query(q.period, urgency="urgent"), None, None)  # a filter


def _instants(rng: random.Random, lo: date, hi: date, period: Period) -> list[datetime | None]:
    day = lo + timedelta(days=rng.randrange((hi - lo).days + 1))
    inside = period.start + timedelta(seconds=rng.randrange(int((period.end - period.start).total_seconds())))
    return [None, datetime.combine(day, time()), datetime.combine(day, time(rng.randrange(24), rng.randrange(60))),
            inside, inside.replace(hour=0, minute=0, second=0), period.start + timedelta(minutes=1)]


def test_the_stock_rollup_equals_the_rows(con: duckdb.DuckDBPyConnection) -> None:
    rng = random.Random(21)
    inds = [BY_ID[i] for i in (*STOCK, *QUANTILES)]
    lo, hi = con.execute("SELECT min(registered_at)::DATE, max(registered_at)::DATE FROM cases").fetchone()  # type: ignore[misc]
    scopes = [None, *(r[0] for r in con.execute(
        "SELECT unit_code FROM org_unit WHERE level IN ('city', 'district') ORDER BY 1").fetchall())]
    checked = mid_day = medians = 0
    for _ in range(40):
        day = lo + timedelta(days=rng.randrange((hi - lo).days + 1))
        grain = rng.choice(["day", "week", "month", "quarter", "year", "custom"])
        period = (Period.custom(day, day + timedelta(days=rng.randrange(60))) if grain == "custom"
                  else Period.containing(grain, day))  # type: ignore[arg-type]
        periods = [period, period.previous()] if rng.random() < 0.6 else [period]
        # an as-of instant before the periods' start is left out: the rows' table window
        # (``FactTable.window``, "closed_at >= s ...") then drops cases closed between it and the start,
        # which the backlog at that instant counts (the rows are short there, not the rollup)
        for now in [t for t in _instants(rng, lo, hi, period) if t is None or t >= min(x.start for x in periods)]:
            q = Query(period, unit=rng.choice(scopes))
            fast = scan(con, inds, q, periods, None, now=now)
            raw = scan(con, inds, q, periods, None, now=now, use_rollups=False)
            assert {i: fast[i] for i in STOCK} == {i: raw[i] for i in STOCK}, (q, periods, now)
            for i in QUANTILES:  # the same two values interpolated: equal to the last bits
                for x, y in zip(fast[i][""], raw[i][""], strict=True):
                    assert x[1] == y[1] and (x[2] is None) == (y[2] is None), (i, q, periods, x, y)
                    assert x[2] is None or y[2] is None or math.isclose(x[2], y[2], rel_tol=1e-12), (i, q, x, y)
                    medians += x[2] is not None
            checked += any(v not in (None, 0.0) for i in STOCK for t in raw[i][""] for v in t)
            mid_day += now is not None and now.time() != time()
    assert checked > 150 and mid_day > 60 and medians > 150  # real numbers compared, many of them at a mid-day instant


def test_a_running_period_reads_the_rows_of_its_as_of_day_only(con: duckdb.DuckDBPyConnection) -> None:
    ft = fact_table("cases")
    p = Period.containing("year", date(2026, 3, 1))
    q = Query(p)
    at_noon = compile_stock_scan(stock_rollup.NAME, ft, [BY_ID["closure_rate"]], [p], q, None,
                                 datetime(2026, 3, 1, 12))
    assert "UNION ALL" in at_noon.sql and at_noon.params["ad"] == datetime(2026, 3, 1)
    at_midnight = compile_stock_scan(stock_rollup.NAME, ft, [BY_ID["closure_rate"]], [p], q, None,
                                     datetime(2026, 3, 1))
    assert "UNION ALL" not in at_midnight.sql and "FROM cases" not in at_midnight.sql


@pytest.mark.parametrize("level", [None, "district"])
def test_a_value_is_read_from_the_stock_rollup(tiny_warehouse: Path, tmp_path: Path, level: str | None) -> None:
    link = copy_warehouse(tiny_warehouse, tmp_path)
    table = stock_rollup.table_for(level)  # the city grain for the whole warehouse, else the district's
    with duckdb.connect(str(link.resolve())) as w:
        unit = None if level is None else w.execute(
            "SELECT unit_code FROM org_unit WHERE level = 'district' ORDER BY 1 LIMIT 1").fetchone()[0]  # type: ignore[index]
        (deadline,) = w.execute(f"SELECT max(deadline_at) FROM {table}"
                                " WHERE deadline_at IS NOT NULL AND closed_at IS NULL").fetchone()  # type: ignore[misc]
        q = Query(Period.containing("year", deadline.date()), unit=unit)
        before = indicator_values(w, ["due"], q, now=q.period.end)["due"].value
        w.execute(f"UPDATE {table} SET n = n + 1000 WHERE deadline_at = $d AND closed_at IS NULL",
                  {"d": deadline})
        (rows,) = w.execute(f"SELECT count(*) FROM {table} WHERE deadline_at = $d AND closed_at IS NULL"
                            + (" AND district_code = $u" if unit else ""),
                            {"d": deadline, **({"u": unit} if unit else {})}).fetchone()  # type: ignore[misc]
        assert indicator_values(w, ["due"], q, now=q.period.end)["due"].value == (before or 0) + 1000 * rows


def test_a_quantile_is_located_by_the_histogram(tiny_warehouse: Path, tmp_path: Path) -> None:
    link = copy_warehouse(tiny_warehouse, tmp_path)
    with duckdb.connect(str(link.resolve())) as w:
        (last,) = w.execute("SELECT max(closed_at) FROM cases").fetchone()  # type: ignore[misc]
        q = Query(Period.containing("year", last.date()))
        value = indicator_values(w, ["handling_p50"], q)["handling_p50"]
        assert value.value is not None and value.denominator
        # the histogram says how many rows there are: emptied, there is no median (the rows are unchanged)
        w.execute(f"DELETE FROM {stock_rollup.HISTOGRAM}")
        emptied = indicator_values(w, ["handling_p50"], q)["handling_p50"]
        assert emptied.value is None and emptied.denominator == 0


def test_a_value_table_out_of_step_reads_rows(tiny_warehouse: Path, tmp_path: Path) -> None:
    link = copy_warehouse(tiny_warehouse, tmp_path)
    with duckdb.connect(str(link.resolve())) as w:
        (last,) = w.execute("SELECT max(closed_at) FROM cases").fetchone()  # type: ignore[misc]
        q = Query(Period.containing("year", last.date()))
        rows = scan(w, [BY_ID["handling_p50"]], q, [q.period], None, use_rollups=False)
        w.execute(f"DELETE FROM {stock_rollup.VALUES}")  # the histogram still promises every rank
        assert stock_rollup.quantile_value(w, BY_ID["handling_p50"], q, None) is None
        assert scan(w, [BY_ID["handling_p50"]], q, [q.period], None) == rows


def test_a_build_stores_the_value_table_in_bucket_order(tiny_warehouse: Path, tmp_path: Path) -> None:
    # what lets the second step skip the other buckets' row groups (a build sorts it by b, v; a load's
    # day refresh appends its days' rows, in order among themselves, until the next build)
    from etl.rollups import build_rollups

    link = copy_warehouse(tiny_warehouse, tmp_path)
    with duckdb.connect(str(link.resolve())) as w:
        build_rollups(w)
        (n, out_of_order) = w.execute(
            f"SELECT count(*), count_if(b < pb OR (b = pb AND v < pv)) FROM (SELECT b, v, lag(b) OVER w AS pb,"
            f" lag(v) OVER w AS pv FROM {stock_rollup.VALUES} WINDOW w AS (ORDER BY rowid))").fetchone()  # type: ignore[misc]
    assert n > 100 and out_of_order == 0
