from __future__ import annotations

import duckdb
from typer.testing import CliRunner

from dashboard.cli import app
from tests import clock


def test_demo_builds_a_loaded_warehouse_and_info_reports_it(tmp_path, monkeypatch):
    wh = tmp_path / "vitals.duckdb"
    monkeypatch.setenv("VITALS_WAREHOUSE", str(wh))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(app, ["demo", "--scale", "tiny", "--no-serve", "--now", clock.NOW.isoformat()])
    assert result.exit_code == 0, result.output
    con = duckdb.connect(str(wh), read_only=True)
    cases = con.execute("SELECT count(*) FROM cases").fetchone()[0]
    runs = con.execute("SELECT sum(rows_read), sum(rows_loaded), sum(rows_rejected) FROM etl_run").fetchone()
    con.close()
    assert cases > 0
    assert runs[0] == runs[1] + runs[2]
    assert f"{cases:,}" in result.output  # the summary table printed the case count it loaded
    con = duckdb.connect(str(wh), read_only=True)
    (data_now,) = con.execute("SELECT value FROM warehouse_meta WHERE key = 'data_now'").fetchone()
    con.close()
    assert data_now == clock.NOW.isoformat(sep=" ")  # --now is the data's 'now'

    info = runner.invoke(app, ["info"])
    assert info.exit_code == 0, info.output
    assert "cases" in info.output and f"{cases:,}" in info.output


def test_demo_rejects_an_unknown_scale(tmp_path, monkeypatch):
    monkeypatch.setenv("VITALS_WAREHOUSE", str(tmp_path / "w.duckdb"))
    result = CliRunner().invoke(app, ["demo", "--scale", "galaxy", "--no-serve"])
    assert result.exit_code != 0
    assert "galaxy" in result.output
    assert not (tmp_path / "w.duckdb").exists()
