"""Shared fixtures: the hand-computed March 2026 warehouse (see test_cases.py for the arithmetic)."""

from __future__ import annotations

import pytest

from tests.metrics.warehouse import case, new_warehouse


@pytest.fixture
def march(tmp_path):
    con = new_warehouse(tmp_path)
    # T1 (village V1)
    case(con, "c1", registered="2026-03-02 09:00", deadline="2026-03-05 09:00", disposed="2026-03-03 10:00",
         closed="2026-03-04 10:00")
    case(con, "c2", registered="2026-03-10 09:00", deadline="2026-03-20 09:00", disposed="2026-03-22 10:00",
         closed="2026-03-25 10:00", rework_count=1)
    case(con, "c3", registered="2026-02-20 09:00", deadline="2026-02-25 09:00")  # earlier, still open
    case(con, "c4", registered="2026-02-10 09:00", deadline="2026-02-15 09:00", closed="2026-02-14 09:00")
    case(con, "c5", registered="2026-02-20 09:00", deadline="2026-02-26 09:00", closed="2026-03-02 09:00")
    case(con, "c6", registered="2026-03-28 09:00", deadline="2026-04-03 09:00")  # due next month
    case(con, "c7", registered="2026-03-05 09:00", deadline="2026-03-08 09:00", cancelled=True)
    # spans the month boundary by minutes: due in March, closed in April (local time)
    case(con, "c8", registered="2026-03-31 23:30", deadline="2026-03-31 23:59", closed="2026-04-01 00:10")
    # T2 (village V2): proactive, verified supervision report, at a liaison station
    case(con, "c9", "V2", registered="2026-03-15 09:00", deadline="2026-03-16 09:00", closed="2026-03-16 08:00",
         disposed="2026-03-16 07:00", proactive=True, supervision_report=True, station_code="S1", source="patrol")
    return con
