"""The `vitals` command line: demo, etl, serve, info.

Sub-command groups live beside the code they drive (``etl/cli.py``...); this module only assembles
them, so the dashboard layer is the one place that knows every other layer.
"""

from __future__ import annotations

import typer

app = typer.Typer(help="City Vitals (城运体征): city-operations vital signs.", no_args_is_help=True)


def _mount() -> None:
    from etl.cli import app as etl_app

    app.add_typer(etl_app, name="etl", help="Load exports into the warehouse.")


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
    _mount()
    app()
