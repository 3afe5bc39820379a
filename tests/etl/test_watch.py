"""`vitals etl watch`: files landing in a directory are loaded once they stand still, one line each,
and moved aside; a bad file fails alone and leaves the published data as it was."""

from __future__ import annotations

import os
from pathlib import Path

from typer.testing import CliRunner

from etl.cli import app
from etl.settings import Settings
from etl.snapshots import open_readonly
from etl.watch import Watcher, mapping_for, read_routes
from tests.etl.conftest import demo_cases, demo_units

runner = CliRunner(env={"COLUMNS": "200"})
ROUTES = '[[route]]\npattern = "units-*.parquet"\nmapping = "demo_units"\n\n' \
         '[[route]]\npattern = "cases-*.parquet"\nmapping = "demo_cases"\n'
T0 = 1_780_000_000  # file times are set explicitly: the order of the feed, not the clock of the run


def _land(path: Path, at: int) -> Path:
    os.utime(path, (at, at))
    return path


def _count(warehouse: Path, sql: str) -> int:
    with open_readonly(warehouse) as con:
        row = con.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def _watcher(incoming: Path, warehouse: Path, lines: list[str]) -> Watcher:
    (incoming / "watch.toml").write_text(ROUTES, encoding="utf-8")
    return Watcher(incoming, warehouse, Settings(warehouse=warehouse), read_routes(incoming / "watch.toml"),
                   echo=lines.append)


def test_files_load_in_landing_order_once_still_and_move_aside(tmp_path: Path, warehouse: Path) -> None:
    incoming = tmp_path / "in"
    incoming.mkdir()
    lines: list[str] = []
    w = _watcher(incoming, warehouse, lines)
    # cases landed after units (their units must exist); names alone would sort them first
    _land(demo_cases(incoming / "cases-0905.parquet", ["reported", "closed", "reported"],
                     [None, "2026-01-01 12:00", None]), T0 + 60)
    _land(demo_units(incoming / "units-0900.parquet"), T0)
    assert w.poll() == [] and lines == []  # first sight: maybe still being written
    outcomes = w.poll()
    assert [o.file for o in outcomes] == ["units-0900.parquet", "cases-0905.parquet"]
    assert all(o.ok for o in outcomes) and len(lines) == 2
    assert lines[1].startswith("loaded cases-0905.parquet: cases run ") and "3 read, 3 loaded, 0 rejected" in lines[1]
    # The first load writes the base; the feed's next file goes into a small delta on it (issue 19).
    assert lines[0].endswith("full snapshot)") and lines[1].endswith("delta on vitals-1.duckdb)"), lines
    assert _count(warehouse, "SELECT count(*) FROM cases") == 3
    assert _count(warehouse, "SELECT count(*) FROM org_unit") == 4
    assert sorted(p.name for p in (incoming / "loaded").iterdir()) == ["cases-0905.parquet", "units-0900.parquet"]
    assert sorted(p.name for p in incoming.iterdir()) == ["loaded", "watch.toml"]
    assert w.poll() == []  # nothing is loaded twice


def test_a_file_landing_again_changes_no_row(tmp_path: Path, warehouse: Path) -> None:
    """What a watcher killed after publishing but before moving the file sees on restart."""
    incoming = tmp_path / "in"
    incoming.mkdir()
    w = _watcher(incoming, warehouse, [])
    _land(demo_units(incoming / "units-0900.parquet"), T0)
    _land(demo_cases(incoming / "cases-0905.parquet", ["reported", "closed"], [None, "2026-01-01 12:00"]), T0 + 60)
    w.poll()
    first = w.poll()
    again = incoming / "cases-0905.parquet"
    again.write_bytes((incoming / "loaded" / "cases-0905.parquet").read_bytes())
    _land(again, T0 + 60)
    w = _watcher(incoming, warehouse, [])  # a new process
    w.poll()
    (second,) = w.poll()
    assert first[1].report is not None and first[1].report.files[0].inserted == 2
    assert second.ok and second.report is not None
    assert (second.report.files[0].inserted, second.report.files[0].updated) == (0, 0)
    assert second.report.files[0].unchanged == 2
    assert _count(warehouse, "SELECT count(*) FROM cases") == 2
    assert sorted(p.name for p in (incoming / "loaded").iterdir()) == ["cases-0905.1.parquet", "cases-0905.parquet",
                                                                       "units-0900.parquet"]


