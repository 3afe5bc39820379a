"""docs/etl.md "Your own city in 15 minutes", run as written on the Springfield example that ships in
data/examples: draft both mappings, load, and check the counts and the closure rate against an
independent pandas reading of the raw file."""

from __future__ import annotations

import json
import os
import re
import shlex
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

from dashboard.cli import app
from etl.settings import PROJECT_ROOT
from etl.snapshots import open_readonly
from metrics import Period, Query, indicator_values

EXAMPLE = PROJECT_ROOT / "data" / "examples" / "springfield"
DOC = PROJECT_ROOT / "docs" / "etl.md"


def _walkthrough_commands() -> list[list[str]]:
    """The `vitals ...` lines of the walkthrough's shell blocks."""
    text = DOC.read_text(encoding="utf-8").split("## Your own city in 15 minutes", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    return [shlex.split(line.split("#")[0])[1:] for b in blocks for line in b.splitlines()
            if line.startswith("vitals ")]


def test_springfield_walkthrough(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = DOC.read_text(encoding="utf-8")
    cfg = re.search(r"```toml\n(# vitals.toml for Springfield.*?)```", text, re.S)
    assert cfg, "the walkthrough lost its vitals.toml"
    (tmp_path / "vitals.toml").write_text(cfg.group(1), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VITALS_CONFIG", raising=False)
    monkeypatch.delenv("VITALS_WAREHOUSE", raising=False)
    os.symlink(PROJECT_ROOT / "data" / "examples", tmp_path / "examples")  # the doc's paths, from a clone's root
    runner = CliRunner(env={"COLUMNS": "200"})
    commands = _walkthrough_commands()
    assert [c[:2] for c in commands] == [["etl", "draft-mapping"], ["etl", "load"], ["etl", "draft-mapping"],
                                         ["etl", "load"], ["site", "set"], ["site", "show"]]
    outputs = []
    for cmd in commands:
        cmd = [c.replace("data/examples", "examples") for c in cmd]
        r = runner.invoke(app, cmd)
        assert r.exit_code == 0, (cmd, r.output)
        outputs.append(r.output)
    assert re.search(r"wards\.geojson\s*│\s*4 │\s*4 │\s*0", outputs[1])
    assert re.search(r"311_requests\.csv\s*│\s*240 │\s*240 │\s*0", outputs[3])
    assert "hotline_name_zh = 311 热线" in outputs[4] and "hotline_name_en = 311" in outputs[4]
    assert "America/Chicago" in outputs[5] and "Springfield" in outputs[5] and "311 热线" in outputs[5]

    raw = pd.read_csv(EXAMPLE / "311_requests.csv", dtype=str, keep_default_na=False)
    t = {c: pd.to_datetime(raw[c].replace("", None), format="%m/%d/%Y %I:%M:%S %p") for c in ("Created Date",
                                                                                            "Closed Date")}
    placeholder = (raw["Longitude"] == "-89.650100") & (raw["Latitude"] == "39.801700")
    wards = [shapely.geometry.shape(f["geometry"]) for f in json.loads(
        (EXAMPLE / "wards.geojson").read_text())["features"]]
    by_point = raw.apply(lambda r: any(w.contains(shapely.Point(float(r["Longitude"]), float(r["Latitude"])))
                                       for w in wards), axis=1)
    with_unit = (raw["Ward"] != "") | (~placeholder & by_point)
    con = open_readonly(tmp_path / "data" / "vitals.duckdb")
    try:
        assert con.execute("SELECT count(*), count(unit_code), count(lon) FROM hotline_orders").fetchone() == (
            240, int(with_unit.sum()), int((~placeholder).sum()))
        october = Query(Period.containing("month", date(2019, 10, 15)))
        v = indicator_values(con, ["hotline_orders", "hotline_closure_rate"], october, overrides={})
    finally:
        con.close()
    # Independently: October orders that are not Canceled, and of those the ones closed before November.
    oct_live = (t["Created Date"].dt.month == 10) & (raw["Status"] != "Canceled")
    closed = oct_live & (t["Closed Date"] < pd.Timestamp("2019-11-01"))
    assert v["hotline_orders"].value == int(oct_live.sum())
    assert v["hotline_closure_rate"].value == pytest.approx(closed.sum() / oct_live.sum())


def test_etl_doc_lists_every_kinds_fields() -> None:
    from etl.mapping import kind_fields_markdown

    assert kind_fields_markdown() in DOC.read_text(encoding="utf-8")
