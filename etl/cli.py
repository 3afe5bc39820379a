"""`vitals etl ...`: load exports into the warehouse; `info` is mounted by the lead as `vitals info`.

Bad input (missing file, bad mapping, unreadable data) ends with exit code 2 and one clear line on
stderr, never a traceback.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from etl.settings import PROJECT_ROOT, ConfigError, load_settings

app = typer.Typer(no_args_is_help=True)
site_app = typer.Typer(no_args_is_help=True)


def _err() -> Console:
    return Console(stderr=True)  # created per use so COLUMNS / redirection at call time apply


def _out() -> Console:
    return Console()

WarehouseOpt = Annotated[
    Path | None, typer.Option("--warehouse", "-w", help="warehouse path (default: settings / VITALS_WAREHOUSE)")
]


def _fail(message: str) -> typer.Exit:
    # escape: messages name mapping keys like [fields.x], which rich would take for markup
    _err().print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


@contextmanager
def _clean_errors() -> Iterator[None]:
    """Turn the errors users cause into one line; anything else is a bug and keeps its traceback."""
    from etl.load import LoadError
    from etl.mapping import MappingError
    from etl.readers import ReadError
    from etl.snapshots import WarehouseLocked

    try:
        yield
    except (LoadError, MappingError, ReadError, WarehouseLocked, ConfigError, FileNotFoundError) as exc:
        raise _fail(str(exc)) from None
    except Exception as exc:  # DuckDB errors on malformed data: still a one-line answer
        import duckdb

        if isinstance(exc, duckdb.Error):
            raise _fail(f"{type(exc).__name__}: {str(exc).splitlines()[0]}") from None
        raise


def _warehouse(path: Path | None) -> tuple[Path, object]:
    """The warehouse link to use: ``--warehouse`` may name the link or the directory holding it."""
    settings = load_settings()
    if path is not None and path.is_dir():
        path = path / "vitals.duckdb"
    return (path or settings.warehouse), settings


@app.command("schema-doc")
def schema_doc(out_path: Annotated[Path, typer.Option("--out")] = PROJECT_ROOT / "docs" / "schema.md") -> None:
    """Regenerate docs/schema.md from etl/schema.py."""
    from etl.schema import schema_markdown

    out_path.write_text(schema_markdown() + "\n", encoding="utf-8")
    typer.echo(f"wrote {out_path}")


@app.command("load")
def load(
    kind: Annotated[str, typer.Argument(help="units | cases | hotline | sensors | readings | staffing | alarms ...")],
    files: Annotated[list[Path], typer.Argument(help="export files (CSV, CSV.GZ, XLSX, Parquet, JSON, GeoJSON)")],
    mapping: Annotated[str, typer.Option("--mapping", "-m", help="mapping file or shipped mapping name")],
    warehouse: WarehouseOpt = None,
    derive: Annotated[bool, typer.Option("--derive-alarms/--no-derive-alarms",
                                         help="derive sensor alarms after loading readings")] = True,
    accept_zone: Annotated[bool, typer.Option(
        "--accept-zone", help="the mapping's [time] zone differs from the site's on purpose: convert the times"
                              " to the site zone (without it such a load is refused)")] = False,
) -> None:
    """Load export files of one kind into a new warehouse snapshot (all or nothing)."""
    from etl.alarms import derive_alarms
    from etl.load import load_into, recording_failure
    from etl.mapping import KIND_TABLE, load_mapping
    from etl.site import config_differences, site_facts
    from etl.snapshots import load_writer

    with _clean_errors():
        if kind not in KIND_TABLE:
            raise _fail(f"unknown kind {kind!r}; expected one of {', '.join(sorted(KIND_TABLE))}")
        for f in files:
            if not f.exists():
                raise _fail(f"{f}: file not found")
        m = load_mapping(mapping)
        wh, settings = _warehouse(warehouse)
        t0 = time.monotonic()
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeElapsedColumn(), console=_err(), transient=True) as bar:
            task = bar.add_task(f"load {kind}", total=len(files))

            def progress(file: str, done: int, total: int) -> None:
                bar.update(task, completed=done, description=f"load {kind} {Path(file).name}" if file else "publish")

            with (recording_failure(wh, settings, kind, m, files),  # type: ignore[arg-type]
                  load_writer(wh, settings, inputs=files) as con):  # type: ignore[arg-type]
                report = load_into(con, kind, files, m, progress=progress, accept_zone=accept_zone)
                config_notes = config_differences(site_facts(con), settings)  # type: ignore[arg-type]
                derived = derive_alarms(con, report.run_id) if kind == "readings" and derive else None
        _summary(report, time.monotonic() - t0)
        for w in (*config_notes, *report.warnings):
            _err().print(f"[bold yellow]warning:[/] {escape(w)}", highlight=False, soft_wrap=True)
        if derived is not None:
            _out().print(f"derived alarms written: {derived}")


@app.command("draft-mapping")
def draft_mapping_command(
    file: Annotated[Path, typer.Argument(help="an export file (CSV, CSV.GZ, XLSX, Parquet, JSON)")],
    kind: Annotated[str, typer.Option("--kind", "-k", help="what the file holds: hotline, cases, units ...")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="write here (default: print)")] = None,
    source_system: Annotated[str | None, typer.Option("--source-system", help="id prefix")] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Draft a commented mapping for an export: sniffed file options, fields guessed from the headers
    and the values, time formats, zone, datum and placeholder points. Check the CHECK lines, then load."""
    from etl.draft import KnownUnits, draft_mapping
    from etl.mapping import KIND_TABLE
    from etl.snapshots import open_readonly

    with _clean_errors():
        if kind not in KIND_TABLE:
            raise _fail(f"unknown kind {kind!r}; expected one of {', '.join(sorted(KIND_TABLE))}")
        if not file.exists():
            raise _fail(f"{file}: file not found")
        wh, settings = _warehouse(warehouse)
        units = None
        if wh.exists():  # the site's units, to test unit columns against
            con = open_readonly(wh)
            try:
                units = KnownUnits.read(con)
                zone = dict(con.execute("SELECT key, value FROM warehouse_meta").fetchall()).get("timezone")
            finally:
                con.close()
        else:
            zone = settings.timezone  # type: ignore[attr-defined]
        text = draft_mapping(file, kind, site_zone=zone, source_system=source_system, units=units)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        _err().print(f"wrote {escape(str(out))}: check the lines marked CHECK, then"
                     f" `vitals etl load {kind} {escape(str(file))} --mapping {escape(str(out))}`", highlight=False)


