"""metrics.case_panels: every /cases count panel from one statement equals the separate ``explore``
reads it replaces (and the drilled row tables behind its elements), with and without filters."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from metrics import explore, rollups
from metrics import panel_rollup as PR
from metrics.case_panels import _from_rollup, case_panels
from metrics.compiler import ORG_LEVEL_COLUMN
from metrics.explore import Drill
from metrics.indicators import unit_level
from metrics.query import Period, Query
from tests.dashboard.minimal_warehouse import copy_warehouse, read_only_warehouse

con = pytest.fixture(scope="module", name="con")(read_only_warehouse)


def _queries(con: duckdb.DuckDBPyConnection) -> list[Query]:
    last = con.execute("SELECT max(reported_at) FROM cases").fetchone()[0]
    month = Period.containing("month", last.date())
    week = Period.containing("week", (last - timedelta(days=3)).date())
    town, grid, village = (con.execute(f"SELECT {c} FROM cases GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
                           .fetchone()[0] for c in ("town_code", "grid_code", "village_code"))
    category = con.execute("SELECT category_code FROM cases GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    custom = Period(datetime.combine(last.date(), datetime.min.time()) - timedelta(days=10),
                    datetime.combine(last.date(), datetime.min.time()) + timedelta(days=1), "custom")
    return [Query(month), Query(week), Query(custom), Query(month, unit=town), Query(month, unit=grid),
            Query(month, unit=village), Query(month, category=category[:3]), Query(month, category=category),
            Query(month, urgency="urgent"), Query(month, unit=town, category=category[:3], urgency="general")]


def test_each_panel_equals_the_separate_reads(con: duckdb.DuckDBPyConnection) -> None:
    qs = _queries(con)
    assert con.execute("SELECT count(*) FROM cases").fetchone()[0] > 50  # the fixture has data to count
    seen_prev = 0
    for q in qs:
        p = case_panels(con, q)
        assert_frame_equal(p.trend, explore.case_counts(con, q, "day"), check_dtype=False)
        assert_frame_equal(p.previous, explore.case_counts(con, q.previous(), "day"), check_dtype=False)
        seen_prev += len(p.previous)
        by = "category" if q.category else "major"
        assert_frame_equal(p.categories, explore.case_counts(con, q, by), check_dtype=False)
        assert_frame_equal(p.units, explore.case_counts(con, q, "unit"), check_dtype=False)
        assert p.level == explore.child_level(con, q)
        assert_frame_equal(p.heat, explore.case_heatmap(con, q), check_dtype=False)
        assert_frame_equal(p.handling, explore.handling_distribution(con, q), check_dtype=False)
    assert seen_prev > 0  # some query had a previous period with cases to compare


def test_panels_count_what_an_independent_sql_counts(con: duckdb.DuckDBPyConnection) -> None:
    q = _queries(con)[0]
    p = case_panels(con, q)
    args = {"s": q.period.start, "e": q.period.end}
    base = "NOT coalesce(cancelled, false) AND reported_at >= $s AND reported_at < $e"
    total = con.execute(f"SELECT count(*) FROM cases WHERE {base}", args).fetchone()[0]
    assert total > 0
    assert p.trend["cases"].sum() == total == p.heat["cases"].sum() == p.categories["cases"].sum()
    closed = con.execute(f"SELECT count(*) FROM cases WHERE {base} AND closed_at >= registered_at", args).fetchone()[0]
    assert p.handling["cases"].sum() == closed
    mon9 = con.execute(f"SELECT count(*) FROM cases WHERE {base} AND dayofweek(reported_at) = 1 "
                       "AND extract('hour' FROM reported_at) = 9", args).fetchone()[0]
    assert int(p.heat[(p.heat["dow"] == 0) & (p.heat["hour"] == 9)]["cases"].iloc[0]) == mon9


def test_each_element_drills_to_exactly_its_rows(con: duckdb.DuckDBPyConnection) -> None:
    """The page's customdata drills: a trend day, a heat cell, a handling bucket, a village bar, a
    category bar (as a category filter) each list as many rows as the panel counted."""
    for q in _queries(con)[:1] + _queries(con)[5:7]:
        p = case_panels(con, q)
        day = p.trend.iloc[0]
        assert explore.rows(con, "cases", q, Drill("day", day["key"]), limit=0)[1] == day["cases"]
        cell = p.heat[p.heat["cases"] > 0].iloc[0]
        drill = Drill("hour_dow", f"{cell['hour']}:{cell['dow']}")
        assert explore.rows(con, "cases", q, drill, limit=0)[1] == cell["cases"]
        for r in p.handling.itertuples():
            assert explore.rows(con, "cases", q, Drill("hours", f"{r.lo:g}"), limit=0)[1] == r.cases
        for r in p.units.head(3).itertuples():
            assert explore.rows(con, "cases", q, Drill("unit", r.key), limit=0)[1] == r.cases
        top = p.categories.iloc[0]
        assert explore.rows(con, "cases", Query(q.period, q.unit, top["key"]), limit=0)[1] == top["cases"]


def test_minor_categories_on_request(con: duckdb.DuckDBPyConnection) -> None:
    q = _queries(con)[0]
    assert_frame_equal(case_panels(con, q, minor=True).categories, explore.case_counts(con, q, "category"),
                       check_dtype=False)
    assert isinstance(case_panels(con, q).categories, pd.DataFrame)


def test_bucket_edges_and_odd_rows_on_hand_made_cases(tmp_path: Path) -> None:
    """Exactly 4 h falls in [4, 8), 0 h in [0, 1); closed before registered and open cases are in no
    bucket; a cancelled case is nowhere; cases without a category still count in the major panel."""
    from tests.metrics.warehouse import case, new_warehouse

    c = new_warehouse(tmp_path)
    case(c, "a", registered="2026-03-02 09:00", closed="2026-03-02 13:00")
    case(c, "b", registered="2026-03-02 10:00", closed="2026-03-02 10:00")
    case(c, "c", registered="2026-03-03 10:00", closed="2026-03-03 09:00")
    case(c, "d", registered="2026-03-04 10:00", closed="2026-03-11 10:00", category_code="C02003")
    case(c, "e", registered="2026-03-05 10:00")
    case(c, "f", registered="2026-03-05 11:00", closed="2026-03-05 12:00", cancelled=True)
    case(c, "g", registered="2026-02-05 11:00", category_code=None)
    q = Query(Period.containing("month", datetime(2026, 3, 1).date()))
    p = case_panels(c, q)
    got = dict(zip(p.handling["lo"], p.handling["cases"], strict=True))
    assert (got[4.0], got[0.0], got[168.0], sum(got.values())) == (1, 1, 1, 3)
    assert_frame_equal(p.handling, explore.handling_distribution(c, q), check_dtype=False)
    assert p.trend["cases"].sum() == 5 and p.previous["cases"].sum() == 1
    assert_frame_equal(p.categories, explore.case_counts(c, q, "major"), check_dtype=False)
    assert_frame_equal(case_panels(c, q.previous()).categories, explore.case_counts(c, q.previous(), "major"),
                       check_dtype=False)


def test_kpi_scan_with_one_previous_and_breaches_from_rates(con: duckdb.DuckDBPyConnection) -> None:
    """The /cases KPI strip: ``indicator_values(previous=[...])`` gives the same current values as the
    full two-period scan, the previous value only where asked; the urgent breach counts are the urgent
    rates' denominators − numerators (``breach_totals``), equal to ``urgent_breaches``' totals."""
    import metrics
    from metrics.stations import breach_totals

    ids = ["registered", "proactive_rate", "closure_rate", "handling_p50", "urgent_arrival_rate",
           "urgent_result_rate", "overdue_backlog"]
    first, last = con.execute("SELECT min(reported_at), max(reported_at) FROM cases").fetchone()
    span = Query(Period(datetime.combine(first.date(), datetime.min.time()),
                        datetime.combine(last.date(), datetime.min.time()) + timedelta(days=1), "custom"))
    queries = _queries(con)[:4] + _queries(con)[8:] + [span]
    for q in queries:
        full = metrics.indicator_values(con, ids, q)
        one = metrics.indicator_values(con, ids, q, previous=["registered"])
        for k in ids:
            assert (one[k].numerator, one[k].denominator, one[k].value) == \
                   (full[k].numerator, full[k].denominator, full[k].value), k
        assert one["registered"].previous_value == full["registered"].previous_value
        assert all(one[k].previous_value is None for k in ids[1:])
        assert breach_totals(one) == tuple(metrics.urgent_breaches(con, q, kind, limit=0)[1]
                                           for kind in ("arrival", "result"))
    # the fixture has breaches to compare over its whole span (this month may hold none: the test
    # warehouse ends at the wall clock)
    assert sum(metrics.urgent_breaches(con, q, kind, limit=0)[1] for q in queries
               for kind in ("arrival", "result")) > 0


def test_station_breakdowns_from_one_scan(con: duckdb.DuckDBPyConnection) -> None:
    """/stations: majors and departments of the station cases (any station, one station, a due-month
    drill) equal ``explore.case_counts``' two separate reads."""
    from metrics.case_panels import category_department_counts

    q = _queries(con)[0]
    station = con.execute("SELECT station_code FROM cases WHERE station_code IS NOT NULL GROUP BY 1 "
                          "ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    month = f"{q.period.start:%Y-%m}"
    drills = [Drill("station", "*"), Drill("station", station), Drill("due_month", month),
              Drill("due_month", f"{month}:{station}")]
    nonempty = 0
    for qq in (q, _queries(con)[8]):
        for d in drills:
            majors, depts = category_department_counts(con, qq, d)
            assert_frame_equal(majors, explore.case_counts(con, qq, "major", d), check_dtype=False)
            assert_frame_equal(depts, explore.case_counts(con, qq, "department", d), check_dtype=False)
            nonempty += len(majors) > 0 and len(depts) > 0
    assert nonempty >= 2


def test_overdue_cases_one_statement_matches_count_and_order(con: duckdb.DuckDBPyConnection) -> None:
    from metrics.compiler import as_of
    from metrics.indicators import data_now

    for q in _queries(con)[:4]:
        for d, limit in ((None, 20), (Drill("station", "*"), 5), (None, 0)):
            page, total = explore.overdue_cases(con, q, d, limit)
            a = as_of(q.period, data_now(con))
            where = ("NOT coalesce(cancelled, false) AND registered_at < $a AND (closed_at IS NULL OR closed_at >= $a) "
                     "AND deadline_at < $a" + (" AND station_code IS NOT NULL" if d else ""))
            args: dict[str, object] = {"a": a}
            if q.unit:
                where += " AND (town_code = $u OR grid_code = $u OR village_code = $u OR district_code = $u)"
                args["u"] = q.unit
            sql = f"SELECT case_id FROM cases WHERE {where} ORDER BY deadline_at, case_id"
            want = con.execute(sql, args).fetchall()
            assert total == len(want)
            assert list(page["case_id"]) == [r[0] for r in want[:limit]]
            assert list(page.columns)[:2] == ["case_id", "category_code"]
    assert explore.overdue_cases(con, _queries(con)[0])[1] > 0  # the fixture has overdue cases


def test_map_points_recent_first_are_the_same_rows(con: duckdb.DuckDBPyConnection) -> None:
    """``case_points`` looks in the last days first; it returns exactly the newest ``limit`` cases of the
    period, as reading the whole period does (with limits the recent days do and do not fill)."""
    for q in _queries(con)[:3] + _queries(con)[3:4]:
        for limit in (5, 50, 100_000):
            fast = explore.case_points(con, q, limit)
            full = explore.case_points(con, q, limit, recent_days=None)
            assert_frame_equal(fast, full)
            assert len(full) == min(limit, explore.rows(con, "cases", q, limit=0)[1] - con.execute(
                "SELECT count(*) FROM cases WHERE lon IS NULL AND NOT coalesce(cancelled, false) "
                "AND reported_at >= $s AND reported_at < $e" + (" AND town_code = $u" if q.unit else ""),
                {"s": q.period.start, "e": q.period.end, **({"u": q.unit} if q.unit else {})}).fetchone()[0])


def _panel_queries(con: duckdb.DuckDBPyConnection, n: int, seed: int) -> list[Query]:
    """Random midnight-aligned periods (days to years, running ones), scopes at every level and none,
    sometimes a filter: the panels rollup answers some, rows the others."""
    rng = random.Random(seed)
    lo, hi = con.execute("SELECT min(reported_at)::DATE, max(reported_at)::DATE FROM cases").fetchone()  # type: ignore[misc]
    units = [r[0] for r in con.execute("SELECT unit_code FROM org_unit ORDER BY unit_code").fetchall()]
    towns = [r[0] for r in con.execute("SELECT DISTINCT town_code FROM cases WHERE town_code IS NOT NULL "
                                       "ORDER BY 1").fetchall()]
    cats = [r[0] for r in con.execute("SELECT DISTINCT category_code FROM cases WHERE category_code IS NOT NULL "
                                      "ORDER BY 1").fetchall()]
    out = []
    for _ in range(n):
        day = lo + timedelta(days=rng.randrange((hi - lo).days + 1))
        grain = rng.choice(["day", "week", "month", "quarter", "year", "custom"])
        if grain == "custom":
            period = Period.custom(day, day + timedelta(days=rng.randrange(60)))
        else:
            period = Period.containing(grain, day)  # type: ignore[arg-type]
            if rng.random() < 0.4:
                period = period.to_date(period.start.date() + timedelta(days=rng.randrange(int(period.days))))
        out.append(Query(period, unit=rng.choice([None, None, rng.choice(towns), *rng.sample(units, 2)]),
                         category=rng.choice([None] * 4 + [rng.choice(cats)[:3]]),
                         urgency=rng.choice([None] * 4 + ["urgent"])))
    return out


def test_panels_from_the_rollup_equal_the_rows_over_random_queries(con: duckdb.DuckDBPyConnection) -> None:
    assert rollups.ready(con)
    answered = checked = 0
    grains = set()
    for q in _panel_queries(con, 80, seed=19):
        fast, rows = case_panels(con, q), case_panels(con, q, use_rollups=False)
        level = unit_level(con, q.unit)
        from_rollup = _from_rollup(con, q, level, ORG_LEVEL_COLUMN[fast.level]) is not None
        answered += from_rollup
        if from_rollup:
            grains.add(PR.grain_for(q.unit and ORG_LEVEL_COLUMN[str(level)], ORG_LEVEL_COLUMN[fast.level]))
        for name in ("trend", "previous", "categories", "units", "heat", "handling"):
            assert_frame_equal(getattr(fast, name), getattr(rows, name), check_dtype=False, obj=f"{name} {q}")
        assert fast.level == rows.level
        checked += int(rows.trend["cases"].sum()) if from_rollup else 0
    assert answered >= 12 and checked > 1000  # the rollup answered many, and they counted real cases
    assert grains == {"district", "town"}  # both grains


def test_panels_are_read_from_the_rollup(tiny_warehouse: Path, tmp_path: Path) -> None:
    """Change one day's rollup rows and the panels move (rows unchanged); off for a filter, a scope
    below the 街镇 or rollups of other declarations."""
    link = copy_warehouse(tiny_warehouse, tmp_path)
    with duckdb.connect(str(link.resolve())) as w:
        table = PR.table("district")  # what a whole-warehouse view reads
        day = w.execute(f"SELECT max(day) FROM {table}").fetchone()[0]  # type: ignore[index]
        q = Query(Period.containing("month", day))
        before = case_panels(w, q)
        w.execute(f"UPDATE {table} SET n = n + 1000 WHERE day = $d", {"d": day})
        after = case_panels(w, q)
        key = f"{day:%Y-%m-%d}"
        rows = w.execute(f"SELECT count(*) FROM {table} WHERE day = $d AND panel = 'unit'",
                         {"d": day}).fetchone()[0]  # type: ignore[index]
        assert (after.trend.set_index("key")["cases"] - before.trend.set_index("key")["cases"]).to_dict() == {
            k: 1000 * rows if k == key else 0 for k in before.trend["key"]}
        assert after.heat["cases"].sum() > before.heat["cases"].sum()
        grid = w.execute("SELECT grid_code FROM cases WHERE grid_code IS NOT NULL LIMIT 1").fetchone()[0]  # type: ignore[index]
        for rows_only in (Query(q.period, urgency="urgent"), Query(q.period, unit=grid)):
            assert_frame_equal(case_panels(w, rows_only).trend, case_panels(w, rows_only, use_rollups=False).trend)
        w.execute("UPDATE warehouse_meta SET value = 'other' WHERE key = 'rollups'")
        assert_frame_equal(case_panels(w, q).trend, before.trend)
