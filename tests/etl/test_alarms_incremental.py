"""Alarms derived after a load of readings from only what its rows can change (``incremental``) equal
those derived from every reading, over random feeds that extend, correct and end alarm runs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from etl.alarms import derive_alarms
from etl.load import load_files, load_into
from etl.snapshots import load_writer
from tests.etl.feeds import query, readings_mapping, sensors_csv, sensors_mapping, write
from tests.etl.test_feed_readings import PLAIN, T0

ALARMS = "SELECT alarm_id, sensor_id, severity, started_at, ended_at, peak_value FROM sensor_alarms ORDER BY 1"


def feeds(tmp: Path, seed: int) -> list[Path]:
    """Five files: a backfill of three sensors, then slices that overlap the stored span (corrections)
    and extend it, some for one sensor only; values cross warning 5 and alarm 8 often."""
    rng = np.random.default_rng(seed)
    spans = [("ABC", 0, 40), ("AB", 35, 50), ("C", 38, 55), ("ABC", 50, 60), ("A", 20, 62)]
    out = []
    for i, (sensors, lo, hi) in enumerate(spans):
        rows = "".join(f"{s},{T0 + timedelta(hours=h):%Y-%m-%d %H:%M},{rng.choice([1.0, 3.0, 6.0, 7.0, 9.0])}\n"
                       for s in sensors for h in range(lo, hi))
        out.append(write(tmp / f"r{i}.csv", "id,when,v\n" + rows))
    return out


def load_all(warehouse: Path, files: list[Path], incremental: bool) -> list[tuple[object, ...]]:
    warehouse.parent.mkdir()
    load_files(warehouse, "sensors", [sensors_csv(warehouse.parent / "s.csv",
                                                  [(s, "air_co", "5", "8") for s in "ABC"])], sensors_mapping())
    for f in files:
        with load_writer(warehouse) as con:  # as the watch: on a delta after the first load
            report = load_into(con, "readings", [f], readings_mapping(PLAIN))
            derive_alarms(con, report.run_id, incremental=incremental)
    return query(warehouse, ALARMS)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_derivation_equals_the_whole(tmp_path: Path, seed: int) -> None:
    files = feeds(tmp_path, seed)
    whole = load_all(tmp_path / "full" / "vitals.duckdb", files, incremental=False)
    part = load_all(tmp_path / "inc" / "vitals.duckdb", files, incremental=True)
    assert len(whole) > 10 and any(end is None for *_, end, _peak in whole)  # runs, one still going
    assert part == whole
