"""The compiled statements as a SQLGlot tree (``metrics.dialect``): DuckDB's text is unchanged, the
tree written back for DuckDB gives the same numbers, and the Spark form spells the portable rewrites."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import duckdb
import pytest

from metrics.catalog import INDICATORS
from metrics.compiler import compile_period_table, compile_scan
from metrics.config import measure_params, metrics_overrides
from metrics.dialect import bind, emit
from metrics.indicators import data_now, unit_level
from metrics.query import Period, Query
from tests.dashboard.minimal_warehouse import read_only_warehouse

con = pytest.fixture(scope="module", name="con")(read_only_warehouse)
WEIGHTS = measure_params(metrics_overrides(None))


def _scan(table: str, con: duckdb.DuckDBPyConnection, by: str | None) -> tuple[str, dict[str, object]]:
    now = data_now(con)
    assert now is not None
    month = Period.containing("month", (now - timedelta(days=1)).date())
    inds = [i for i in INDICATORS if i.table == table]
    comp = compile_scan(table, inds, [month, month.previous()], by, Query(month), unit_level(con, None), now, WEIGHTS)
    return comp.sql, comp.params


def test_duckdb_text_is_the_compilers_own() -> None:
    sql = "SELECT count_if(x > $a) FROM t GROUP BY ALL"
    assert emit(sql, "duckdb") is sql


@pytest.mark.parametrize("table", ["cases", "hotline_orders", "sensor_alarms"])
@pytest.mark.parametrize("by", [None, "town"])
def test_tree_written_back_for_duckdb_gives_the_same_rows(con: duckdb.DuckDBPyConnection, table: str,
                                                          by: str | None) -> None:
    sql, params = _scan(table, con, by)
    direct = con.execute(sql, params).fetchall()
    via_tree = emit(sql, "duckdb", params, via_tree=True)
    assert "count_if" not in via_tree.lower() and "COUNT_IF" not in via_tree
    again = con.execute(via_tree, params).fetchall()
    assert direct, "the tiny demo has rows in the month"
    assert len(direct) == len(again)
    for a, b in zip(sorted(direct, key=str), sorted(again, key=str), strict=True):
        for x, y in zip(a, b, strict=True):
            # count_if over no row is 0, its portable sum(CASE ...) NULL: value_of reads both as 0
            if isinstance(x, float) or isinstance(y, float):
                assert (x is None and y is None) or math.isclose(x, y, rel_tol=0, abs_tol=1e-9)
            else:
                assert x == y or (x == 0 and y is None)


def test_spark_form_of_a_scan() -> None:
    ind = next(i for i in INDICATORS if i.id == "handling_p90")
    p = Period(datetime(2026, 3, 1), datetime(2026, 4, 1), "month")
    comp = compile_scan("cases", [ind], [p], "town", Query(p), None, datetime(2026, 3, 20, 8), WEIGHTS)
    spark = emit(comp.sql, "spark", comp.params)
    assert "PERCENTILE(m_handling_seconds, 0.9) FILTER(WHERE" in spark  # seconds, divided after
    assert "QUANTILE" not in spark.upper() and "COUNT_IF" not in spark.upper()
    assert "SUM(CASE WHEN f_closed_in_period_p0 THEN 1 ELSE 0 END)" in spark
    assert "/ CAST(3600.0 AS DOUBLE)" in spark  # a DECIMAL would round the hours to 6 places
    assert "DATE_TRUNC('SECOND', registered_at)" in spark
    assert "CAST(:s0 AS TIMESTAMP_NTZ)" in spark and "$" not in spark
    assert bind(comp.params, "spark")["s0"] == "2026-03-01 00:00:00"
    assert bind(comp.params, "duckdb")["s0"] == datetime(2026, 3, 1)


def test_a_zoneless_timestamp_stays_zoneless_on_spark() -> None:
    out = emit("SELECT CAST(CAST(t AS DATE) AS TIMESTAMP) + INTERVAL 1 DAY FROM x", "spark")
    assert out == "SELECT CAST(CAST(t AS DATE) AS TIMESTAMP_NTZ) + INTERVAL '1' DAY FROM x"


def test_group_by_all_becomes_explicit() -> None:
    out = emit("SELECT town_code, date_trunc('month', t) AS m, count(*) AS n FROM x GROUP BY ALL", "spark")
    assert out.endswith("GROUP BY town_code, DATE_TRUNC('MONTH', t)")


def test_period_table_groups_every_level_in_one_statement() -> None:
    inds = [i for i in INDICATORS if i.table == "sensor_alarms"]
    comp = compile_period_table("sensor_alarms", inds, [None, "district", "unit"])
    assert "GROUPING SETS ((k_district, period_id), (k_unit, period_id), (period_id))" in comp.sql
    assert "started_at >= m.s AND started_at < m.e" in comp.sql
    assert comp.params == {}
