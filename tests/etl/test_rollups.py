"""Rollups maintained at load (etl/rollups.py): a load recomputes the rollup days its rows touch, the
old day of a late-updated row included, in the load's snapshot; the result always equals a rollup
built afresh from the fact rows."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from etl import rollups
from etl.load import load_files, load_into
from etl.rollups import ALL_ROLLUPS
from etl.snapshots import open_readonly, writer
from tests.etl.conftest import demo_units


def read(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """The published state as readers see it (a full snapshot, or a base + delta pair)."""
    return open_readonly(warehouse)


def cases(path: Path, rows: list[tuple[str, str, str | None, str, bool]]) -> Path:
    """(case_id, status, registered_at, urgency, proactive) rows of unit V1, reported at 08:00 on Jan 1."""
    pd.DataFrame({
        "case_id": [r[0] for r in rows],
        "source_system": ["demo"] * len(rows),
        "source_id": [r[0] for r in rows],
        "status": [r[1] for r in rows],
        "reported_at": pd.to_datetime(["2026-01-01 08:00"] * len(rows)),
        "registered_at": pd.to_datetime([r[2] for r in rows]),
        "dispatched_at": pd.to_datetime([r[2] for r in rows]),
        "urgency": [r[3] for r in rows],
        "proactive": [r[4] for r in rows],
        "cancelled": [r[1] == "cancelled" for r in rows],
        "unit_code": ["V1"] * len(rows),
    }).to_parquet(path)
    return path


def by_day(con: duckdb.DuckDBPyConnection, table: str, column: str) -> dict[str, int]:
    return {str(d): int(n) for d, n in con.execute(
        f"SELECT day, sum({column}) FROM {table} GROUP BY day HAVING sum({column}) > 0 ORDER BY day").fetchall()}


def equals_a_fresh_build(con: duckdb.DuckDBPyConnection) -> bool:
    return all(sorted(con.execute(f"SELECT * FROM {s.name}").fetchall(), key=repr)
               == sorted(con.execute(s.build_sql).fetchall(), key=repr) for s in ALL_ROLLUPS)


def test_a_load_builds_the_rollups_and_a_late_update_moves_a_case_between_days(tmp_path: Path,
                                                                               warehouse: Path) -> None:
    load_files(warehouse, "units", [demo_units(tmp_path / "u.parquet")], "demo_units")
    first = cases(tmp_path / "c1.parquet", [
        ("c0", "registered", "2026-01-01 09:00", "urgent", True),
        ("c1", "registered", "2026-01-01 23:59", "general", False),
        ("c2", "registered", "2026-01-02 00:00", "urgent", True),
        ("c3", "reported", None, "general", False),
    ])
    load_files(warehouse, "cases", [first], "demo_cases")
    with read(warehouse) as con:
        assert rollups.current(con)
        assert by_day(con, "rollup_cases_registered", "n_registered") == {"2026-01-01": 2, "2026-01-02": 1}
        assert by_day(con, "rollup_cases_registered", "n_proactive__registered") == {"2026-01-01": 1,
                                                                                     "2026-01-02": 1}
        assert by_day(con, "rollup_cases_dispatched", "n_urgent_dispatched") == {"2026-01-01": 1, "2026-01-02": 1}
        assert panel_counts(con) == {("unit", None): 4, ("heat", 8): 4}  # all four reported at 08:00
        assert equals_a_fresh_build(con)
    # late: c0's registration corrected to Jan 3 (leaves Jan 1), c1 is cancelled (leaves every day),
    # c3 gets registered on Jan 2
    late = cases(tmp_path / "c2.parquet", [
        ("c0", "registered", "2026-01-03 10:00", "urgent", True),
        ("c1", "cancelled", "2026-01-01 23:59", "general", False),
        ("c3", "registered", "2026-01-02 12:00", "general", True),
    ])
    rep = load_files(warehouse, "cases", [late], "demo_cases")
    assert rep.files[0].updated == 3
    with read(warehouse) as con:
        assert by_day(con, "rollup_cases_registered", "n_registered") == {"2026-01-02": 2, "2026-01-03": 1}
        assert by_day(con, "rollup_cases_registered", "n_proactive__registered") == {"2026-01-02": 2,
                                                                                     "2026-01-03": 1}
        assert by_day(con, "rollup_cases_dispatched", "n_urgent_dispatched") == {"2026-01-02": 1, "2026-01-03": 1}
        assert panel_counts(con) == {("unit", None): 3, ("heat", 8): 3}  # the cancelled one left
        assert equals_a_fresh_build(con)


def panel_counts(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, object], int]:
    """The /cases panels rollup's counts on 1 January: all cases, per hour (heat) and per bucket of the
    closed ones (handling)."""
    return {(p, k): int(n) for p, k, n in con.execute(
        "SELECT panel, CASE panel WHEN 'heat' THEN hour WHEN 'handling' THEN lo END, sum(n) FROM "
        "rollup_cases_reported_panels_by_district WHERE day = DATE '2026-01-01' "
        "AND panel IN ('unit', 'heat', 'handling') "
        "AND (panel <> 'handling' OR lo IS NOT NULL) "
        "GROUP BY ALL HAVING sum(n) > 0").fetchall()}


def test_a_late_closure_moves_a_case_between_handling_buckets(tmp_path: Path, warehouse: Path) -> None:
    load_files(warehouse, "units", [demo_units(tmp_path / "u.parquet")], "demo_units")

    def closed(path: Path, when: list[str | None]) -> Path:
        cases(path, [(f"c{i}", "closed" if w else "registered", "2026-01-01 09:00", "general", False)
                     for i, w in enumerate(when)])
        df = pd.read_parquet(path)
        df["closed_at"] = pd.to_datetime(when)
        df.to_parquet(path)
        return path

    load_files(warehouse, "cases", [closed(tmp_path / "a.parquet", ["2026-01-01 09:30", None])], "demo_cases")
    with read(warehouse) as con:
        assert panel_counts(con) == {("unit", None): 2, ("heat", 8): 2, ("handling", 0): 1}
    # c0's closure corrected to 3 days later (bucket 72 h), c1 closed after 30 hours (bucket 24 h)
    load_files(warehouse, "cases", [closed(tmp_path / "b.parquet", ["2026-01-04 10:00", "2026-01-02 15:00"])],
               "demo_cases")
    with read(warehouse) as con:
        assert panel_counts(con) == {("unit", None): 2, ("heat", 8): 2, ("handling", 72): 1, ("handling", 24): 1}
        assert equals_a_fresh_build(con)


def test_a_warehouse_without_current_rollups_gets_a_full_build_at_its_next_load(tmp_path: Path,
                                                                                 warehouse: Path) -> None:
    load_files(warehouse, "units", [demo_units(tmp_path / "u.parquet")], "demo_units")
    load_files(warehouse, "cases", [cases(tmp_path / "c1.parquet", [
        ("c0", "registered", "2026-01-01 09:00", "urgent", True)])], "demo_cases")
    with writer(warehouse) as con:  # as a warehouse from before rollups (or of other declarations)
        con.execute("DROP TABLE rollup_cases_registered")
        con.execute("DELETE FROM warehouse_meta WHERE key = 'rollups'")
    with read(warehouse) as con:
        assert not rollups.current(con)
    load_files(warehouse, "cases", [cases(tmp_path / "c2.parquet", [
        ("c9", "registered", "2026-02-01 09:00", "general", False)])], "demo_cases")
    with read(warehouse) as con:
        assert rollups.current(con)
        assert by_day(con, "rollup_cases_registered", "n_registered") == {"2026-01-01": 1, "2026-02-01": 1}
        assert equals_a_fresh_build(con)


def test_refresh_recomputes_only_the_days_it_is_given(tmp_path: Path, warehouse: Path) -> None:
    load_files(warehouse, "units", [demo_units(tmp_path / "u.parquet")], "demo_units")
    load_files(warehouse, "cases", [cases(tmp_path / "c1.parquet", [
        ("c0", "registered", "2026-01-01 09:00", "urgent", True),
        ("c1", "registered", "2026-01-02 09:00", "urgent", True)])], "demo_cases")
    with writer(warehouse) as con:
        con.execute("UPDATE cases SET registered_at = registered_at + INTERVAL 1 DAY")  # not through a load
        rollups.refresh_rollups(con, {"cases": [pd.Timestamp("2026-01-01").date()]})
        # Jan 1 recomputed (c0 left it); Jan 2 not asked for: still the stale c1 only
        assert by_day(con, "rollup_cases_registered", "n_registered") == {"2026-01-02": 1}
        rollups.refresh_rollups(con, {"cases": [pd.Timestamp(d).date() for d in ("2026-01-02", "2026-01-03")]})
        assert by_day(con, "rollup_cases_registered", "n_registered") == {"2026-01-02": 1, "2026-01-03": 1}
        assert equals_a_fresh_build(con)


def test_a_failed_load_publishes_neither_its_rows_nor_its_rollups(tmp_path: Path, warehouse: Path) -> None:
    load_files(warehouse, "units", [demo_units(tmp_path / "u.parquet")], "demo_units")
    load_files(warehouse, "cases", [cases(tmp_path / "c1.parquet", [
        ("c0", "registered", "2026-01-01 09:00", "urgent", True)])], "demo_cases")
    try:
        with writer(warehouse) as con:
            load_into(con, "cases", [cases(tmp_path / "c2.parquet", [
                ("c0", "registered", "2026-01-05 09:00", "urgent", True)])], "demo_cases")
            assert by_day(con, "rollup_cases_registered", "n_registered") == {"2026-01-05": 1}  # inside: moved
            raise RuntimeError("killed before the publish")
    except RuntimeError:
        pass
    with read(warehouse) as con:
        assert by_day(con, "rollup_cases_registered", "n_registered") == {"2026-01-01": 1}
        assert equals_a_fresh_build(con)


def test_the_etl_imports_nothing_from_the_metrics_layer() -> None:
    """The ETL builds rollups from the generated etl/rollup_sql.py: etl never imports metrics."""
    import ast

    import etl

    offenders = []
    for path in sorted(Path(etl.__file__).resolve().parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}:{node.lineno}" for n in names if n == "metrics" or n.startswith("metrics.")]
    assert offenders == []


def test_the_cli_rebuilds_the_rollups_of_an_old_warehouse(tmp_path: Path, warehouse: Path) -> None:
    from typer.testing import CliRunner

    from etl.cli import app

    load_files(warehouse, "units", [demo_units(tmp_path / "u.parquet")], "demo_units")
    load_files(warehouse, "cases", [cases(tmp_path / "c1.parquet", [
        ("c0", "registered", "2026-01-01 09:00", "urgent", True)])], "demo_cases")
    with writer(warehouse) as con:  # as before rollups
        for s in ALL_ROLLUPS:
            con.execute(f"DROP TABLE {s.name}")
        con.execute("DELETE FROM warehouse_meta WHERE key IN ('rollups', 'readings_rollup')")
    # -w names the directory holding the link (a traceback, IsADirectoryError, before)
    r = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["rollups", "-w", str(warehouse.parent)])
    assert r.exit_code == 0, r.output
    assert "rollup_cases_registered 1," in r.output and "rollup_sensor_readings_day 0 " in r.output
    with read(warehouse) as con:
        assert rollups.current(con) and rollups.current(con, rollups.READINGS) and equals_a_fresh_build(con)


def test_readings_loads_keep_the_readings_rollup_exact(tmp_path: Path, warehouse: Path, monkeypatch) -> None:
    """The readings rollup (cells with a reading per sensor and day): a first load builds it, a late
    reading and a re-sent one recompute their days only, on the full-copy path as on a delta."""
    def readings(path: Path, rows: list[tuple[str, str, float]]) -> Path:
        pd.DataFrame({"sensor_id": [r[0] for r in rows], "ts": pd.to_datetime([r[1] for r in rows], format="ISO8601"),
                      "value": [r[2] for r in rows]}).to_parquet(path)
        return path

    def cells(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], tuple[int, int]]:
        return {(str(d), s): (int(n), int(c)) for d, s, n, c in con.execute(
            "SELECT day, sensor_id, readings, cells FROM rollup_sensor_readings_day").fetchall()}

    load_files(warehouse, "units", [demo_units(tmp_path / "u.parquet")], "demo_units")
    pd.DataFrame({"sensor_id": ["demo:s1", "demo:s2"], "source_system": "demo", "source_id": ["s1", "s2"],
                  "sensor_type": "water_level", "unit_code": "V1"}).to_parquet(tmp_path / "s.parquet")
    load_files(warehouse, "sensors", [tmp_path / "s.parquet"], "demo_sensors")
    load_files(warehouse, "readings", [readings(tmp_path / "r1.parquet", [
        ("demo:s1", "2026-01-01 00:00", 1.0), ("demo:s1", "2026-01-01 00:14:59", 1.1),  # cell 0 twice
        ("demo:s1", "2026-01-01 23:45", 1.2), ("demo:s2", "2026-01-02 01:30", 2.0)])], "demo_readings")
    with read(warehouse) as con:
        # by hand: cell k = 4 × hour + minute // 15; bit k of ``cells``
        assert cells(con) == {("2026-01-01", "demo:s1"): (3, 1 | 1 << 95), ("2026-01-02", "demo:s2"): (1, 1 << 6)}
    for delta in ("0", "500000"):  # the full-copy path, then a delta on the base
        monkeypatch.setenv("VITALS_DELTA_MAX_ROWS", delta)
        late = float(delta) / 1e6
        load_files(warehouse, "readings", [readings(tmp_path / f"r2-{delta}.parquet", [
            ("demo:s1", "2026-01-01 00:00", 1.0 + late),  # the stored reading sent again (corrected value)
            ("demo:s2", f"2026-01-01 0{int(delta[0]) % 9}:20", 2.5),  # late: a cell of an earlier day
        ])], "demo_readings")
        with read(warehouse) as con:
            assert equals_a_fresh_build(con)
    with read(warehouse) as con:
        assert cells(con)[("2026-01-01", "demo:s2")] == (2, 1 << 1 | 1 << 21)  # 00:20 and 05:20
        assert cells(con)[("2026-01-01", "demo:s1")] == (3, 1 | 1 << 95)  # unchanged: same cells
