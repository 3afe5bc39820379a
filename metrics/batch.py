"""``vitals spark rollups``: the declared indicator tables and rollups built over the raw tables, on
Spark (``local[2]`` here, a cluster under ``spark-submit``) or on DuckDB, from the same declarations
(docs/scale.md).

The raw tables are read as Parquet (``etl.export`` writes them partitioned by day and district, the
layout a city's big-data platform keeps) or, on Spark, as Hive tables. The results are Parquet files
the DuckDB-served dashboard reads with ``read_parquet``:

- ``<out>/indicator_values/fact=<table>/level=<level>/*.parquet``: ``indicator_tables.RESULT_COLUMNS``
  (``fact`` and ``level`` are the directories: read with ``hive_partitioning``);
- ``<out>/rollups/<name>/*.parquet``: each declared rollup (``etl.rollup_sql.ROLLUPS``, its ``build_sql``);
- ``<out>/manifest/*.parquet``: one row saying what was built (``etl.import_rollups.MANIFEST_COLUMNS``:
  the declarations' fingerprint, the engine, the data's 'now', the days), written last:
  ``vitals etl import-rollups`` takes the rollups into the warehouse only from a finished, matching job.

Run under ``spark-submit`` this file is the application (``spark-submit ... metrics/batch.py --path
... --out ...``): hence absolute imports.
"""

from __future__ import annotations

import argparse
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from etl.export import FACT_DAYS, sql_string
from etl.import_rollups import MANIFEST, MANIFEST_COLUMNS
from etl.rollup_sql import FINGERPRINT, ROLLUPS
from metrics.catalog import catalog
from metrics.config import measure_params, metrics_overrides
from metrics.dialect import Engine, bind, emit
from metrics.indicator_tables import PeriodRow, by_table, period_rows, values_sql
from metrics.indicators import DATA_NOW_SQL, parse_now

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

