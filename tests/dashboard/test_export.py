"""Export files hold every row with Chinese headers; the xlsx carries the period and filters."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

from dashboard.export import to_csv, to_xlsx

COLS = [("name", "单位"), ("value", "结案率"), ("bottom", "末位")]


def frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"name": [f"单位{i}" for i in range(n)], "value": [i / n for i in range(n)],
                         "bottom": [i >= n - 3 for i in range(n)]})


def test_csv_has_every_row_and_chinese_headers() -> None:
    df = frame(25_000)
    text = to_csv(df, COLS).decode("utf-8-sig")
    back = pd.read_csv(io.StringIO(text))
    assert list(back.columns) == ["单位", "结案率", "末位"]
    assert len(back) == 25_000
    assert back["单位"].iloc[-1] == "单位24999"


def test_xlsx_writes_filters_and_rows() -> None:
    pytest.importorskip("openpyxl")
    df = frame(12)
    data = to_xlsx(df, COLS, "考核排名", [("周期", "2026-11-01 至 2026-11-30"), ("层级", "街镇")],
                   percent=["value"], highlight="bottom")
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert ws["A1"].value == "考核排名"
    assert (ws["A2"].value, ws["B2"].value) == ("周期", "2026-11-01 至 2026-11-30")
    assert [c.value for c in ws[5]] == ["单位", "结案率", "末位"]
    names = [ws.cell(row=r, column=1).value for r in range(6, 6 + 12)]
    assert names == list(df["name"])
    assert ws.cell(row=6 + 11, column=3).value == "是"
    assert ws.cell(row=6 + 11, column=2).number_format == "0.0%"
