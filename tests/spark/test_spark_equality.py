"""Proof of equality: the tiny demo's raw tables exported to Parquet (partitioned by day and district),
the indicator tables and rollups built by the Spark job in local mode, every value compared with what
the dashboard's DuckDB path computes from the warehouse (``indicators.scan``, the pages' own call):
equal, floats within 1e-9."""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb

from etl.export import FACT_DAYS, sql_string
from etl.rollup_sql import ROLLUPS
from metrics.catalog import INDICATORS
from metrics.indicator_tables import LEVELS, period_rows
from metrics.indicators import scan, value_of
from metrics.predicates import TABLES
from metrics.query import Period, Query
from tests.spark.conftest import read_output


def test_export_is_partitioned_by_day_and_district(built: dict[str, Any], tiny_warehouse: Path) -> None:
    raw = built["root"] / "raw"
    con = duckdb.connect(str(tiny_warehouse), read_only=True)
    for table in FACT_DAYS:
        parts = list((raw / table).glob("day=*/district=*/*.parquet"))
        assert len(parts) > 10, table
        n = duckdb.sql(f"SELECT count(*) FROM read_parquet({sql_string(raw / table / '**' / '*.parquet')})").fetchone()
        assert n == con.execute(f"SELECT count(*) FROM {table}").fetchone(), table
    # drill-through at city scale: one day and district read from its partition alone, the same rows
    day_dir = sorted((raw / "cases").glob("day=*/district=*"))[-2]
    day, district = day_dir.parent.name.split("=")[1], day_dir.name.split("=")[1]
    ids = duckdb.sql(f"SELECT case_id FROM read_parquet({sql_string(day_dir / '*.parquet')}) ORDER BY 1").fetchall()
    want = con.execute(f"SELECT case_id FROM cases WHERE CAST({FACT_DAYS['cases']} AS DATE) = CAST($d AS DATE) "
                       "AND district_code = $k ORDER BY 1", {"d": day, "k": district}).fetchall()
    assert ids == want and len(ids) > 0


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None or (isinstance(a, float) and math.isnan(a)):
        return (a is None or math.isnan(a)) and (b is None or math.isnan(b))
    return abs(a - b) <= 1e-9


def test_every_indicator_value_equals_duckdb(built: dict[str, Any], tiny_warehouse: Path) -> None:
    rows = read_output(built["root"], "spark/indicator_values")
    groups: dict[tuple[str, str, Any, Any], dict[tuple[str, str], dict[str, Any]]] = defaultdict(dict)
    for r in rows:
        groups[(r["level"], r["grain"], r["period_start"], r["period_end"])][(r["metric_id"], r["key"] or "")] = r
    periods = period_rows(built["first"], built["now"].date(), built["now"])
    con = duckdb.connect(str(tiny_warehouse), read_only=True)
    # every level the rows fill × every period of the job is there (the tiny demo has rows in each)
    filled = {lv or "all" for lv in LEVELS
              if lv is None or con.execute(f"SELECT count({TABLES['cases'].keys[lv]}) FROM cases").fetchone()[0]}
    assert {"all", "district", "town", "village", "unit"} <= filled
    assert {(lv, p.s) for lv, _, p_s, _ in groups for p in periods if p.s == p_s} == {
        (lv, p.s) for lv in filled for p in periods}
    checked = nonzero = 0
    for (level, grain, start, end), got in groups.items():
        period = Period(start, end, grain)
        want = scan(con, INDICATORS, Query(period), [period], None if level == "all" else level, now=built["now"])
        for ind in INDICATORS:
            keys = set(want.get(ind.id, {})) | {k for m, k in got if m == ind.id}
            for key in keys:
                n, d, v = want.get(ind.id, {}).get(key, [value_of(ind, None, None)])[0]
                r = got.get((ind.id, key))
                sn, sd, sv = (r["numerator"], r["denominator"], r["value"]) if r else value_of(ind, None, None)
                assert _close(sn, n) and _close(sd, d) and _close(sv, v), (
                    level, grain, start, ind.id, key, (sn, sd, sv), (n, d, v))
                checked += 1
                nonzero += bool(v)
    assert checked > 5000 and nonzero > 1000, (checked, nonzero)
    # the quantiles were compared too (Spark's percentile against DuckDB's quantile_cont)
    assert any(r["metric_id"] == "handling_p90" and r["value"] for r in rows)


