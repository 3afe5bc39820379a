from __future__ import annotations

from typer.testing import CliRunner

from etl.cli import app
from tests.etl.conftest import demo_cases, demo_units

runner = CliRunner(env={"COLUMNS": "200"})


def test_load_summary_rejects_and_info(tmp_path, warehouse):
    u = demo_units(tmp_path / "u.parquet")
    c = demo_cases(tmp_path / "c.parquet", ["reported", "closed"], [None, "2025-01-01 00:00"])
    r = runner.invoke(app, ["load", "units", str(u), "--mapping", "demo_units", "--warehouse", str(warehouse)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["load", "cases", str(c), "-m", "demo_cases", "-w", str(warehouse)])
    assert r.exit_code == 0, r.output
    assert "closed_before_reported 1" in r.output
    r = runner.invoke(app, ["rejects", "-w", str(warehouse)])
    assert r.exit_code == 0 and "closed_before_reported" in r.output
    r = runner.invoke(app, ["info", "-w", str(warehouse)])
    assert r.exit_code == 0
    assert "demo" in r.output and "cases" in r.output


def test_bad_input_is_one_line_exit_2(tmp_path, warehouse):
    r = runner.invoke(app, ["load", "cases", str(tmp_path / "missing.csv"), "-m", "demo_cases", "-w", str(warehouse)])
    assert r.exit_code == 2 and "file not found" in r.output and "Traceback" not in r.output
    bad = tmp_path / "bad.toml"
    bad.write_text('source_system = "x"\nkind = "cases"\n[fields]\nnot_a_field = "A"\n')
    f = tmp_path / "x.csv"
    f.write_text("A\n1\n")
    r = runner.invoke(app, ["load", "cases", str(f), "-m", str(bad), "-w", str(warehouse)])
    assert r.exit_code == 2 and "fields.not_a_field" in r.output
    r = runner.invoke(app, ["load", "nonsense", str(f), "-m", str(bad), "-w", str(warehouse)])
    assert r.exit_code == 2 and "unknown kind" in r.output
    assert not warehouse.exists(), "a failed load publishes nothing"
