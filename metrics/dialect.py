"""The compiled statements as a SQLGlot syntax tree, emitted for one engine: DuckDB or Spark SQL.

``metrics.compiler`` writes its statements in DuckDB's SQL from the declared fragments; ``tree``
parses one into a SQLGlot expression, and ``emit`` writes that tree for an engine after rewriting
what SQLGlot does not translate into something that runs there with the same result (docs/scale.md,
"One definition, two engines"):

- ``count_if(c)`` becomes ``sum(CASE WHEN c THEN 1 ELSE 0 END)`` (Trino, ClickHouse, Spark, Postgres
  all run it; over no rows it is NULL where count_if is 0, which ``indicators.value_of`` reads as 0);
- ``quantile_cont(x, q) FILTER (WHERE c)`` becomes Spark's ``percentile(x, q) FILTER (WHERE c)``: the
  same linear interpolation between the closest ranks;
- a decimal literal (``3600.0``) is a DOUBLE in DuckDB's division but a DECIMAL in Spark's, which
  rounds to 6 places: Spark gets ``CAST(3600.0 AS DOUBLE)``;
- a cast to ``TIMESTAMP`` (DuckDB's has no zone) is a cast to Spark's ``TIMESTAMP_NTZ``;
- ``date_diff('second', a, b)`` counts second boundaries in DuckDB; Spark's ``timestampdiff`` counts
  elapsed seconds: Spark gets both instants truncated to the second first;
- ``GROUP BY ALL`` becomes the explicit list of the non-aggregate select expressions;
- ``isodow`` (Monday 1 … Sunday 7; SQLGlot's Spark form makes Sunday 2), ``time_bucket`` (whole
  buckets since DuckDB's origin, Monday 3 January 2000) and ``list_extract`` (``element_at``) get
  Spark forms of their own;
- ``$name`` parameters become ``:name`` for Spark (``SparkSession.sql(sql, args=...)``), a datetime
  bound as its ISO text cast to ``TIMESTAMP_NTZ``: the warehouse's times are local wall-clock times
  (Parquet ``isAdjustedToUTC=false``, read by Spark as ``TIMESTAMP_NTZ``), so no time zone — the
  JVM's, the session's or Python's — ever shifts a bound.

The DuckDB statement the dashboard runs is the compiler's own text, unchanged (``emit(sql, "duckdb")``
returns it as is): parsing and re-writing it per request would add milliseconds to every callback
for no change in meaning. ``emit(sql, "duckdb", via_tree=True)`` writes the tree back for DuckDB; a
test runs both on the warehouse and compares.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Literal

import sqlglot
from sqlglot import exp

Engine = Literal["duckdb", "spark"]
ENGINES: tuple[Engine, ...] = ("duckdb", "spark")


@lru_cache(maxsize=256)
def _parsed(sql: str) -> exp.Expr:
    parsed: exp.Expr = sqlglot.parse_one(sql, read="duckdb")
    return parsed


def tree(sql: str) -> exp.Expr:
    """The syntax tree of one compiled (DuckDB) statement: a fresh copy the caller may rewrite."""
    return _parsed(sql).copy()


def emit(sql: str, engine: Engine, params: Mapping[str, Any] | None = None, via_tree: bool = False) -> str:
    """``sql`` (compiled for DuckDB) written for ``engine``. ``params``: the values it will be bound
    with (Spark casts the datetime ones to ``TIMESTAMP_NTZ``)."""
    if engine == "duckdb" and not via_tree:
        return sql
    t = portable(tree(sql))
    if engine == "spark":
        t = _for_spark(t, params or {})
    elif engine != "duckdb":
        raise ValueError(f"unknown engine {engine!r}")
    return t.sql(dialect=engine)


def bind(params: Mapping[str, Any], engine: Engine) -> dict[str, Any]:
    """The parameter values as ``engine``'s client takes them: Spark gets datetimes (and dates) as ISO
    text, which ``emit`` casts in SQL."""
    if engine == "duckdb":
        return dict(params)
    return {k: _iso(v) if isinstance(v, (datetime, date)) else v for k, v in params.items()}


def _iso(v: datetime | date) -> str:
    return v.isoformat(sep=" ") if isinstance(v, datetime) else v.isoformat()


def portable(t: exp.Expr) -> exp.Expr:
    """Rewrites that keep the meaning on every engine (``count_if``, ``GROUP BY ALL``)."""
    t = t.transform(_count_if)
    for select in t.find_all(exp.Select):
        group = select.args.get("group")
        if group is not None and group.args.get("all"):
            keys = [e.unalias().copy() for e in select.expressions if not e.find(exp.AggFunc)]
            select.set("group", exp.Group(expressions=keys))
    return t


def _count_if(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.CountIf):
        return exp.Sum(this=exp.Case(ifs=[exp.If(this=node.this.copy(), true=exp.Literal.number(1))],
                                     default=exp.Literal.number(0)))
    return node


def _for_spark(t: exp.Expr, params: Mapping[str, Any]) -> exp.Expr:
    # a node ``transform`` replaces is not visited again: each rewrite transforms the children it keeps
    def sub(e: exp.Expr) -> exp.Expr:
        return e.transform(rewrite)

    def rewrite(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.PercentileCont):
            # the fraction stays a literal: Spark wants a constant there, and 0.9 as DECIMAL is exact
            return exp.Anonymous(this="percentile", expressions=[sub(node.this), node.expression.copy()])
        if isinstance(node, exp.Literal) and not node.is_string and "." in node.name:
            return exp.Cast(this=node.copy(), to=exp.DataType.build("double"))
        if isinstance(node, exp.DateDiff) and node.args.get("date_part_boundary"):
            unit = node.args.get("unit")
            name = unit.name.upper() if unit is not None else "DAY"
            out = node.copy()
            for k in ("this", "expression"):
                out.set(k, exp.Anonymous(this="date_trunc", expressions=[exp.Literal.string(name), sub(node.args[k])]))
            return out
        if isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.TIMESTAMP):
            # DuckDB's TIMESTAMP has no zone: Spark's TIMESTAMP_NTZ (its TIMESTAMP is an instant)
            return exp.Cast(this=sub(node.this), to=exp.DataType.build("timestamp_ntz", dialect="spark"))
        if isinstance(node, exp.DayOfWeekIso):  # SQLGlot writes (dayofweek(x) % 7) + 1: Sunday 2, not 7
            dow = exp.Anonymous(this="dayofweek", expressions=[sub(node.this)])
            return exp.Paren(this=exp.Add(this=exp.Mod(this=exp.Paren(this=exp.Add(
                this=dow, expression=exp.Literal.number(5))), expression=exp.Literal.number(7)),
                expression=exp.Literal.number(1)))
        if isinstance(node, exp.DateBin):
            return _time_bucket(node, sub)
        if isinstance(node, exp.Anonymous) and node.name.lower() in ("list_extract", "list_element"):
            return exp.Anonymous(this="element_at", expressions=[sub(e) for e in node.expressions])
        if isinstance(node, exp.Placeholder) and isinstance(params.get(node.name), (datetime, date)):
            kind = "timestamp_ntz" if isinstance(params[node.name], datetime) else "date"
            return exp.Cast(this=node.copy(), to=exp.DataType.build(kind, dialect="spark"))
        return node

    return t.transform(rewrite)


# DuckDB's time_bucket origin for intervals of days or less: Monday 3 January 2000, 00:00
_BUCKET_ORIGIN = "2000-01-03 00:00:00"
_SECONDS = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400, "WEEK": 7 * 86400}


def _time_bucket(node: exp.DateBin, sub: Callable[[exp.Expr], exp.Expr]) -> exp.Expr:
    """``time_bucket(INTERVAL n unit, ts)`` for Spark: whole buckets of n units since DuckDB's origin,
    in zone-free TIMESTAMP_NTZ arithmetic; ``INTERVAL 1 MONTH`` is ``date_trunc('MONTH', ts)``."""
    interval, ts = node.this, node.expression
    if not isinstance(interval, exp.Interval) or node.args.get("zone") is not None or len(node.args) > 3:
        raise ValueError(f"no portable form for {node.sql('duckdb')}")
    n = int(interval.this.name)
    unit = interval.unit.name.upper().rstrip("S") if interval.unit is not None else ""
    if unit == "MONTH" and n == 1:
        return exp.Anonymous(this="date_trunc", expressions=[exp.Literal.string("MONTH"), sub(ts)])
    if unit not in _SECONDS:
        raise ValueError(f"no portable form for {node.sql('duckdb')}")
    width = n * _SECONDS[unit]
    origin = exp.Cast(this=exp.Literal.string(_BUCKET_ORIGIN), to=exp.DataType.build("timestamp_ntz", dialect="spark"))
    elapsed = exp.Anonymous(this="timestampdiff", expressions=[exp.var("SECOND"), origin, sub(ts)])
    buckets = exp.Floor(this=exp.Div(this=elapsed, expression=exp.Literal.number(width)))
    return exp.Anonymous(this="timestampadd", expressions=[
        exp.var("SECOND"), exp.Mul(this=buckets, expression=exp.Literal.number(width)), origin.copy()])
