"""A tiny-demo warehouse at the run's instant (tests.clock.NOW) with three urgent cases whose clocks
are known by construction (shared by the dashboard and browser tests of the wall's urgent countdowns)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb

from tests.clock import NOW
from tests.dashboard.minimal_warehouse import publish

__all__ = ["CLOCKS", "NOW", "build"]
# case → (reported, dispatched, arrived, first result) relative to NOW, in minutes (None: not yet)
CLOCKS = {
    "pending": (-7, -5, None, None),  # 10 min left to arrive, 55 to the first result
    "warn": (-14, -12, None, None),  # 3 min left to arrive: amber
    "breached": (-30, -25, -2, None),  # arrived 8 min late, first result still running: red
}


def build(root: Path) -> dict[str, str]:
    """The demo at NOW (in ``root``), three open cases rewritten as the urgent cases above; their ids."""
    from etl.demo import build_demo

    build_demo(root / "vitals.duckdb", scale="tiny", now=NOW)
    con = duckdb.connect(str(root / "vitals.duckdb"), read_only=True)
    try:
        # general cases with a unit and a point, none of them touched by an alarm
        ids = [r[0] for r in con.execute(
            "SELECT case_id FROM cases WHERE urgency = 'general' AND unit_code IS NOT NULL AND lon IS NOT NULL "
            "AND case_id NOT IN (SELECT case_id FROM sensor_alarms WHERE case_id IS NOT NULL) "
            "ORDER BY case_id LIMIT 3").fetchall()]
    finally:
        con.close()
    chosen = dict(zip(CLOCKS, ids, strict=True))

    def rewrite(c: duckdb.DuckDBPyConnection) -> None:
        for name, case_id in chosen.items():
            rep, dis, arr, res = (None if m is None else NOW + timedelta(minutes=m) for m in CLOCKS[name])
            c.execute("UPDATE cases SET urgency = 'urgent', cancelled = FALSE, status = 'dispatched', reported_at = ?,"
                      " registered_at = ?, dispatched_at = ?, arrived_at = ?, first_result_at = ?, closed_at = NULL,"
                      " disposed_at = NULL WHERE case_id = ?", [rep, rep, dis, arr, res, case_id])

    publish(root, rewrite)
    return chosen
