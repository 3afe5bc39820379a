from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from etl.settings import PROJECT_ROOT, Settings

# The public test data lives beside the repository, in ../shared (see its SOURCES.md).
REAL = PROJECT_ROOT.parent / "shared" / "data" / "real"

POLY = '{"type":"Polygon","coordinates":[[[121.0,31.0],[121.1,31.0],[121.1,31.1],[121.0,31.1],[121.0,31.0]]]}'


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "data" / "vitals.duckdb"


@pytest.fixture
def settings(warehouse: Path) -> Settings:
    return Settings(warehouse=warehouse)


def demo_units(path: Path) -> Path:
    """A district with one town, one grid (with a polygon) and one village, in the demo format."""
    pd.DataFrame({
        "unit_code": ["D", "T1", "G1", "V1"],
        "parent_code": [None, "D", "T1", "G1"],
        "level": ["district", "town", "grid", "village"],
        "name_zh": ["青浦区", "盈浦街道", "网格一", "村一"],
        "geojson": [None, None, POLY, None],
        "approximate": [None, None, True, None],
    }).to_parquet(path)
    return path


def demo_cases(path: Path, statuses: list[str], closed: list[str | None] | None = None) -> Path:
    n = len(statuses)
    pd.DataFrame({
        "case_id": [f"demo:{i}" for i in range(n)],
        "source_system": ["demo"] * n,
        "source_id": [str(i) for i in range(n)],
        "status": statuses,
        "reported_at": pd.to_datetime(["2026-01-01 10:00"] * n),
        "closed_at": pd.to_datetime(closed or [None] * n),
        "unit_code": ["V1"] * n,
    }).to_parquet(path)
    return path
