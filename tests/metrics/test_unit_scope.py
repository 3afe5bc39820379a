from __future__ import annotations

import duckdb
import pytest

from etl.schema import TABLE_BY_NAME
from metrics.unit_scope import unit_lineage, unit_subtree


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.execute(TABLE_BY_NAME["org_unit"].ddl())
    rows = [
        ("D", None, "district"), ("T1", "D", "town"), ("T2", "D", "town"),
        ("G1", "T1", "grid"), ("V1", "G1", "village"), ("G2", "T2", "grid"),
    ]
    c.executemany("INSERT INTO org_unit (unit_code, parent_code, level, name_zh) VALUES (?, ?, ?, 'x')", rows)
    return c


def test_lineage_walks_up_to_the_root(con: duckdb.DuckDBPyConnection) -> None:
    assert unit_lineage(con, "V1") == ("V1", "G1", "T1", "D")
    assert unit_lineage(con, "D") == ("D",)


def test_subtree_holds_the_unit_and_everything_below(con: duckdb.DuckDBPyConnection) -> None:
    assert unit_subtree(con, "T1") == {"T1", "G1", "V1"}
    assert unit_subtree(con, "D") == {"D", "T1", "T2", "G1", "V1", "G2"}


def test_unknown_or_hostile_codes_are_just_themselves(con: duckdb.DuckDBPyConnection) -> None:
    payload = "T1' OR '1'='1"
    assert unit_lineage(con, payload) == (payload,)
    assert unit_subtree(con, payload) == {payload}
