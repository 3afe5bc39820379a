"""A tiny hand-built warehouse for hand-computed metric tests: etl.schema.ddl() + parameterised inserts."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from etl.schema import TABLE_BY_NAME, ddl

# district D → towns T1 (grid G1, village V1), T2 (grid G2, village V2), T3 (no rows at all)
UNITS = [
    ("D", None, "district", "青浦区", None),
    ("T1", "D", "town", "甲镇", "town"),
    ("T2", "D", "town", "乙镇", "town"),
    ("T3", "D", "town", "丙街道", "street"),
    ("G1", "T1", "grid", "甲网格", None),
    ("G2", "T2", "grid", "乙网格", None),
    ("V1", "G1", "village", "甲村", None),
    ("V2", "G2", "village", "乙村", None),
]
PATH = {
    "D": ("D", None, None, None), "T1": ("D", "T1", None, None), "T2": ("D", "T2", None, None),
    "T3": ("D", "T3", None, None), "G1": ("D", "T1", "G1", None), "G2": ("D", "T2", "G2", None),
    "V1": ("D", "T1", "G1", "V1"), "V2": ("D", "T2", "G2", "V2"),
}


def ts(s: str | None) -> datetime | None:
    return None if s is None else datetime.fromisoformat(s)


def insert(con: duckdb.DuckDBPyConnection, table: str, row: dict[str, Any]) -> None:
    cols = TABLE_BY_NAME[table].column_names
    unknown = set(row) - set(cols)
    assert not unknown, unknown
    names = list(row)
    con.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                [row[n] for n in names])


def with_path(row: dict[str, Any], unit: str) -> dict[str, Any]:
    d, t, g, v = PATH[unit]
    return {**row, "district_code": d, "town_code": t, "grid_code": g, "village_code": v, "unit_code": unit}


def new_warehouse(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()  # in memory: hundreds of single-row inserts would each commit to disk
    del tmp_path
    con.execute(ddl())
    for code, parent, level, name, peer in UNITS:
        d, t, g, v = PATH[code]
        insert(con, "org_unit", {"unit_code": code, "parent_code": parent, "level": level, "name_zh": name,
                                 "peer_group": peer, "district_code": d, "town_code": t, "grid_code": g,
                                 "village_code": v})
    return con


def case(con: duckdb.DuckDBPyConnection, case_id: str, unit: str = "V1", *, reported: str | None = None,
         registered: str | None = None, deadline: str | None = None, closed: str | None = None,
         disposed: str | None = None, dispatched: str | None = None, arrived: str | None = None,
         first_result: str | None = None, **extra: Any) -> None:
    row = {
        "case_id": case_id, "source_system": "t", "source_id": case_id,
        "reported_at": ts(reported or registered), "registered_at": ts(registered), "deadline_at": ts(deadline),
        "closed_at": ts(closed), "disposed_at": ts(disposed), "dispatched_at": ts(dispatched),
        "arrived_at": ts(arrived), "first_result_at": ts(first_result),
        "cancelled": False, "rework_count": 0, "escalated": False, "supervision_report": False,
        "proactive": False, "urgency": "general", "source": "hotline_12345", "category_code": "E01001",
        **extra,
    }
    insert(con, "cases", with_path(row, unit))


def cases_due(con: duckdb.DuckDBPyConnection, prefix: str, unit: str, n: int, closed: int, month: str = "2026-03",
              **extra: Any) -> None:
    """``n`` cases due mid-month, the first ``closed`` of them closed on time."""
    for i in range(n):
        case(con, f"{prefix}{i}", unit, registered=f"{month}-01 09:00", deadline=f"{month}-15 09:00",
             closed=f"{month}-10 09:00" if i < closed else None,
             disposed=f"{month}-09 09:00" if i < closed else None, **extra)
