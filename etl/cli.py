"""`vitals etl ...`: load exports into the warehouse."""

from __future__ import annotations

from pathlib import Path

import typer

from etl.settings import PROJECT_ROOT

app = typer.Typer(no_args_is_help=True)


@app.command("schema-doc")
def schema_doc(out: Path = PROJECT_ROOT / "docs" / "schema.md") -> None:
    """Regenerate docs/schema.md from etl/schema.py."""
    from etl.schema import schema_markdown

    out.write_text(schema_markdown() + "\n", encoding="utf-8")
    typer.echo(f"wrote {out}")
