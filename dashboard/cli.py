"""The `vitals` command line: demo, etl, info, serve, users, report, spark.

Sub-command groups live beside the code they drive (``etl/cli.py``...); this module only assembles
them, so the dashboard layer is the one place that knows every other layer.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dashboard.auth.cli import app as users_app
from dashboard.reports.cli import app as report_app
from dashboard.spark_cli import app as spark_app
from etl.cli import app as etl_app
from etl.cli import info, site_app

if TYPE_CHECKING:
    from etl.settings import Settings

app = typer.Typer(help="City Vitals (城运体征): city-operations vital signs.", no_args_is_help=True)
app.add_typer(etl_app, name="etl", help="Load exports into the warehouse.")
app.add_typer(site_app, name="site", help="The site's name, time zone, datum and level names.")
app.add_typer(users_app, name="users", help="Users, roles, unit scopes, screen tokens and the audit log.")
app.add_typer(report_app, name="report", help="Briefings (考核通报): PDF + .xlsx per scope and period, archived.")
app.add_typer(spark_app, name="spark", help="Indicator tables and rollups as a Spark (or DuckDB) batch job.")
app.command("info", help="What is loaded: row counts, date ranges, last load per source.")(info)


def _settings(config: Path | None, warehouse: Path | None) -> Settings:
    from etl.settings import load_settings

    settings = load_settings(config)
    return settings if warehouse is None else replace(settings, warehouse=warehouse)


def _iso_minute(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO date-time (2026-07-01T09:37)", param_hint="--now") from None


@app.command("demo")
def demo_command(
    scale: str = typer.Option("district", help="tiny | town | district | city (docs/demo.md)."),
    seed: int = typer.Option(20260, help="Random seed: the same seed and 'now' give the same data."),
    now: str | None = typer.Option(None, help="The data's 'now', local site time (2026-07-01T09:37); default: now."),
    generate_only: bool = typer.Option(False, "--generate-only", help="Write the Parquet files, load nothing."),
    out: Annotated[Path | None, typer.Option(help="Directory for the Parquet files (default: data/demo).")] = None,
    warehouse: Annotated[Path | None, typer.Option(help="Warehouse to build (default: the configured one).")] = None,
    keep: bool = typer.Option(False, "--keep", help="Serve the existing warehouse if there is one."),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the dashboard after loading."),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8050, help="TCP port."),
    workers: int = typer.Option(2, help="Worker processes."),
    size: float = typer.Option(1.0, help="Multiply the scale's cases, orders and sensors (0.01: a small city)."),
) -> None:
    """Generate the Qingpu demo (data ends now), load it through the ETL and serve the dashboard."""
    from etl.demo import build_demo, generate, get_scale
    from etl.settings import DATA_DIR

    try:
        get_scale(scale)
    except (KeyError, ValueError) as exc:
        raise typer.BadParameter(str(exc), param_hint="--scale") from None
    data_now = _iso_minute(now)
    settings = _settings(None, warehouse)
    if generate_only:
        files = generate(out or DATA_DIR / "demo", scale, seed, data_now, size=size)
        for kind, rows in files.rows.items():
            typer.echo(f"{kind:12s} {rows:>12,d}")
        typer.echo(f"generated in {files.seconds:.1f}s into {files.out_dir}; peak memory {_peak_mb():,.0f} MB")
        return
    if not (keep and settings.warehouse.exists()):
        typer.echo(f"building the {scale} demo into {settings.warehouse} ...")
        summary = build_demo(settings.warehouse, scale, seed, data_now, out,
                             progress=lambda k: typer.echo(f"  loading {k} ..."), size=size)
        typer.echo(f"{'kind':12s} {'read':>12s} {'loaded':>12s} {'rejected':>9s}")
        for kind, r in summary.reports.items():
            typer.echo(f"{kind:12s} {r.rows_read:>12,d} {r.rows_loaded:>12,d} {r.rows_rejected:>9,d}")
        typer.echo(f"generated in {summary.generate_seconds:.1f}s, loaded in {summary.load_seconds:.1f}s; "
                   f"peak memory {_peak_mb():,.0f} MB")
        if summary.rejected:
            typer.echo(f"{summary.rejected:,} demo rows were rejected (vitals etl rejects)", err=True)
            raise typer.Exit(1)
    if serve:
        _serve(settings, host, port, workers, "auto")


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class ServerChoice(StrEnum):
    auto = "auto"
    gunicorn = "gunicorn"
    waitress = "waitress"


@app.command("serve")
def serve_command(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on (0.0.0.0 for the hall's network)."),
    port: int = typer.Option(8050, help="TCP port."),
    workers: int = typer.Option(2, help="Worker processes (gunicorn) or thread groups (waitress)."),
    server: Annotated[ServerChoice, typer.Option(help="auto | gunicorn | waitress")] = ServerChoice.auto,
    warehouse: Annotated[Path | None, typer.Option(help="Warehouse to serve (default: the configured one).")] = None,
    config: Annotated[Path | None, typer.Option(help="Config file (default: VITALS_CONFIG or ./vitals.toml).")] = None,
) -> None:
    """Serve the dashboard with a production WSGI server (gunicorn, or waitress as fallback)."""
    _serve(_settings(config, warehouse), host, port, workers, server.value)


def _serve(settings: Settings, host: str, port: int, workers: int, server: str) -> None:
    from dashboard.serve import serve
    from etl.snapshots import upgrade

    added = upgrade(settings.warehouse, settings)  # a warehouse made by an older version
    if added:
        typer.echo(f"warehouse upgraded to this version's schema: added {', '.join(added)}")

    typer.echo(f"City Vitals on http://{host}:{port}/  (big screen: /screen?kiosk=1)")
    serve(settings, host, port, workers, server)  # type: ignore[arg-type]


def main() -> None:
    app()


if __name__ == "__main__":  # `python -m dashboard.cli` (the browser tests start servers this way)
    main()
