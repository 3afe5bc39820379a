"""`vitals report monthly|weekly|list`: briefings into the archive (docs/reports.md)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:  # the briefing module pulls in pandas, plotly and Dash: not for `vitals etl load` (issue 19)
    from dashboard.reports.briefing import Kind

app = typer.Typer(no_args_is_help=True)

SCOPE = typer.Option(None, "--scope", help="Unit code (a 街镇, grid...); default: the whole warehouse.")
NOW = typer.Option(None, "--now", help="Pin the generation instant (ISO, site time), e.g. for a re-run.")


def _run(kind: Kind, scope: str | None, period: str | None, now: str | None) -> None:
    from dashboard.reports.generate import generate
    from dashboard.reports.pdf import ChromiumMissing
    from etl.settings import ConfigError, load_settings
    from metrics.connection import WarehouseMissing
    from metrics.query import QueryError

    try:
        instant = datetime.fromisoformat(now) if now else None
        settings = load_settings()
        entry = generate(settings, kind, scope, period, instant)
    except (QueryError, ChromiumMissing, WarehouseMissing, ConfigError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    from dashboard.reports.archive import root_of

    root = root_of(settings)
    typer.echo(f"{entry.scope_name} {entry.period_text}")
    for fmt in ("pdf", "xlsx"):
        typer.echo(f"  {entry.path(root, fmt)}")
    for line in entry.summary:
        typer.echo(f"  {line}")


@app.command("monthly")
def monthly(scope: str | None = SCOPE,
            period: str | None = typer.Option(None, "--period", help="YYYY-MM; default: last month."),
            now: str | None = NOW) -> None:
    """The monthly briefing (月度考核通报) of a scope: PDF + .xlsx into the archive."""
    _run("monthly", scope, period, now)


@app.command("weekly")
def weekly(scope: str | None = SCOPE,
           period: str | None = typer.Option(None, "--period",
                                             help="YYYY-Www or a date in the week; default: last week."),
           now: str | None = NOW) -> None:
    """The weekly briefing of a scope: PDF + .xlsx into the archive."""
    _run("weekly", scope, period, now)


@app.command("list")
def list_reports() -> None:
    """The archived briefings, newest first."""
    from dashboard.reports.archive import read_index, root_of
    from etl.settings import load_settings

    root = root_of(load_settings())
    for e in read_index(root):
        typer.echo(f"{e.kind:8s} {e.label:9s} {e.scope or 'all':14s} {e.scope_name}  {e.generated_at}  "
                   f"{root / e.stem}.pdf")
