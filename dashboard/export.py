"""Table export: .xlsx (formatted, Chinese headers, period and filters on the sheet) and .csv, no row cap."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pandas as pd
import xlsxwriter

Columns = Sequence[tuple[str, str]]  # (dataframe column, header)


def to_csv(df: pd.DataFrame, columns: Columns) -> bytes:
    """UTF-8 with BOM (Excel opens Chinese text correctly), Chinese headers, every row."""
    out = df[[c for c, _ in columns]].rename(columns=dict(columns))
    return out.to_csv(index=False).encode("utf-8-sig")


def to_xlsx(df: pd.DataFrame, columns: Columns, title: str, filters: Sequence[tuple[str, str]],
            percent: Sequence[str] = (), highlight: str | None = None) -> bytes:
    """One sheet: title, one line per filter, a bold header row, the rows; ``percent`` columns formatted
    as 0.0%; rows where boolean column ``highlight`` is true filled red (末位)."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "nan_inf_to_errors": True})
    write_sheet(wb, "排名" if highlight else "数据", df, columns, title, filters, percent, highlight)
    wb.close()
    return buf.getvalue()


def write_sheet(wb: xlsxwriter.Workbook, name: str, df: pd.DataFrame, columns: Columns, title: str,
                filters: Sequence[tuple[str, str]], percent: Sequence[str] = (), highlight: str | None = None) -> None:
    """``to_xlsx``'s sheet, added to ``wb`` as ``name`` (a workbook of several tables: the briefing's)."""
    ws = wb.add_worksheet(name)
    bold = wb.add_format({"bold": True, "font_size": 14})
    head = wb.add_format({"bold": True, "bg_color": "#DDE6F0", "border": 1, "text_wrap": True})
    pct = wb.add_format({"num_format": "0.0%"})
    red = wb.add_format({"bg_color": "#F8D7DA"})
    red_pct = wb.add_format({"bg_color": "#F8D7DA", "num_format": "0.0%"})
    ws.write(0, 0, title, bold)
    r = 1
    for label, value in filters:
        ws.write(r, 0, label)
        ws.write(r, 1, value)
        r += 1
    r += 1
    header_row = r
    for j, (_, header) in enumerate(columns):
        ws.write(r, j, header, head)
        ws.set_column(j, j, max(10, min(30, 2 * len(header) + 2)))
    flags = df[highlight].fillna(False).astype(bool).tolist() if highlight else [False] * len(df)
    for i, rec in enumerate(df[[c for c, _ in columns]].itertuples(index=False)):
        for j, ((col, _), value) in enumerate(zip(columns, rec, strict=True)):
            fmt = (red_pct if flags[i] else pct) if col in percent else (red if flags[i] else None)
            if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
                ws.write_blank(r + 1 + i, j, None, fmt)
            elif isinstance(value, bool):
                ws.write(r + 1 + i, j, "是" if value else "", fmt)
            elif isinstance(value, (int, float)):
                ws.write_number(r + 1 + i, j, float(value), fmt)
            else:
                ws.write_string(r + 1 + i, j, str(value), fmt)
    ws.freeze_panes(header_row + 1, 0)
    ws.autofilter(header_row, 0, header_row + len(df), max(len(columns) - 1, 0))
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(header_row)
