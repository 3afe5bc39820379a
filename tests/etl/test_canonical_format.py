"""Every demo_<kind> mapping loads a file in the canonical format: the schema's own column names."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from etl import schema
from etl.load import load_files
from etl.mapping import KIND_TABLE
from tests.etl.conftest import demo_units

VALUES = {"VARCHAR": "x", "DOUBLE": 1.5, "INTEGER": 1, "BIGINT": 1, "BOOLEAN": True,
          "TIMESTAMP": pd.Timestamp("2026-01-01 10:00"), "DATE": dt.date(2026, 1, 1)}
SKIP = {"load_run_id", "district_code", "town_code", "grid_code", "village_code"}


@pytest.mark.parametrize("kind", sorted(set(KIND_TABLE) - {"units", "readings"}))
def test_canonical_file_loads(tmp_path, warehouse, kind):
    load_files(warehouse, "units", [demo_units(tmp_path / "u.parquet")], "demo_units")
    table = schema.TABLE_BY_NAME[KIND_TABLE[kind]]
    row = {c.name: VALUES[c.type] for c in table.columns if c.name not in SKIP}
    if "unit_code" in row:
        row["unit_code"] = "G1"
    if "threshold_direction" in row:
        row["threshold_direction"] = "outside"  # a value of its own domain, like a status
    for c in ("reported_at", "received_at", "started_at", "start_at"):
        if c in row:
            row[c] = pd.Timestamp("2026-01-01 09:00")
    f = tmp_path / f"{kind}.parquet"
    pd.DataFrame([row]).to_parquet(f)
    rep = load_files(warehouse, kind, [f], f"demo_{kind}")
    assert (rep.rows_read, rep.rows_loaded, rep.rows_rejected) == (1, 1, 0), rep.reasons
    again = load_files(warehouse, kind, [f], f"demo_{kind}")
    assert (again.files[0].inserted, again.files[0].updated, again.files[0].unchanged) == (0, 0, 1)
