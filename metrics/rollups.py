"""Rollups: the additive parts of the declared indicators, kept per day × leaf unit × filter dimensions.

An aggregate is **additive** when its count over a day-aligned period is the sum of its counts per day:
its one period-dependent predicate is *anchored* (``FactTable.anchors``: "this timestamp column in
[s, e)" and a period-free rest) and its measure is a count, or a weighted count of declared predicates
(``FactTable.linear``: the satisfaction score). Per fact table and anchor column there is a rollup
at two grains (``GRAINS``): ``day`` (of the anchor), the unit path and the table's ``rollup_dims`` (what
the filter bar filters on), and a coarse one of ``day`` and the path down to the village; each has one
count column per part, and a read takes the coarsest that can answer (``readable``). The
indicators whose aggregates are all additive (and anchored at the same column) are read from them;
the others are *exact from rows*: stock figures at an instant (应结案数,
backlogs: ``{a}``, open at the period start), medians and P90s (not additive), and rates whose
numerator ties a second timestamp to the period end (工单办结率's ``closed_at < e``).

``compiler.rollup_select`` renders each rollup's SELECT; ``python -m metrics.rollups`` writes them
into ``etl/rollup_sql.py``, which the ETL builds and refreshes from (``etl.rollups``) without importing
this layer. ``FINGERPRINT`` names the declarations a warehouse's rollups were built from: a warehouse
whose ``warehouse_meta.rollups`` differs (or lacks it) is read from rows.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any, Literal

import duckdb

from etl import schema
from etl.rollup_spec import RollupColumn, RollupSpec

from . import panel_rollup, readings_rollup, stock_rollup
from .catalog import INDICATORS
from .compiler import ORG_LEVEL_COLUMN, Compiled, compile_rollup_scan, depends_on_period, fact_table, rollup_select
from .model import Aggregate, Indicator
from .predicates import TABLES, FactTable
from .query import Period, Query
from .snapshot_facts import fact

UNIT_PATH = (*schema.PATH_COLUMNS, "unit_code")  # city_code ... village_code, unit_code
META_KEY = "rollups"


@dataclass(frozen=True)
class Part:
    """One count column of a rollup: the rows matching every predicate; ``weight``: the parameter it is
    multiplied by when read (a linear measure), None for a plain count."""

    weight: str | None
    predicates: tuple[str, ...]

    @property
    def column(self) -> str:
        return "n_" + "__".join(self.predicates)


def anchor_predicate(ft: FactTable, agg: Aggregate) -> str | None:
    """The anchored predicate that makes ``agg`` additive, or None (then it is exact from rows)."""
    if agg.measure == "quantile" or (agg.measure == "sum" and agg.expr not in ft.linear):
        return None
    dependent = [p for p in agg.filter if depends_on_period(ft, p)]
    if len(dependent) != 1 or dependent[0] not in ft.anchors:
        return None
    return dependent[0]


def parts_of(ft: FactTable, agg: Aggregate) -> tuple[Part, ...]:
    """The count columns an additive aggregate sums (predicates sorted: one column per set)."""
    preds = set(agg.filter)
    if agg.measure == "count":
        return (Part(None, tuple(sorted(preds))),)
    return tuple(Part(w, tuple(sorted(preds | {p}))) for w, p in ft.linear[str(agg.expr)])


# Two grains per fact and anchor, the coarser read whenever it can answer: "unit" keeps the leaf unit and
# every filter dimension (any query), "village" only the path down to the 村居 (no filter, no scope or
# grouping below the village): a day's rows of a whole district fold into a few hundred.
Grain = Literal["unit", "village"]
GRAINS: tuple[Grain, ...] = ("village", "unit")  # coarsest first


@dataclass(frozen=True)
class Rollup:
    fact: str
    anchor: str  # timestamp column
    parts: tuple[Part, ...]  # distinct columns, in declaration order
    grain: Grain = "unit"

    @property
    def name(self) -> str:
        base = f"rollup_{self.fact}_{self.anchor.removesuffix('_at')}"
        return base if self.grain == "unit" else f"{base}_by_{self.grain}"

    @property
    def dims(self) -> tuple[str, ...]:
        if self.grain == "village":
            return schema.PATH_COLUMNS
        return UNIT_PATH + fact_table(self.fact).rollup_dims

    @property
    def columns(self) -> tuple[str, ...]:
        return ("day", *self.dims, *(p.column for p in self.parts))


def anchor_column(ind: Indicator) -> str | None:
    """The one anchor column both of an indicator's aggregates are additive over, or None."""
    ft = fact_table(ind.table)
    anchors = set()
    for agg in (ind.numerator, ind.denominator):
        if agg is None:
            continue
        pred = anchor_predicate(ft, agg)
        if pred is None:
            return None
        anchors.add(ft.anchors[pred])
    return anchors.pop() if len(anchors) == 1 else None


