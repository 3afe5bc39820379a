"""The dashboard serves what Spark writes: the rollups the Spark job built from the exported Parquet,
imported (`vitals etl import-rollups`) into a copy of the warehouse whose rollups were emptied, give
the pages' own metrics calls the numbers the original warehouse gives."""

from __future__ import annotations

import json
import os
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from dashboard.cli import app
from dashboard.components.cases_view import KPI_IDS
from etl.export import export_parquet
from etl.import_rollups import MANIFEST, RollupImportError, import_rollups
from etl.rollups import FINGERPRINT, ROLLUPS, current
from etl.snapshots import writer
from metrics.indicators import indicator_values
from metrics.query import Period, Query
from tests.dashboard.minimal_warehouse import copy_warehouse

HOTLINE_IDS = ("hotline_orders", "hotline_first_contact_rate", "hotline_resolution_rate",
               "hotline_satisfaction_rate")


def _queries(con: duckdb.DuckDBPyConnection, now: Any) -> list[Query]:
    town = con.execute("SELECT min(town_code) FROM cases WHERE town_code IS NOT NULL").fetchone()[0]  # type: ignore[index]
    month = Period.containing("month", now.date())
    return [Query(month), Query(month.previous()), Query(Period.containing("year", now.date())),
            Query(month, unit=town), Query(month.previous(), urgency="urgent"),
            Query(Period(now.replace(hour=0, minute=0, second=0) - timedelta(days=30),
                         now.replace(hour=0, minute=0, second=0), "custom"))]


def _values(con: duckdb.DuckDBPyConnection, now: Any) -> list[dict[str, tuple[float | None, ...]]]:
    """The /cases KPI tiles' call (and the hotline page's additive indicators) per query."""
    out = []
    for q in _queries(con, now):
        vals = indicator_values(con, (*KPI_IDS, *HOTLINE_IDS), q, now=now)
        out.append({k: (v.numerator, v.denominator, v.value, v.previous_value) for k, v in vals.items()})
    return out


def _same(a: list[dict[str, tuple[float | None, ...]]], b: list[dict[str, tuple[float | None, ...]]]) -> bool:
    """Equal per query, indicator and figure (floats within 1e-9)."""
    return len(a) == len(b) and all(
        x.keys() == y.keys() and all(
            len(x[k]) == len(y[k]) and all((p is None and q is None) or (p is not None and q is not None and
                                                                         abs(p - q) <= 1e-9)
                                           for p, q in zip(x[k], y[k], strict=True)) for k in x)
        for x, y in zip(a, b, strict=True))


def _rollup_rows(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, ...]]]:
    return {s.name: sorted(tuple(map(str, r)) for r in con.execute(f"SELECT * FROM {s.name}").fetchall())
            for s in ROLLUPS}


@pytest.fixture(scope="module")
def emptied(tiny_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the warehouse whose rollup tables are empty, still marked current: every additive KPI
    it serves then reads zero, so an equal KPI after the import can only come from the imported rows."""
    wh = copy_warehouse(tiny_warehouse, tmp_path_factory.mktemp("import-rollups"))
    with writer(wh) as con:
        for spec in ROLLUPS:
            con.execute(f"DELETE FROM {spec.name}")
    return wh


def test_the_pages_serve_the_rollups_spark_built(built: dict[str, Any], tiny_warehouse: Path,
                                                  emptied: Path) -> None:
    now = built["now"]
    with duckdb.connect(str(tiny_warehouse), read_only=True) as con:
        want, want_rows = _values(con, now), _rollup_rows(con)
    with duckdb.connect(str(emptied), read_only=True) as con:
        assert current(con) and not _same(_values(con, now), want)  # the emptied rollups are what is read
    res = CliRunner().invoke(app, ["etl", "import-rollups", str(built["root"] / "spark"), "--warehouse", str(emptied)])
    assert res.exit_code == 0, res.output
    assert "built by spark" in res.output
    with duckdb.connect(str(emptied), read_only=True) as con:
        assert current(con)
        assert _rollup_rows(con) == want_rows  # every cell Spark built, as the load built it
        got = _values(con, now)
        run = con.execute("SELECT kind, source_system, status, rows_read, rows_loaded, rows_rejected, message "
                          "FROM etl_run ORDER BY run_id DESC LIMIT 1").fetchone()
    assert _same(got, want)
    assert sum(v[2] or 0 for v in got[0].values()) > 0  # not vacuous: the tiles have numbers
    assert run is not None and run[:3] == ("rollups", "spark", "succeeded")
    total = sum(len(rows) for rows in want_rows.values())
    assert run[3:6] == (total, total, 0)
    message = json.loads(run[6])
    assert message["rollups"] == FINGERPRINT and message["data_now"] == now.isoformat(sep=" ")


def test_output_of_other_declarations_or_incomplete_is_refused(built: dict[str, Any], tiny_warehouse: Path,
                                                               tmp_path: Path) -> None:
    wh = copy_warehouse(tiny_warehouse, tmp_path / "wh")
    before = os.path.realpath(wh)
    out = tmp_path / "out"
    shutil.copytree(built["root"] / "duckdb", out)
    shutil.rmtree(out / "rollups" / ROLLUPS[-1].name)
    with pytest.raises(RollupImportError, match="missing"), writer(wh) as con:
        import_rollups(con, out)
    assert os.path.realpath(wh) == before  # nothing published
    # a manifest naming other declarations (an older job's): refused before anything is read
    shutil.rmtree(out / MANIFEST)
    (out / MANIFEST).mkdir()
    duckdb.sql(f"COPY (SELECT 'other' AS rollups, 'spark' AS engine, '' AS data_now, '' AS first_day, "
               f"'' AS last_day) TO '{out / MANIFEST / 'm.parquet'}'")
    res = CliRunner().invoke(app, ["etl", "import-rollups", str(out), "--warehouse", str(wh)])
    assert res.exit_code == 2 and "other rollup declarations" in res.output
    res = CliRunner().invoke(app, ["etl", "import-rollups", str(tmp_path / "raw"), "--warehouse", str(wh)])
    assert res.exit_code == 2 and "not a directory" in res.output
    assert os.path.realpath(wh) == before


def test_an_older_warehouse_exports_in_the_current_layout(tiny_warehouse: Path, tmp_path: Path) -> None:
    """A warehouse written before a column was declared (the district demo predates ``city_code``)
    exports it as NULL of its type, as its next writer would add it: the job's statements bind."""
    wh = copy_warehouse(tiny_warehouse, tmp_path / "wh")
    with duckdb.connect(os.path.realpath(wh)) as con:
        con.execute("ALTER TABLE cases DROP COLUMN city_code")
        n = con.execute("SELECT count(*) FROM cases").fetchone()
    export_parquet(wh, tmp_path / "raw")
    got = duckdb.sql(f"SELECT count(*), count(city_code), typeof(any_value(city_code)) FROM "
                     f"read_parquet('{tmp_path / 'raw' / 'cases' / '**' / '*.parquet'}')").fetchone()
    assert n is not None and got == (n[0], 0, "VARCHAR")
