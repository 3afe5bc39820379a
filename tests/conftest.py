"""Session-wide set-up: cheap password hashing, THE test instant (``tests/clock.py``) and the one tiny demo warehouse.

``tiny_warehouse`` is built once per run at the run's instant (the tiny demo through the real ETL);
readers share it (every connection on it is read-only); a test that publishes snapshots of its own
takes ``copy_warehouse(tiny_warehouse, root)``.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from dashboard.auth.passwords import CHEAP_TEST_HASHING_ENV
from tests import clock
from tests.dashboard.minimal_warehouse import build_warehouse

# Cheap argon2 for the suite's hundreds of sign-ins (inherited by the served apps of browser tests);
# test_auth_store checks that production, which never sets it, hashes at full cost.
os.environ[CHEAP_TEST_HASHING_ENV] = "1"


@pytest.fixture(scope="session")
def test_now() -> datetime:
    """The run's instant (naive, site local time): what every test warehouse ends at and every app reads."""
    return clock.NOW


@pytest.fixture(scope="session")
def tiny_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``vitals.duckdb`` link of the tiny demo built once for the run; open it read-only."""
    return build_warehouse(tmp_path_factory.mktemp("tiny-warehouse"))


CITY_NOW = datetime(2026, 7, 1, 9, 37)  # the tiny city's own instant: its tests pin the app's clock to it
CITY_SIZE, CITY_DAYS = 0.0005, 14  # 10M cases/yr × 0.0005 × 14/365 ≈ 190 cases: the geography stays whole


@pytest.fixture(scope="session")
def tiny_city(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path]:
    """The `city` demo (all 16 Shanghai districts and 上海市 above them) at a tiny size, built once for the
    run through the real ETL: (the build's ``DemoSummary``, the warehouse link). Open it read-only."""
    from etl.demo import build_demo

    root = tmp_path_factory.mktemp("city")
    summary = build_demo(root / "vitals.duckdb", "city", seed=5, now=CITY_NOW, out_dir=root / "files",
                         size=CITY_SIZE, days=CITY_DAYS)
    return summary, root / "vitals.duckdb"
