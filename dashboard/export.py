"""Table export: .xlsx (formatted, Chinese headers, period and filters on the sheet) and .csv, no row cap."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pandas as pd
import xlsxwriter

Columns = Sequence[tuple[str, str]]  # (dataframe column, header)
# A spreadsheet reads a cell starting with one of these as a formula (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(value: object) -> object:
    """A text cell a spreadsheet will not run: OWASP's defence, a leading ``'`` before a formula
    character (``=cmd|' /C calc'!A0`` → ``'=cmd|' /C calc'!A0``). Numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(df: pd.DataFrame, columns: Columns) -> bytes:
    """UTF-8 with BOM (Excel opens Chinese text correctly), Chinese headers, every row; text cells
    made inert (``inert_cell``), headers included."""
    out = df[[c for c, _ in columns]].rename(columns={c: inert_cell(h) for c, h in columns})
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]) and not pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].map(inert_cell)
    # CRLF rows (RFC 4180): the writer then quotes any field holding a CR or LF, which a bare-LF
    # writer left unquoted (a CR in a name split the row in two when read back).
    return out.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


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
    # write_string everywhere text goes: xlsxwriter's write() would turn "=..." into a formula.
    ws.write_string(0, 0, title, bold)
    r = 1
    for label, value in filters:
        ws.write_string(r, 0, str(label))
        ws.write_string(r, 1, str(value))
        r += 1
    r += 1
    header_row = r
    for j, (_, header) in enumerate(columns):
        ws.write_string(r, j, header, head)
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