@app.command("reorder-readings")
def reorder_readings(warehouse: WarehouseOpt = None) -> None:
    """Rewrite sensor_readings in time order (what loads store now) in a new snapshot: for a warehouse
    loaded before, so time-windowed reads skip row groups. Same rows."""
    from etl.load import reorder_readings as reorder
    from etl.snapshots import writer

    with _clean_errors():
        wh, settings = _warehouse(warehouse)
        t0 = time.monotonic()
        with writer(wh, settings) as con:  # type: ignore[arg-type]
            n = reorder(con)
        typer.echo(f"sensor_readings: {n:,} rows rewritten in time order in {time.monotonic() - t0:.1f} s")


@app.command("rollups")
def rollups_command(warehouse: WarehouseOpt = None) -> None:
    """Rebuild every rollup table from the fact rows in a new snapshot: for a warehouse loaded before
    rollups (its next load would do it too). Loads keep them current afterwards."""
    from etl.rollups import ALL_ROLLUPS, build_rollups
    from etl.snapshots import writer

    with _clean_errors():
        wh, settings = _warehouse(warehouse)
        t0 = time.monotonic()
        with writer(wh, settings) as con:  # type: ignore[arg-type]
            build_rollups(con)
            rows = {s.name: con.execute(f"SELECT count(*) FROM {s.name}").fetchone() for s in ALL_ROLLUPS}
        typer.echo(", ".join(f"{name} {row[0] if row else 0:,}" for name, row in rows.items())
                   + f" rows, built in {time.monotonic() - t0:.1f} s")


