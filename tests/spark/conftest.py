"""One SparkSession (``local[2]``, the job's own settings) for the whole run: starting the JVM costs
seconds, every Spark test shares it; and one build of the tiny demo by the job on both engines."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pytest

from etl.export import export_parquet, sql_string
from metrics.batch import DuckdbRunner, SparkRunner, run
from metrics.indicators import data_now

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DAYS = 20  # the last days (and their months) the job builds here: every grain and level, a short run


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    from metrics.batch import spark_session

    session = spark_session("local[2]", app="city-vitals-tests")
    yield session
    session.stop()


def read_output(out: Path, sub: str) -> list[dict[str, Any]]:
    """The job's Parquet under ``out/sub`` as the dashboard's DuckDB reads it (partitions as columns)."""
    con = duckdb.connect()
    glob = sql_string(out / sub / "**" / "*.parquet")
    cur = con.execute(f"SELECT * FROM read_parquet({glob}, hive_partitioning = true, hive_types_autocast = false)")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


@pytest.fixture(scope="session")
def built(tiny_warehouse: Path, spark: SparkSession, tmp_path_factory: pytest.TempPathFactory
          ) -> dict[str, Any]:
    """The tiny demo exported (``root/raw``) and built by the job on Spark (``root/spark``) and on DuckDB
    (``root/duckdb``) for its last ``DAYS`` days (the rollups: every day)."""
    root = tmp_path_factory.mktemp("spark")
    export_parquet(tiny_warehouse, root / "raw")
    con = duckdb.connect(str(tiny_warehouse), read_only=True)
    now = data_now(con)
    con.close()
    assert now is not None
    first = (now - timedelta(days=DAYS)).date()
    report = run(SparkRunner(spark), root / "raw", root / "spark", first, now.date())
    duck = run(DuckdbRunner(), root / "raw", root / "duckdb", first, now.date())
    return {"root": root, "now": now, "first": first, "report": report, "duck": duck}
