"""Per-connection facts (metrics/snapshot_facts.py): asked once on a read-only snapshot, every time on a
writable warehouse, so an edit between two reads is always seen."""

from __future__ import annotations

import duckdb

from metrics.indicators import data_now, unit_level
from metrics.rollups import ready
from metrics.snapshot_facts import fact
from tests.metrics.warehouse import insert, new_warehouse


def test_a_read_only_snapshot_computes_each_fact_once(tiny_warehouse):
    con = duckdb.connect(str(tiny_warehouse.resolve()), read_only=True)
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert fact(con, "k", compute) == 1 and fact(con, "k", compute) == 1 and calls == [1]
    assert fact(con, "other", compute) == 2  # keys are apart
    other = duckdb.connect(str(tiny_warehouse.resolve()), read_only=True)
    assert fact(other, "k", compute) == 3  # and connections (each request's cursor) too
    # the memoised answers are the warehouse's own
    level = con.execute("SELECT level FROM org_unit WHERE parent_code IS NOT NULL LIMIT 1").fetchone()
    code = con.execute("SELECT unit_code FROM org_unit WHERE parent_code IS NOT NULL LIMIT 1").fetchone()
    assert level and code and unit_level(con, code[0]) == level[0] == unit_level(con, code[0])
    assert data_now(con) == data_now(other) and data_now(con) is not None
    assert ready(con) is ready(con)
    con.close()
    other.close()


def test_a_writable_warehouse_is_asked_again(tmp_path):
    con = new_warehouse(tmp_path)
    assert data_now(con) is None
    insert(con, "warehouse_meta", {"key": "data_now", "value": "2026-03-20 12:00:00"})
    assert str(data_now(con)) == "2026-03-20 12:00:00"
    con.execute("DELETE FROM warehouse_meta")
    assert data_now(con) is None
    calls: list[int] = []
    fact(con, "k", lambda: calls.append(1))
    fact(con, "k", lambda: calls.append(1))
    assert calls == [1, 1]