@app.command("import-rollups")
def import_rollups_command(
    out: Annotated[Path, typer.Argument(help="the --out directory of `vitals spark rollups`")],
    warehouse: WarehouseOpt = None,
) -> None:
    """Replace the rollup tables with what `vitals spark rollups` built (Spark or DuckDB) in a new
    snapshot, recorded as a run: the pages then serve the job's numbers."""
    from etl.import_rollups import RollupImportError, import_rollups
    from etl.snapshots import writer

    with _clean_errors():
        if not out.is_dir():
            raise _fail(f"{out} is not a directory (the --out of `vitals spark rollups`)")
        wh, settings = _warehouse(warehouse)
        t0 = time.monotonic()
        try:
            with writer(wh, settings) as con:  # type: ignore[arg-type]
                rep = import_rollups(con, out.absolute())
        except RollupImportError as exc:
            raise _fail(str(exc)) from None
    typer.echo(f"run {rep.run_id}: " + ", ".join(f"{name} {n:,}" for name, n in rep.rows.items())
               + f" rows built by {rep.engine}, imported in {time.monotonic() - t0:.1f} s")
    if rep.source_now != rep.warehouse_now:
        typer.echo(f"note: the job's data ends at {rep.source_now or '?'}, this warehouse's at "
                   f"{rep.warehouse_now or '?'}: loads since the export are in the rows, not in these rollups "
                   "(the next load refreshes the days it touches)", err=True)


@app.command("export")
def export_command(
    out: Annotated[Path, typer.Option("--out", help="directory for the Parquet files (replaced per table)")],
    warehouse: WarehouseOpt = None,
) -> None:
    """Write the raw tables as Parquet partitioned by day and district (cases, hotline_orders,
    sensor_alarms; org_unit and warehouse_meta as one file each): the input of `vitals spark rollups`."""
    from etl.export import export_parquet

    with _clean_errors():
        wh, _ = _warehouse(warehouse)
        t0 = time.monotonic()
        for e in export_parquet(wh, out):
            typer.echo(f"{e.table:16s} {e.rows:>12,d} rows  {e.path}")
        typer.echo(f"exported in {time.monotonic() - t0:.1f} s")


@app.command("watch")
def watch_command(
    directory: Annotated[Path, typer.Argument(help="directory the feed drops export files into")],
    config: Annotated[Path | None, typer.Option("--config", help="routes (default: DIR/watch.toml)")] = None,
    interval: Annotated[float, typer.Option(help="seconds between polls")] = 5.0,
    once: Annotated[bool, typer.Option("--once", help="load what has landed (two polls), then exit")] = False,
    warehouse: WarehouseOpt = None,
) -> None:
    """Load files as they land in DIR, one progress line per file; loaded files move to DIR/loaded/,
    failed ones to DIR/failed/ (docs/etl.md, "Live feed")."""
    from etl.watch import CONFIG_NAME, WatchConfigError, Watcher, read_routes, watch

    with _clean_errors():
        if not directory.is_dir():
            raise _fail(f"{directory}: not a directory")
        try:
            routes = read_routes(config or directory / CONFIG_NAME)
        except WatchConfigError as exc:
            raise _fail(str(exc)) from None
        wh, settings = _warehouse(warehouse)
        watcher = Watcher(directory, wh, settings, routes, echo=typer.echo)  # type: ignore[arg-type]
        if not once:
            typer.echo(f"watching {directory} every {interval:g} s (Ctrl-C stops)")
        try:
            outcomes = watch(watcher, interval, once=once)
        except KeyboardInterrupt:
            return
        if any(not o.ok for o in outcomes):
            raise typer.Exit(1)


@app.command("delete")
def delete(
    kind: Annotated[str, typer.Argument(help="kind the run loaded (readings, cases, ...)")],
    run: Annotated[int, typer.Option("--run", help="run id to remove (vitals etl info / the data-status page)")],
    warehouse: WarehouseOpt = None,
) -> None:
    """Remove the rows a bad load wrote, in a new snapshot; the deletion is recorded as a run."""
    from etl.delete_run import DeleteError, delete_run
    from etl.snapshots import writer

    with _clean_errors():
        wh, settings = _warehouse(warehouse)
        try:
            with writer(wh, settings) as con:  # type: ignore[arg-type]
                rep = delete_run(con, kind, run)
        except DeleteError as exc:
            raise _fail(str(exc)) from None
    _out().print(f"run {rep.run_id}: deleted {rep.rows_deleted:,} {kind} row(s) of run {rep.deleted_run}"
                 + (f"; derived alarms changed: {rep.alarms_changed}" if kind == "readings" else ""))


