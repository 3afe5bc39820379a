"""`vitals spark ...`: the indicator tables and rollups as a batch job (``metrics.batch``).

A command line, like the rest of `vitals` (dashboard/cli.py): it reads the site's config file and passes its
``[metrics]`` section down, since the metrics layer reads no configuration of its own."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True)


class SourceChoice(StrEnum):
    parquet = "parquet"
    hive = "hive"


class EngineChoice(StrEnum):
    spark = "spark"
    duckdb = "duckdb"


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (2026-07-01)") from None


@app.command("rollups")
def rollups_command(
    path: Annotated[str, typer.Option("--path", help="raw tables: the `vitals etl export` directory, or the "
                                      "Hive database with --source hive")],
    out: Annotated[Path, typer.Option("--out", help="directory the indicator tables and rollups are written to")],
    source: Annotated[SourceChoice, typer.Option(help="parquet | hive (Hive: Spark only)")] = SourceChoice.parquet,
    engine: Annotated[EngineChoice, typer.Option(help="spark, or duckdb: the same statements on one machine")
                      ] = EngineChoice.spark,
    master: Annotated[str, typer.Option(help="Spark master (spark-submit: run metrics/batch.py instead)")
                      ] = "local[2]",
    start: Annotated[str | None, typer.Option(help="first day (default: the first fact's day)")] = None,
    end: Annotated[str | None, typer.Option(help="last day (default: the data's 'now')")] = None,
    config: Annotated[Path | None, typer.Option(help="config file whose [metrics] section applies (default: "
                                                "VITALS_CONFIG or ./vitals.toml)")] = None,
) -> None:
    """Every declared indicator × unit level × day and month, and every declared rollup, computed over
    the raw tables and written as Parquet the dashboard's DuckDB reads (docs/scale.md)."""
    from etl.settings import ConfigError, load_settings
    from metrics.batch import DuckdbRunner, Runner, SparkRunner, run, spark_session
    from metrics.query import QueryError

    if engine == EngineChoice.duckdb and source == SourceChoice.hive:
        raise typer.BadParameter("DuckDB reads Parquet only", param_hint="--source")
    if source == SourceChoice.parquet and "://" not in path and not Path(path).is_dir():
        raise typer.BadParameter(f"{path} is not a directory (write one with `vitals etl export --out`)",
                                 param_hint="--path")
    try:
        # the site's targets and satisfaction weights, as the dashboard applies them
        overrides = load_settings(config).section("metrics")
    except ConfigError as exc:
        raise typer.BadParameter(str(exc), param_hint="--config") from None
    first, last = _day(start), _day(end)
    runner: Runner = (SparkRunner(spark_session(master), "hive" if source == SourceChoice.hive else "parquet")
                      if engine == EngineChoice.spark else DuckdbRunner())
    try:
        report = run(runner, path, out, first, last, overrides, log=typer.echo)
    except (ValueError, QueryError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{report.engine}: {report.statements} statements, {report.periods} periods "
               f"({report.first_day} .. {report.last_day}) in {report.seconds:.1f} s → {out}")
