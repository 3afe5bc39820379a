"""Rollups (metrics/rollups.py): which indicators they serve, the generated ETL module, and the
property that matters: read from the rollups, every additive indicator equals its computation from
rows, over random periods, units, filters and groupings of the tiny demo (built by the real ETL,
which builds the rollups at load)."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from metrics import rollups
from metrics.catalog import BY_ID, INDICATORS
from metrics.indicators import indicator_values, scan, unit_level
from metrics.query import Period, Query
from tests.dashboard.minimal_warehouse import copy_warehouse, read_only_warehouse

con = pytest.fixture(scope="module", name="con")(read_only_warehouse)

ADDITIVE = {"registered", "supervision_rate", "proactive_rate", "escalation_rate", "urgent_arrival_rate",
            "urgent_result_rate", "hotline_orders", "hotline_first_contact_rate", "hotline_resolution_rate",
            "hotline_satisfaction_rate", "alarms", "alarms_severe", "alarm_case_rate"}


def test_the_additive_indicators_are_those_of_one_anchored_predicate() -> None:
    assert {i.id for i in INDICATORS if rollups.additive(i)} == ADDITIVE
    # stock at an instant, a second timestamp tied to the period end, a quantile: exact from rows
    for not_additive in ("due", "closure_rate", "open_backlog", "hotline_closure_rate", "hotline_ontime_rate",
                         "handling_p50", "hotline_close_p50"):
        assert rollups.rollup_of(BY_ID[not_additive]) is None, not_additive


def test_the_satisfaction_score_is_kept_as_one_count_per_weighted_answer() -> None:
    r = rollups.rollup_of(BY_ID["hotline_satisfaction_rate"])
    assert r is not None and r.name == "rollup_hotline_orders_received"
    weighted = {p.weight for p in rollups.parts_of(rollups.fact_table("hotline_orders"),
                                                    BY_ID["hotline_satisfaction_rate"].numerator)}
    assert weighted == {"w_satisfied", "w_basic", "w_unsatisfied"}


def test_the_coarsest_rollup_that_can_answer_is_read() -> None:
    ind, p = BY_ID["proactive_rate"], Period.containing("month", date(2026, 3, 1))
    name = lambda q, by=None, level=None: getattr(rollups.readable(ind, by, q, level), "name", None)  # noqa: E731
    assert name(Query(p)) == "rollup_cases_registered_by_village"
    assert name(Query(p, unit="T1"), "village", "town") == "rollup_cases_registered_by_village"
    assert name(Query(p, unit="M1"), None, "microgrid") == "rollup_cases_registered"  # below the village
    assert name(Query(p), "unit") == "rollup_cases_registered"
    assert name(Query(p, urgency="urgent")) == "rollup_cases_registered"  # a filter dimension
    assert name(Query(p), "station") is None  # not a rollup dimension: from rows
    assert rollups.readable(BY_ID["closure_rate"], None, Query(p), None) is None


def test_the_etl_module_is_generated_from_the_declarations() -> None:
    assert rollups.GENERATED.read_text(encoding="utf-8") == rollups.generated_module(), \
        "etl/rollup_sql.py is stale: run `python -m metrics.rollups`"


def test_the_build_sql_is_a_plain_declared_aggregate() -> None:
    # another engine (Spark, through SQLGlot) builds the same rollups from this text
    for spec in rollups.SPECS:
        sql = spec.build_sql.upper()
        assert "GROUP BY ALL" not in sql and "COUNT_IF" not in sql and "FILTER (" not in sql
        assert sql.count("SUM(CASE WHEN") == sum(c.name.startswith("n_") for c in spec.columns)


def test_the_tiny_demo_has_current_rollups(con: duckdb.DuckDBPyConnection) -> None:
    assert rollups.ready(con)
    n = con.execute("SELECT sum(n_registered) FROM rollup_cases_registered").fetchone()
    rows = con.execute("SELECT count(*) FROM cases WHERE registered_at IS NOT NULL"
                       " AND NOT coalesce(cancelled, false)").fetchone()
    assert n is not None and rows is not None and n[0] == rows[0] > 0


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _nonzero(per_key: dict[str, list[tuple[float | None, float | None, float | None]]]) -> dict[str, list]:
    """Keys with any count: a rollup has no row for a unit whose rows (open backlog...) the raw scan's
    window kept without counting any (both give that unit nothing; pages fill it from the unit list)."""
    return {k: v for k, v in per_key.items() if any(x not in (None, 0.0) for t in v for x in t)}


def random_queries(con: duckdb.DuckDBPyConnection, n: int, seed: int
                   ) -> Iterator[tuple[Query, list[Period], str | None]]:
    rng = random.Random(seed)
    lo, hi = con.execute("SELECT min(registered_at)::DATE, max(registered_at)::DATE FROM cases").fetchone()  # type: ignore[misc]
    units = [r[0] for r in con.execute("SELECT unit_code FROM org_unit ORDER BY unit_code").fetchall()]
    cats = [r[0] for r in con.execute("SELECT DISTINCT category_code FROM cases ORDER BY 1").fetchall() if r[0]]
    hot_cats = [r[0] for r in con.execute("SELECT DISTINCT category FROM hotline_orders ORDER BY 1").fetchall()
                if r[0]]
    sources = [r[0] for r in con.execute("SELECT DISTINCT source FROM cases ORDER BY 1").fetchall() if r[0]]
    statuses = [r[0] for r in con.execute("SELECT DISTINCT status FROM cases ORDER BY 1").fetchall() if r[0]]
    span = (hi - lo).days
    for _ in range(n):
        day: date = lo + timedelta(days=rng.randrange(span + 1))
        grain = rng.choice(["day", "week", "month", "quarter", "year", "custom"])
        if grain == "custom":
            period = Period.custom(day, day + timedelta(days=rng.randrange(60)))
        else:
            period = Period.containing(grain, day)  # type: ignore[arg-type]
            if rng.random() < 0.4:  # running: its days up to a day inside it, compared with the same days (同期)
                period = period.to_date(period.start.date() + timedelta(days=rng.randrange(int(period.days))))
        cat = rng.choice([None, None, rng.choice(cats), rng.choice(cats)[:3], rng.choice(hot_cats)])
        q = Query(period, unit=rng.choice([None, *rng.sample(units, 3)]), category=cat,
                  source=rng.choice([None, None, *sources[:3]]), urgency=rng.choice([None, None, "urgent", "general"]),
                  status=rng.choice([None, None, None, *statuses[:3]]))
        periods = [period, period.previous()] if rng.random() < 0.7 else [period]
        yield q, periods, rng.choice([None, None, "district", "town", "grid", "village", "unit"])


def test_rollups_equal_the_raw_computation_over_random_queries(con: duckdb.DuckDBPyConnection) -> None:
    inds = [i for i in INDICATORS if i.id in ADDITIVE]
    checked = 0
    grains = set()
    for q, periods, by in random_queries(con, 160, seed=19):
        level = unit_level(con, q.unit)
        grains |= {r.grain for i in inds if (r := rollups.readable(i, by, q, level)) is not None}
        fast = scan(con, inds, q, periods, by)
        raw = scan(con, inds, q, periods, by, use_rollups=False)
        for ind in inds:
            a, b = _nonzero(fast.get(ind.id, {})), _nonzero(raw.get(ind.id, {}))
            assert a.keys() == b.keys(), (ind.id, q, by)
            for key in b:
                for x, y in zip(a[key], b[key], strict=True):
                    assert all(_close(u, v) for u, v in zip(x, y, strict=True)), (ind.id, q, by, key, x, y)
                    checked += any(v not in (None, 0.0) for v in y)
    assert checked > 400  # the loop compared real numbers, not empty scopes
    assert grains == {"unit", "village"}  # and read both grains of rollup


def test_a_value_is_read_from_the_rollup(tiny_warehouse: Path, tmp_path: Path) -> None:
    """Change one day's rollup rows and the KPI moves: the read path really reads them (raw rows unchanged)."""
    link = copy_warehouse(tiny_warehouse, tmp_path)
    table = "rollup_cases_registered_by_village"  # what a whole-warehouse KPI reads (the coarsest)
    with duckdb.connect(str(link.resolve())) as w:
        day, n = w.execute(f"SELECT day, count(*) FROM {table} GROUP BY day ORDER BY day DESC LIMIT 1").fetchone()  # type: ignore[misc]
        q = Query(Period.containing("day", day))
        assert getattr(rollups.readable(BY_ID["registered"], None, q, None), "name", None) == table
        before = indicator_values(w, ["registered"], q)["registered"].value
        w.execute(f"UPDATE {table} SET n_registered = n_registered + 1000 WHERE day = $d", {"d": day})
        assert indicator_values(w, ["registered"], q)["registered"].value == (before or 0) + 1000 * n
        # a warehouse whose rollups are of other declarations is read from rows
        w.execute("UPDATE warehouse_meta SET value = 'other' WHERE key = 'rollups'")
        assert indicator_values(w, ["registered"], q)["registered"].value == before