def _summary(report: object, seconds: float) -> None:
    from etl.load import LoadReport

    assert isinstance(report, LoadReport)
    table = Table(title=f"run {report.run_id}: {report.kind} from {report.source_system} ({seconds:.1f} s)")
    for col in ("file", "read", "loaded", "rejected", "new", "updated", "top reject reasons"):
        table.add_column(col, justify="left" if col in ("file", "top reject reasons") else "right")
    for f in report.files:
        reasons = ", ".join(f"{r} {n:,}" for r, n in f.reasons[:3])
        table.add_row(Path(f.file).name, f"{f.rows_read:,}", f"{f.rows_loaded:,}", f"{f.rows_rejected:,}",
                      f"{f.inserted:,}", f"{f.updated:,}", reasons)
    if len(report.files) > 1:
        top = sorted(report.reasons.items(), key=lambda kv: -kv[1])[:3]
        table.add_row("[bold]total", f"{report.rows_read:,}", f"{report.rows_loaded:,}", f"{report.rows_rejected:,}",
                      f"{sum(f.inserted for f in report.files):,}", f"{sum(f.updated for f in report.files):,}",
                      ", ".join(f"{r} {n:,}" for r, n in top))
    _out().print(table)


@app.command("rejects")
def rejects(
    run: Annotated[int | None, typer.Option("--run", help="run id (default: the latest run)")] = None,
    limit: Annotated[int, typer.Option("--limit", help="rows to show")] = 20,
    warehouse: WarehouseOpt = None,
) -> None:
    """Show rejected rows of a run with their reasons."""
    from etl.snapshots import open_readonly

    with _clean_errors():
        wh, _ = _warehouse(warehouse)
        con = open_readonly(wh)
        try:
            if run is None:
                run = con.execute("SELECT max(run_id) FROM etl_run").fetchone()[0]  # type: ignore[index]
                if run is None:
                    raise _fail("no ETL runs in this warehouse yet")
            counts = con.execute("SELECT reason, count(*) FROM etl_reject WHERE run_id = ? GROUP BY 1 ORDER BY 2 DESC",
                                 [run]).fetchall()
            rows = con.execute("SELECT file, line, field, raw_value, reason, detail FROM etl_reject WHERE run_id = ?"
                               " ORDER BY file, line LIMIT ?", [run, limit]).fetchall()
        finally:
            con.close()
    t = Table(title=f"rejects of run {run}: " + (", ".join(f"{r} {n:,}" for r, n in counts) or "none"))
    for col in ("file", "line", "field", "raw value", "reason", "detail"):
        t.add_column(col)
    for f, line, field, raw, reason, detail in rows:
        t.add_row(Path(f).name, str(line), field or "", (raw or "")[:40], reason, detail or "")
    _out().print(t)


def info(warehouse: WarehouseOpt = None) -> None:
    """What is loaded: row counts per table, date ranges, last load per source."""
    from etl import schema
    from etl.snapshots import current_snapshot, open_readonly

    with _clean_errors():
        wh, _ = _warehouse(warehouse)
        con = open_readonly(wh)
        try:
            present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
            t = Table(title=f"warehouse {wh} → {current_snapshot(wh)}")
            for col in ("table", "rows", "from", "to"):
                t.add_column(col, justify="right" if col == "rows" else "left")
            for table in schema.TABLES:
                if table.name not in present:
                    continue
                ts = next((c.name for c in table.columns if c.type == "TIMESTAMP" and c.required), None)
                if ts is None and table.name == "staffing_roster":
                    ts = "duty_date"
                sel = f", min({ts}), max({ts})" if ts else ""
                row = con.execute(f"SELECT count(*){sel} FROM {table.name}").fetchone()  # our own identifiers
                assert row is not None
                t.add_row(table.name, f"{row[0]:,}", *(str(v or "") for v in row[1:]))
            _out().print(t)
            runs = con.execute(
                "SELECT source_system, kind, max(finished_at), arg_max(run_id, finished_at),"
                " arg_max(rows_loaded, finished_at), arg_max(rows_rejected, finished_at)"
                " FROM etl_run WHERE status = 'succeeded' GROUP BY 1, 2 ORDER BY 3 DESC"
            ).fetchall()
        finally:
            con.close()
    r = Table(title="last load per source (UTC)")
    for col in ("source", "kind", "finished", "run", "loaded", "rejected"):
        r.add_column(col)
    for src, kind, fin, run_id, loaded, rej in runs:
        r.add_row(str(src), kind, str(fin)[:19], str(run_id), f"{loaded:,}", f"{rej:,}")
    _out().print(r)