def test_a_file_still_growing_waits_and_a_bad_file_fails_alone(tmp_path: Path, warehouse: Path) -> None:
    incoming = tmp_path / "in"
    incoming.mkdir()
    lines: list[str] = []
    w = _watcher(incoming, warehouse, lines)
    _land(demo_units(incoming / "units-0900.parquet"), T0)
    w.poll()
    w.poll()
    partial = incoming / "cases-0910.parquet"
    partial.write_bytes(b"PAR1 half a file")
    _land(partial, T0 + 10)
    assert w.poll() == []
    demo_cases(partial, ["reported", "reported"])  # the copy finishes: size and time change
    _land(partial, T0 + 20)
    assert w.poll() == [], "changed since the last poll: not yet"
    (incoming / "cases-0915.parquet").write_bytes(b"not parquet at all")
    _land(incoming / "cases-0915.parquet", T0 + 30)
    (incoming / "notes.txt").write_text("no route", encoding="utf-8")
    _land(incoming / "notes.txt", T0 + 40)
    outcomes = w.poll()  # the finished copy stood still; the new files are seen for the first time
    outcomes += w.poll()
    assert [(o.file, o.ok) for o in outcomes] == [("cases-0910.parquet", True), ("cases-0915.parquet", False),
                                                   ("notes.txt", False)]
    assert _count(warehouse, "SELECT count(*) FROM cases") == 2, "the bad file changed nothing"
    assert _count(warehouse, "SELECT count(*) FROM etl_run WHERE status = 'failed'") == 1
    failed = incoming / "failed"
    assert sorted(p.name for p in failed.iterdir()) == ["cases-0915.parquet", "cases-0915.parquet.error.txt",
                                                        "notes.txt", "notes.txt.error.txt"]
    assert "no route" in (failed / "notes.txt.error.txt").read_text(encoding="utf-8")
    assert lines[-2].startswith("failed cases-0915.parquet: ") and len(lines) == 4


def test_mapping_from_config_or_name_prefix(tmp_path: Path) -> None:
    cfg = tmp_path / "watch.toml"
    cfg.write_text(ROUTES, encoding="utf-8")
    routes = read_routes(cfg)
    assert mapping_for("cases-1.parquet", routes) == "demo_cases"
    assert mapping_for("demo_hotline--0905.parquet", routes) == "demo_hotline"
    assert mapping_for("no_such_mapping--0905.parquet", routes) is None
    assert mapping_for("hotline.parquet", ()) is None


def test_cli_once_loads_what_landed_and_prints_a_line_per_file(tmp_path: Path, warehouse: Path) -> None:
    incoming = tmp_path / "in"
    incoming.mkdir()
    _land(demo_units(incoming / "demo_units--0900.parquet"), T0)
    _land(demo_cases(incoming / "demo_cases--0905.parquet", ["reported"]), T0 + 60)
    r = runner.invoke(app, ["watch", str(incoming), "--once", "--interval", "0", "-w", str(warehouse)])
    assert r.exit_code == 0, r.output
    assert [ln.split(":")[0] for ln in r.output.splitlines()] == ["loaded demo_units--0900.parquet",
                                                                 "loaded demo_cases--0905.parquet"]
    assert _count(warehouse, "SELECT count(*) FROM cases") == 1
    (incoming / "watch.toml").write_text("[[route]]\npattern = 1\n", encoding="utf-8")
    r = runner.invoke(app, ["watch", str(incoming), "--once", "--interval", "0", "-w", str(warehouse)])
    assert r.exit_code == 2 and "route 1 needs a pattern and a mapping" in r.output
