"""Each DuckDB-only construct ``metrics.dialect`` gives a Spark form runs on Spark with DuckDB's result:
the same statement (DuckDB's SQL) run on both engines over the same rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import duckdb
import pytest

from metrics.dialect import bind, emit

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# a Sunday, a Monday 00:00, a Saturday before midnight with a fractional second, a week-bucket edge
ROWS = """(VALUES
  (1, TIMESTAMP '2026-03-01 10:07:30', TIMESTAMP '2026-03-01 12:07:29.900', 'E0101', [3, 4]),
  (2, TIMESTAMP '2026-03-02 00:00:00', TIMESTAMP '2026-03-02 00:14:59', 'E0203', [5, 6]),
  (3, TIMESTAMP '2026-02-28 23:59:59.500', TIMESTAMP '2026-03-01 00:00:00.400', 'C0101', [7, 8]),
  (4, TIMESTAMP '2026-01-05 00:00:00', TIMESTAMP '2026-01-11 23:59:59', 'E0101', [9, 10])
) AS t(id, a, b, cat, l)"""

EXPRESSIONS = {
    "isodow": "isodow(a)",
    "bucket_15min": "CAST(time_bucket(INTERVAL 15 MINUTE, b) AS VARCHAR)",
    "bucket_hour": "CAST(time_bucket(INTERVAL 1 HOUR, a) AS VARCHAR)",
    "bucket_day": "CAST(time_bucket(INTERVAL 1 DAY, a) AS VARCHAR)",
    "bucket_week": "CAST(time_bucket(INTERVAL 7 DAY, b) AS VARCHAR)",
    "bucket_month": "CAST(time_bucket(INTERVAL 1 MONTH, a) AS VARCHAR)",
    "seconds": "date_diff('second', a, b)",
    "hours": "date_diff('second', a, b) / 3600.0",
    "within_15min": "b <= a + INTERVAL 15 MINUTE",
    "category": "starts_with(cat, $prefix)",
    "after": "a >= $since",
    "second_item": "list_extract(l, 2)",
}


def _both(spark: SparkSession, sql: str, params: dict[str, Any]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    duck = duckdb.connect().execute(sql, params).fetchall()
    spk = [tuple(r) for r in spark.sql(emit(sql, "spark", params), args=bind(params, "spark") or None).collect()]
    return duck, spk


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_row_expression(spark: SparkSession, name: str) -> None:
    from datetime import datetime

    sql = f"SELECT id, {EXPRESSIONS[name]} AS v FROM {ROWS} ORDER BY id"
    params = {k: v for k, v in {"prefix": "E01", "since": datetime(2026, 3, 1, 10, 7, 30)}.items()
              if f"${k}" in sql}
    duck, spk = _both(spark, sql, params)
    assert len(duck) == 4
    assert [(i, float(v) if isinstance(v, float) else v) for i, v in spk] == duck, emit(sql, "spark", params)


def test_aggregates(spark: SparkSession) -> None:
    sql = (f"SELECT cat, count_if(date_diff('second', a, b) > 60) AS n, "
           f"quantile_cont(date_diff('second', a, b) / 3600.0, 0.5) FILTER (WHERE id > 1) AS med, "
           f"sum(id) FILTER (WHERE cat <> 'x') AS s FROM {ROWS} GROUP BY ALL ORDER BY cat")
    duck, spk = _both(spark, sql, {})
    assert len(duck) == 3
    for d, s in zip(duck, spk, strict=True):
        assert d[0] == s[0] and (d[1] or 0) == (s[1] or 0) and d[3] == s[3]
        assert (d[2] is None and s[2] is None) or abs(d[2] - s[2]) <= 1e-9