app.command("info")(info)


@site_app.command("show")
def site_show(warehouse: WarehouseOpt = None) -> None:
    """The site as the warehouse records it (what loads convert to), and where vitals.toml differs."""
    from etl.site import config_differences, level_names, site_facts
    from etl.snapshots import open_readonly

    with _clean_errors():
        wh, settings = _warehouse(warehouse)
        if not wh.exists():
            raise _fail(f"no warehouse at {wh} yet: the first load creates it with vitals.toml's [site]")
        con = open_readonly(wh)
        try:
            facts = site_facts(con)
        finally:
            con.close()
    t = Table(title=f"site of {wh}")
    t.add_column("setting")
    t.add_column("value")
    for key in ("site_name_zh", "site_name_en", "hotline_name_zh", "hotline_name_en", "timezone", "datum", "now",
                "data_now"):
        if key in facts:
            t.add_row(key, facts[key])
    for level, names in level_names(facts).items():
        t.add_row(f"level {level}", " / ".join(names[k] for k in ("zh", "en") if k in names))
    _out().print(t)
    for line in config_differences(facts, settings):  # type: ignore[arg-type]
        _err().print(f"[bold yellow]note:[/] {escape(line)}", highlight=False, soft_wrap=True)


@site_app.command("set")
def site_set(
    timezone: Annotated[str | None, typer.Option("--timezone", "--zone",
                                                         help="IANA zone; stored times are re-expressed")] = None,
    datum: Annotated[str | None, typer.Option("--datum", help="WGS-84 | GCJ-02 | BD-09; points are converted")] = None,
    name: Annotated[str | None, typer.Option(
        "--name", help="中文名[/English name], e.g. 纽约市/New York City (page header, tab, wall title)")] = None,
    name_zh: Annotated[str | None, typer.Option("--name-zh")] = None,
    name_en: Annotated[str | None, typer.Option("--name-en")] = None,
    hotline_name: Annotated[str | None, typer.Option(
        "--hotline-name", help="中文名[/English name] of the citizen hotline, e.g. 311 热线/311 (default 12345 热线)")
    ] = None,
    level: Annotated[list[str] | None, typer.Option(
        "--level", help="LEVEL=中文名[/English name], e.g. town=区/Borough (repeatable)")] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Change the site's facts in a new snapshot (all or nothing)."""
    from etl.site import SiteChange, set_site
    from etl.snapshots import writer

    def both(value: str | None) -> tuple[str | None, str | None]:
        """``中文/English`` → the two names; one name without ``/`` is both languages' (``311``)."""
        if value is None:
            return None, None
        zh, sep, en = value.partition("/")
        return zh.strip() or None, (en.strip() if sep else zh.strip()) or None

    name_zh, name_en = (name_zh, name_en) if name is None else both(name)
    hotline_zh, hotline_en = both(hotline_name)
    levels: dict[str, tuple[str | None, str | None]] = {}
    for item in level or []:
        lvl, sep, names = item.partition("=")
        if not sep:
            raise _fail(f"--level {item!r}: expected LEVEL=中文名/English name")
        zh, _, en = names.partition("/")
        levels[lvl.strip()] = (zh.strip() or None, en.strip() or None)
    with _clean_errors():
        wh, settings = _warehouse(warehouse)
        with writer(wh, settings) as con:  # type: ignore[arg-type]
            done = set_site(con, SiteChange(name_zh, name_en, timezone, datum, levels, hotline_zh, hotline_en))
    for line in done or ["nothing to change"]:
        _out().print(escape(line), highlight=False)