def _declare(indicators: Sequence[Indicator]) -> tuple[Rollup, ...]:
    found: dict[tuple[str, str], dict[str, Part]] = {}
    for ind in indicators:
        anchor = anchor_column(ind)
        if anchor is None:
            continue
        cols = found.setdefault((ind.table, anchor), {})
        for agg in (ind.numerator, ind.denominator):
            for part in parts_of(fact_table(ind.table), agg) if agg is not None else ():
                cols.setdefault(part.column, Part(None, part.predicates))
    return tuple(Rollup(t, a, tuple(cols.values()), g) for (t, a), cols in found.items() for g in reversed(GRAINS))


ROLLUPS: tuple[Rollup, ...] = _declare(INDICATORS)
_BY_ANCHOR = {(r.fact, r.anchor): r for r in ROLLUPS if r.grain == "unit"}
_COARSER = {(r.fact, r.anchor): [c for g in GRAINS for c in ROLLUPS if (c.fact, c.anchor, c.grain) == (*k, g)]
            for k, r in _BY_ANCHOR.items()}


def additive(ind: Indicator) -> bool:
    """Whether the indicator can be read from a rollup (its declaration's rollup exists)."""
    anchor = anchor_column(ind)
    return anchor is not None and (ind.table, anchor) in _BY_ANCHOR


def rollup_of(ind: Indicator) -> Rollup | None:
    anchor = anchor_column(ind)
    return None if anchor is None else _BY_ANCHOR.get((ind.table, anchor))


def spec(r: Rollup) -> RollupSpec:
    ft = TABLES[r.fact]
    types = {c.name: c for c in schema.TABLE_BY_NAME[r.fact].columns}
    cols = (RollupColumn("day", "DATE", f"day of `{r.anchor}`"),
            *(RollupColumn(d, types[d].type, types[d].doc) for d in r.dims),
            *(RollupColumn(p.column, "BIGINT", "rows where " + " and ".join(f"`{n}`" for n in p.predicates))
              for p in r.parts))
    parts = [(p.column, p.predicates) for p in r.parts]
    return RollupSpec(r.name, r.fact, r.anchor, cols, rollup_select(ft, r.anchor, r.dims, parts),
                      rollup_select(ft, r.anchor, r.dims, parts, days=True))


# the declared indicators' rollups, the /cases panels' marginals (``metrics.panel_rollup``), the stock
# rollup (``metrics.stock_rollup``: 应结案数 and the backlogs)
SPECS: tuple[RollupSpec, ...] = (*(spec(r) for r in ROLLUPS), *panel_rollup.SPECS, *stock_rollup.SPECS)
FINGERPRINT = hashlib.sha256("\n".join(s.build_sql for s in SPECS).encode()).hexdigest()[:16]


