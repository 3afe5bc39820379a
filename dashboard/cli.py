"""The `vitals` command line: demo, etl, info, serve, users, report.

Sub-command groups live beside the code they drive (``etl/cli.py``...); this module only assembles
them, so the dashboard layer is the one place that knows every other layer.
"""

from __future__ import annotations

import typer

from dashboard.auth.cli import app as users_app
from dashboard.reports.cli import app as report_app
from etl.cli import app as etl_app
from etl.cli import info

app = typer.Typer(help="City Vitals (城运体征): city-operations vital signs.", no_args_is_help=True)
app.add_typer(etl_app, name="etl", help="Load exports into the warehouse.")
app.add_typer(users_app, name="users", help="Users, roles, unit scopes, screen tokens and the audit log.")
app.add_typer(report_app, name="report", help="Briefings (考核通报): PDF + .xlsx per scope and period, archived.")
app.command("info", help="What is loaded: row counts, date ranges, last load per source.")(info)


@app.command("demo")
def demo_command(
    scale: str = typer.Option("district", help="tiny | town | district | city (docs/demo.md)."),
    seed: int = typer.Option(20260, help="Random seed: the same seed and 'now' give the same data."),
    generate_only: bool = typer.Option(False, "--generate-only", help="Write the Parquet files, load nothing."),
    keep: bool = typer.Option(False, "--keep", help="Serve the existing warehouse if there is one."),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the dashboard after loading."),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8050, help="TCP port."),
    workers: int = typer.Option(2, help="Worker processes."),
) -> None:
    """Generate the Qingpu demo (data ends now), load it through the ETL and serve the dashboard."""
    from etl.demo import build_demo, generate, get_scale
    from etl.settings import DATA_DIR, load_settings

    try:
        get_scale(scale)
    except (KeyError, ValueError) as exc:
        raise typer.BadParameter(str(exc), param_hint="--scale") from None
    settings = load_settings()
    if generate_only:
        files = generate(DATA_DIR / "demo", scale, seed)
        for kind, rows in files.rows.items():
            typer.echo(f"{kind:12s} {rows:>12,d}")
        typer.echo(f"generated in {files.seconds:.1f}s into {files.out_dir}")
        return
    if not (keep and settings.warehouse.exists()):
        typer.echo(f"building the {scale} demo into {settings.warehouse} ...")
        summary = build_demo(settings.warehouse, scale, seed, progress=lambda k: typer.echo(f"  loading {k} ..."))
        typer.echo(f"{'kind':12s} {'read':>12s} {'loaded':>12s} {'rejected':>9s}")
        for kind, r in summary.reports.items():
            typer.echo(f"{kind:12s} {r.rows_read:>12,d} {r.rows_loaded:>12,d} {r.rows_rejected:>9,d}")
        typer.echo(f"generated in {summary.generate_seconds:.1f}s, loaded in {summary.load_seconds:.1f}s")
    if serve:
        serve_command(host=host, port=port, workers=workers, server="auto")


@app.command("serve")
def serve_command(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on (0.0.0.0 for the hall's network)."),
    port: int = typer.Option(8050, help="TCP port."),
    workers: int = typer.Option(2, help="Worker processes (gunicorn) or thread groups (waitress)."),
    server: str = typer.Option("auto", help="auto | gunicorn | waitress"),
) -> None:
    """Serve the dashboard with a production WSGI server (gunicorn, or waitress as fallback)."""
    from dashboard.serve import serve
    from etl.settings import load_settings

    typer.echo(f"City Vitals on http://{host}:{port}/  (big screen: /screen?kiosk=1)")
    serve(load_settings(), host, port, workers, server)  # type: ignore[arg-type]


def main() -> None:
    app()
