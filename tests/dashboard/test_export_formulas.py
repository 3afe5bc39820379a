"""Spreadsheet formula injection (issue 16, defect 4): no exported cell starts a formula.

A unit named ``=cmd|' /C calc'!A0`` was written raw into the rankings CSV. The files are opened
here as a spreadsheet program would read them: the CSV with the csv module, the .xlsx with
openpyxl (a formula cell there has ``data_type == "f"``).
"""

from __future__ import annotations

import base64
import csv
import io
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from dashboard.app import create_app
from dashboard.callbacks.rankings import export
from dashboard.export import FORMULA_START, inert_cell, to_csv
from tests.clock import pinned_settings
from tests.dashboard.minimal_warehouse import copy_warehouse, publish

FORMULAS = ("=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1", "=HYPERLINK(\"http://x\")")


def _number(cell: str) -> bool:
    """A negative number is a value, not a formula (a spreadsheet reads -0.5 as -0.5)."""
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _starts_formula(cell: str) -> bool:
    return cell.startswith(FORMULA_START)


def test_inert_cell_prefixes_every_formula_start_and_leaves_numbers() -> None:
    for f in FORMULAS:
        assert inert_cell(f) == "'" + f
    assert inert_cell("正常名称") == "正常名称"
    assert inert_cell(-5) == -5 and inert_cell(1.5) == 1.5


def test_csv_cells_and_headers_are_inert() -> None:
    df = pd.DataFrame({"name": list(FORMULAS), "n": range(len(FORMULAS))})
    text = to_csv(df, [("name", "=单位"), ("n", "数")]).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["'=单位", "数"]
    assert [r[0] for r in rows[1:]] == ["'" + f for f in FORMULAS]  # shown as typed after the quote
    assert [int(r[1]) for r in rows[1:]] == list(range(len(FORMULAS)))
    assert not any(_starts_formula(c) for r in rows for c in r)


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory: pytest.TempPathFactory, tiny_warehouse: Path):  # type: ignore[no-untyped-def]
    def poison(con: duckdb.DuckDBPyConnection) -> None:
        con.execute("UPDATE org_unit SET name_zh = ? || unit_code", [FORMULAS[0]])

    root = tmp_path_factory.mktemp("formula-warehouse")
    copy_warehouse(tiny_warehouse, root)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VITALS_AUTH", "off")
        return create_app(pinned_settings(publish(root, poison)))


@pytest.mark.parametrize("level", ["town", "grid"])
def test_rankings_exports_hold_no_formula(hostile_app, level: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with hostile_app.server.test_request_context("/"):
        csv_file = export(f"?level={level}", "csv")
        xlsx_file = export(f"?level={level}", "xlsx")
        hostile_app.server.do_teardown_appcontext()
    rows = list(csv.reader(io.StringIO(base64.b64decode(csv_file["content"]).decode("utf-8-sig"), newline="")))
    names = [r[rows[0].index("单位")] for r in rows[1:]]
    assert names and all(n.startswith("'" + FORMULAS[0]) for n in names)
    assert not [c for r in rows for c in r if _starts_formula(c) and not _number(c)]
    path = tmp_path / "r.xlsx"
    path.write_bytes(base64.b64decode(xlsx_file["content"]))
    ws = openpyxl.load_workbook(path).active
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no formula cell anywhere
    assert any(str(c.value).startswith(FORMULAS[0]) for c in cells)  # the name kept as a string, as typed