def ready(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether this warehouse's rollups were built from the current declarations."""
    def look_up() -> bool:
        row = con.execute("SELECT value FROM warehouse_meta WHERE key = $k", {"k": META_KEY}).fetchone()
        return row is not None and row[0] == FINGERPRINT
    return fact(con, "rollups_ready", look_up)


def day_aligned(periods: Sequence[Period]) -> bool:
    return all(p.start.time() == time() and p.end.time() == time() for p in periods)


def readable(ind: Indicator, by: str | None, query: Query, unit_level: str | None) -> Rollup | None:
    """The coarsest rollup that answers the indicator for this query and grouping, or None (rows)."""
    fine = rollup_of(ind)
    if fine is None:
        return None
    ft = fact_table(fine.fact)
    filtered = any(getattr(query, f) is not None for f in ft.filters)
    for r in _COARSER[(fine.fact, fine.anchor)]:
        if filtered and not set(ft.rollup_dims) <= set(r.dims):
            continue
        if by is not None and (by not in ft.keys or ft.keys[by] not in r.dims):
            continue
        if query.unit is not None and ORG_LEVEL_COLUMN.get(unit_level or "") not in r.dims:
            continue
        return r
    return None


def compile_read(r: Rollup, indicators: Sequence[Indicator], periods: Sequence[Period], by: str | None,
                 query: Query, unit_level: str | None, measure_params: Mapping[str, Any] | None = None,
                 current_only: Collection[str] = (),
                 slots: Mapping[str, Collection[int]] | None = None) -> Compiled:
    ft = fact_table(r.fact)
    parts = {agg: [(p.weight, p.column) for p in parts_of(ft, agg)]
             for ind in indicators for agg in (ind.numerator, ind.denominator) if agg is not None}
    return compile_rollup_scan(r.name, ft, parts, indicators, periods, by, query, unit_level, measure_params,
                               current_only, slots)


def _sql_literal(sql: str) -> str:
    if '"""' in sql or "\\" in sql:  # never in our declarations; repr stays correct if it ever is
        return repr(sql)
    return '"""' + sql + '"""'


def generated_module() -> str:
    """etl/rollup_sql.py: the specs as data the ETL imports."""
    lines = ["# ruff: noqa: E501", "# (generated: the SQL keeps the compiler's lines)",
             '"""GENERATED by `python -m metrics.rollups` from the metrics declarations (metrics/rollups.py):',
             'do not edit. tests/metrics/test_rollups.py fails when it is stale."""', "",
             "from etl.rollup_spec import RollupColumn, RollupSpec", "",
             f"FINGERPRINT = {FINGERPRINT!r}", "",
             "# the readings rollup (metrics/readings_rollup.py): not an indicator's, a fingerprint of its own",
             f"READINGS_FINGERPRINT = {readings_rollup.FINGERPRINT!r}", ""]
    for title, specs in (("ROLLUPS", SPECS), ("READINGS_ROLLUPS", (readings_rollup.SPEC,))):
        lines += _specs_source(title, specs)
    return "\n".join(lines)


def _specs_source(title: str, specs: Sequence[RollupSpec]) -> list[str]:
    lines = [f"{title}: tuple[RollupSpec, ...] = ("]
    for s in specs:
        lines += ["    RollupSpec(", f"        name={s.name!r},", f"        fact={s.fact!r},",
                  f"        anchor={s.anchor!r},", "        columns=("]
        lines += [f"            RollupColumn({c.name!r}, {c.type!r}, {c.doc!r})," for c in s.columns]
        lines += ["        ),", f"        build_sql={_sql_literal(s.build_sql)},",
                  f"        refresh_sql={_sql_literal(s.refresh_sql)},"]
        lines += [f"        order_by={s.order_by!r},"] if s.order_by != "day" else []
        lines += ["    ),"]
    return [*lines, ")", ""]


GENERATED = Path(__file__).resolve().parent.parent / "etl" / "rollup_sql.py"

if __name__ == "__main__":  # pragma: no cover - the generator's entry point
    GENERATED.write_text(generated_module(), encoding="utf-8")
    sys.stdout.write(f"wrote {GENERATED}\n")