def test_duckdb_runs_the_same_statements(built: dict[str, Any]) -> None:
    spark_rows = read_output(built["root"], "spark/indicator_values")
    duck_rows = read_output(built["root"], "duckdb/indicator_values")
    key = ("fact", "level", "key", "grain", "period_start", "metric_id")
    s = {tuple(r[k] for k in key): r for r in spark_rows}
    d = {tuple(r[k] for k in key): r for r in duck_rows}
    assert set(s) == set(d)
    assert all(_close(s[k][c], d[k][c]) for k in s for c in ("numerator", "denominator", "value"))
    assert built["report"].statements == built["duck"].statements == 3 + len(ROLLUPS)


def test_every_rollup_cell_equals_the_warehouse(built: dict[str, Any], tiny_warehouse: Path) -> None:
    con = duckdb.connect(str(tiny_warehouse), read_only=True)
    assert len(ROLLUPS) >= 4
    for spec in ROLLUPS:
        got = read_output(built["root"], f"spark/rollups/{spec.name}")
        cur = con.execute(f"SELECT * FROM {spec.name}")
        names = [c[0] for c in cur.description]
        want = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        assert want, spec.name
        assert _cells(got, names) == _cells(want, names), spec.name


def _cells(rows: list[dict[str, Any]], names: list[str]) -> list[tuple[str, ...]]:
    """A rollup's rows as sorted text tuples of its declared columns (a Parquet day is a DATE both ways)."""
    return sorted(tuple(str(r[n]) for n in names) for r in rows)


def test_commands_export_and_build(built: dict[str, Any], tiny_warehouse: Path, tmp_path: Path) -> None:
    """`vitals etl export` then `vitals spark rollups --engine duckdb` (the Spark engine is the one the
    tests above ran): the files the dashboard's DuckDB reads, and a clear error for a missing input."""
    from typer.testing import CliRunner

    from dashboard.cli import app

    cli = CliRunner()
    res = cli.invoke(app, ["etl", "export", "--out", str(tmp_path / "raw"), "--warehouse", str(tiny_warehouse)])
    assert res.exit_code == 0, res.output
    assert "cases" in res.output and (tmp_path / "raw" / "cases").is_dir()
    res = cli.invoke(app, ["spark", "rollups", "--engine", "duckdb", "--path", str(tmp_path / "raw"), "--out",
                           str(tmp_path / "out"), "--start", str(built["first"])])
    assert res.exit_code == 0, res.output
    assert f"duckdb: {3 + len(ROLLUPS)} statements" in res.output
    mine = {(r["fact"], r["level"], r["key"], r["period_start"], r["metric_id"]): r["value"]
            for r in read_output(tmp_path, "out/indicator_values")}
    theirs = {(r["fact"], r["level"], r["key"], r["period_start"], r["metric_id"]): r["value"]
              for r in read_output(built["root"], "spark/indicator_values")}
    assert mine.keys() == theirs.keys()
    res = cli.invoke(app, ["spark", "rollups", "--path", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")])
    assert res.exit_code != 0 and "not a directory" in res.output


def test_the_sites_metrics_section_applies(built: dict[str, Any], tiny_warehouse: Path, tmp_path: Path) -> None:
    """`--config`: the site's satisfaction weights change 市民满意率 in the batch as on the pages."""
    from typer.testing import CliRunner

    from dashboard.cli import app
    from metrics.indicators import indicator_values

    cfg = tmp_path / "vitals.toml"
    cfg.write_text("[metrics.hotline.satisfaction_weights]\nbasic = 0.5\n", encoding="utf-8")
    month = Period.containing("month", built["first"])
    res = CliRunner().invoke(app, ["spark", "rollups", "--engine", "duckdb", "--path", str(built["root"] / "raw"),
                                   "--out", str(tmp_path / "out"), "--start", str(month.start.date()),
                                   "--end", str(month.start.date()), "--config", str(cfg)])
    assert res.exit_code == 0, res.output
    got = {r["grain"]: r["value"] for r in read_output(tmp_path, "out/indicator_values") if r["level"] == "all"
           and r["metric_id"] == "hotline_satisfaction_rate" and r["period_start"] == month.start}
    con = duckdb.connect(str(tiny_warehouse), read_only=True)
    site = indicator_values(con, "hotline_satisfaction_rate", Query(month), overrides={
        "hotline": {"satisfaction_weights": {"basic": 0.5}}}, now=built["now"])["hotline_satisfaction_rate"]
    default = indicator_values(con, "hotline_satisfaction_rate", Query(month),
                               now=built["now"])["hotline_satisfaction_rate"]
    assert site.value is not None and default.value is not None and site.value < default.value
    assert _close(got["month"], site.value)
