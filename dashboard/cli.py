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


def main() -> None:
    _mount()
    app()