Source = Literal["parquet", "hive"]
RAW_TABLES = (*FACT_DAYS, "warehouse_meta")
# Spark settings of the job; a cluster's spark-submit --conf adds its own (executors, memory ...)
SPARK_CONF = {
    # the warehouse's times are local wall-clock times read as TIMESTAMP_NTZ: no zone applies; UTC keeps
    # any TIMESTAMP a Hive source may hold unshifted too
    "spark.sql.session.timeZone": "UTC",
    # partition values (day=2026-11-03, district=310118000000) stay text: the files carry the typed columns
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}
LOCAL_CONF = {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4"}
# the manifest's one row from parameters (text: the same file from either engine)
MANIFEST_SQL = "SELECT " + ", ".join(f"CAST(${c} AS VARCHAR) AS {c}" for c in MANIFEST_COLUMNS)


class Runner(Protocol):
    """An engine the batch statements run on. Statements are given as compiled (DuckDB's SQL, ``$name``
    parameters); the runner emits them for its engine through the syntax tree (``dialect.emit``)."""

    engine: Engine

    def register(self, name: str, base: str) -> None:
        """Raw table ``name`` as a view: ``<base>/<name>`` (Parquet) or ``<base>.<name>`` (Hive database)."""

    def register_periods(self, rows: Sequence[PeriodRow]) -> None: ...

    def rows(self, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]: ...

    def write(self, sql: str, params: Mapping[str, Any], out: str, partition_by: Sequence[str]) -> None:
        """The result of ``sql`` as Parquet under ``out`` (a directory or a URI such as hdfs://…; replaced),
        hive-partitioned by ``partition_by``."""


@dataclass(frozen=True)
class BuildReport:
    engine: str
    periods: int
    first_day: date
    last_day: date
    statements: int
    seconds: float


def run(runner: Runner, source: str | Path, out: str | Path, first: date | None = None, last: date | None = None,
        overrides: Mapping[str, Any] | None = None, log: Callable[[str], None] = lambda _: None) -> BuildReport:
    """Build every indicator table (every declared indicator × level × day and month from ``first``
    to ``last``, default: the first fact's day to the data's 'now') and every declared rollup."""
    started = time.perf_counter()
    if "://" not in str(out):  # a crashed run must not leave an earlier run's manifest beside its output
        shutil.rmtree(Path(out) / MANIFEST, ignore_errors=True)
    for name in RAW_TABLES:
        runner.register(name, str(source))
    now = parse_now(next(iter(runner.rows(DATA_NOW_SQL, {})), (None,))[0])
    if first is None:
        starts = [r[0] for t, day in FACT_DAYS.items() for r in runner.rows(f"SELECT min({day}) FROM {t}", {})]
        first = min((s for s in starts if s is not None), default=None)
        first = first.date() if isinstance(first, datetime) else first
    last = last or (now.date() if now is not None else None)
    if first is None or last is None:
        raise ValueError("no period to build: the raw tables are empty and no --start/--end was given")
    periods = period_rows(first, last, now)
    runner.register_periods(periods)
    cfg = metrics_overrides(overrides)
    weights = measure_params(cfg)
    n = 0
    for table, inds in by_table(catalog(cfg)).items():
        comp = values_sql(table, inds, measure_params=weights)
        log(f"indicator table {table}")
        runner.write(comp.sql, comp.params, _under(out, "indicator_values", f"fact={table}"), ("level",))
        n += 1
    for spec in ROLLUPS:
        log(f"rollup {spec.name}")
        runner.write(spec.build_sql, {}, _under(out, "rollups", spec.name), ())
        n += 1
    manifest = {"rollups": FINGERPRINT, "engine": runner.engine,
                "data_now": now.isoformat(sep=" ") if now is not None else "",
                "first_day": first.isoformat(), "last_day": last.isoformat()}
    runner.write(MANIFEST_SQL, manifest, _under(out, MANIFEST), ())
    return BuildReport(runner.engine, len(periods), first, last, n, time.perf_counter() - started)


def _under(base: str | Path, *parts: str) -> str:
    """``base``/parts as text: a URI keeps its ``//`` (``Path`` would make hdfs://x hdfs:/x)."""
    return "/".join([str(base).rstrip("/"), *parts])


class DuckdbRunner:
    """The same statements on an in-memory DuckDB over the Parquet files (the one-machine baseline)."""

    engine: Engine = "duckdb"

    def __init__(self, threads: int | None = None) -> None:
        import duckdb

        self.con = duckdb.connect()
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")

    def register(self, name: str, base: str) -> None:
        path = Path(base) / name
        glob = str(path / "**" / "*.parquet") if any(path.glob("*=*")) else str(path / "*.parquet")
        self.con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet({sql_string(glob)}, "
                         "hive_partitioning = true, hive_types_autocast = false)")

    def register_periods(self, rows: Sequence[PeriodRow]) -> None:
        self.con.execute("CREATE OR REPLACE TABLE indicator_periods (period_id INTEGER, grain VARCHAR, s TIMESTAMP, "
                         "e TIMESTAMP, a TIMESTAMP)")
        self.con.executemany("INSERT INTO indicator_periods VALUES (?, ?, ?, ?, ?)",
                             [(r.period_id, r.grain, r.s, r.e, r.a) for r in rows])

    def rows(self, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        return self.con.execute(emit(sql, "duckdb", params, via_tree=True), dict(params)).fetchall()

    def write(self, sql: str, params: Mapping[str, Any], out: str, partition_by: Sequence[str]) -> None:
        import pyarrow.dataset as ds

        shutil.rmtree(out, ignore_errors=True)
        table = self.con.execute(emit(sql, "duckdb", params, via_tree=True), dict(params)).to_arrow_table()
        ds.write_dataset(table, out, format="parquet", partitioning=list(partition_by) or None,
                         partitioning_flavor="hive" if partition_by else None)


class SparkRunner:
    """The statements as Spark SQL on a session (``spark_session``): raw tables as temp views."""

    engine: Engine = "spark"

    def __init__(self, spark: SparkSession, source: Source = "parquet") -> None:
        self.spark = spark
        self.source = source

    def register(self, name: str, base: str) -> None:
        df = (self.spark.read.parquet(_under(base, name)) if self.source == "parquet"
              else self.spark.table(f"{base}.{name}"))
        # every fact table is read once per unit level: keep it after the first scan
        df.cache().createOrReplaceTempView(name)

    def register_periods(self, rows: Sequence[PeriodRow]) -> None:
        iso = [(r.period_id, r.grain, r.s.isoformat(sep=" "), r.e.isoformat(sep=" "), r.a.isoformat(sep=" "))
               for r in rows]
        raw = self.spark.createDataFrame(iso, "period_id INT, grain STRING, s STRING, e STRING, a STRING")
        raw.createOrReplaceTempView("indicator_periods_text")
        self.spark.sql("SELECT period_id, grain, CAST(s AS TIMESTAMP_NTZ) AS s, CAST(e AS TIMESTAMP_NTZ) AS e, "
                       "CAST(a AS TIMESTAMP_NTZ) AS a FROM indicator_periods_text").cache() \
            .createOrReplaceTempView("indicator_periods")

    def rows(self, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.spark.sql(emit(sql, "spark", params), args=bind(params, "spark") or None)
                .collect()]

    def write(self, sql: str, params: Mapping[str, Any], out: str, partition_by: Sequence[str]) -> None:
        df = self.spark.sql(emit(sql, "spark", params), args=bind(params, "spark") or None)
        df.write.mode("overwrite").partitionBy(*partition_by).parquet(out)


def spark_session(master: str | None = "local[2]", app: str = "city-vitals-rollups") -> SparkSession:
    """A session with the job's settings. ``master`` None: the one ``spark-submit`` gives (a cluster)."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app)
    conf = dict(SPARK_CONF)
    if master is not None:
        builder = builder.master(master)
        if master.startswith("local"):
            conf.update(LOCAL_CONF)
    for k, v in conf.items():
        builder = builder.config(k, v)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def main(argv: Sequence[str] | None = None) -> None:
    """``spark-submit metrics/batch.py --path DIR --out DIR``: the job under a cluster's own master."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--source", choices=("parquet", "hive"), default="parquet")
    p.add_argument("--path", required=True, help="Parquet directory, or the Hive database")
    p.add_argument("--out", required=True, help="directory or URI (hdfs://…, s3a://…)")
    p.add_argument("--start", type=date.fromisoformat)
    p.add_argument("--end", type=date.fromisoformat)
    a = p.parse_args(argv)
    spark = spark_session(None)
    print(run(SparkRunner(spark, a.source), a.path, a.out, a.start, a.end, log=print))


if __name__ == "__main__":
    main()
