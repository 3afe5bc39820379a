"""Rankings export and drill-through in Chromium: the downloaded .xlsx/.csv hold exactly the grid's rows
(every row, Chinese headers, period and filters on the sheet); a clicked bar or month lists exactly the
rows it counted (figure value = table total = an independent SQL count)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest

from tests.browser.conftest import shot
from tests.clock import site_now

pytestmark = pytest.mark.browser

RANK_URL = "/rankings?level=village&measure=registered&bottom=2"
GRID_ROWS_JS = """(id) => { const api = window.dash_ag_grid.getApi(id); const out = [];
    api.forEachNodeAfterFilterAndSort(n => out.push(n.data)); return out; }"""


def _sql(root: Path, sql: str, params: list[Any]) -> Any:
    con = duckdb.connect(str(root / "vitals.duckdb"), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def _month(today: date) -> tuple[datetime, datetime]:
    start = datetime(today.year, today.month, 1)
    return start, datetime(today.year + (today.month == 12), today.month % 12 + 1, 1)


def _grid_rows(page: Any) -> list[dict[str, Any]]:
    page.wait_for_selector("#rankings-grid .ag-row", timeout=20_000)
    page.wait_for_function("() => window.dash_ag_grid && window.dash_ag_grid.getApi('rankings-grid')")
    return page.evaluate(GRID_ROWS_JS, "rankings-grid")


def _download(page: Any, button: str, tmp_path: Path) -> Path:
    with page.expect_download(timeout=30_000) as info:
        page.click(button)
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(str(path))
    return path


def test_rankings_xlsx_and_csv_hold_exactly_the_grid_rows(open_page, tmp_path):
    page = open_page(RANK_URL)
    rows = _grid_rows(page)
    assert len(rows) > 10  # every row, not a visible window
    title = page.inner_text("#rankings-title")
    date_box = page.input_value("#rankings-root .dash-datepicker-input:not([disabled])")
    assert date_box  # the period is shown without date= in the URL

    xlsx = _download(page, "#rankings-xlsx", tmp_path)
    assert xlsx.suffix == ".xlsx"
    ws = openpyxl.load_workbook(xlsx).active
    header_row = next(r for r in range(1, 20) if ws.cell(row=r, column=1).value == "排名")
    headers = [ws.cell(row=header_row, column=c).value for c in range(1, ws.max_column + 1)]
    for h in ("排名", "单位", "代码", "同类组", "组内排名", "指标值", "末位", "备注"):
        assert h in headers, h
    meta = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).value for r in range(2, header_row)}
    period = meta["周期"]
    # "2026-12-01–12-07（本月至今） (month)": the period as the page titles it, then its grain
    shown = period.rsplit(" (", 1)[0]
    assert shown and shown in title  # the same period as the page shows
    assert meta["层级"] == "村居" and "2" in meta["末位数"] and meta["指标"] == "立案数"
    col = {h: i + 1 for i, h in enumerate(headers)}
    body = range(header_row + 1, ws.max_row + 1)
    assert [ws.cell(row=r, column=col["代码"]).value for r in body] == [r["key"] for r in rows]
    assert [ws.cell(row=r, column=col["组内排名"]).value for r in body] == [r["group_rank"] for r in rows]
    assert [ws.cell(row=r, column=col["指标值"]).value for r in body] == [r["value"] for r in rows]
    assert [ws.cell(row=r, column=col["末位"]).value == "是" for r in body] == [bool(r["bottom"]) for r in rows]

    csv_path = _download(page, "#rankings-csv", tmp_path)
    assert csv_path.suffix == ".csv"
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese headers
    records = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["代码"] for r in records] == [r["key"] for r in rows]
    assert [r["同类组"] for r in records] == [r["peer_label"] for r in rows]
    assert [r["组内排名"] or None for r in records] == [r["group_rank"] for r in rows]
    shot(page, "pages-rankings-peer-groups")


def _click_point(page: Any, graph: str, layer: str, index: int) -> None:
    """A real mouse click on one plotted element (its centre)."""
    page.locator(graph).scroll_into_view_if_needed()
    pts = page.locator(f"{graph} .{layer} .point")
    box = pts.nth(index).bounding_box()
    assert box, "element not drawn"
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(300)  # plotly computes the hovered point on mousemove (throttled)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + max(box["height"] / 2, 1))


def _figure_data(page: Any, graph: str) -> list[dict[str, Any]]:
    return page.evaluate("(sel) => document.querySelector(sel + ' .js-plotly-plot').data"
                         ".map(t => ({x: t.x, y: t.y, customdata: t.customdata, text: t.text}))", graph)


def _table_total(page: Any) -> int:
    page.wait_for_selector(".cv-rows-total:has-text('共')", timeout=20_000)
    return int(page.inner_text(".cv-rows-total").replace("共", "").replace("条", "").replace(",", "").strip())


def _table_ids(page: Any, grid_id: dict[str, str]) -> set[str]:
    return set(page.evaluate("""(id) => { const api = window.dash_ag_grid.getApi(id); const out = [];
        api.forEachNode(n => { if (n.data) out.push(n.data.case_id); }); return out; }""", grid_id))


def test_cases_bar_drill_lists_exactly_the_counted_rows(open_page, warehouse_root):
    page = open_page("/cases")
    graph = "[id*='\"role\":\"handling\"']"
    page.wait_for_selector(f"{graph} .barlayer .point", state="attached", timeout=20_000)
    bars = _figure_data(page, graph)[0]
    i = max(range(len(bars["y"])), key=lambda j: bars["y"][j])  # the tallest bar: a sure click target
    counted, action = bars["y"][i], bars["customdata"][i]
    _click_point(page, graph, "barlayer", i)
    page.wait_for_selector("#cases-drill", timeout=20_000)  # the banner: the table is limited to the bar
    assert action.split("=", 1)[1].replace(":", "%3A") in page.url
    assert _table_total(page) == counted
    lo = float(action.split(":", 1)[1])
    edges = [0, 1, 2, 4, 8, 24, 48, 72, 168]
    hi = edges[edges.index(lo) + 1] if edges.index(lo) + 1 < len(edges) else 1e12
    s, e = _month(site_now().date())
    expected = {r[0] for r in _sql(warehouse_root, (
        "SELECT case_id FROM cases WHERE NOT coalesce(cancelled, false) AND reported_at >= ? AND reported_at < ? "
        "AND closed_at IS NOT NULL AND registered_at IS NOT NULL "
        "AND date_diff('second', registered_at, closed_at) / 3600.0 >= ? "
        "AND date_diff('second', registered_at, closed_at) / 3600.0 < ?"), [s, e, lo, hi])}
    assert len(expected) == counted
    # the first block (100 rows) is loaded: every listed case is one of the counted ones
    first = min(counted, 100)
    page.wait_for_function("(n) => { const api = window.dash_ag_grid.getApi("
                           "{page: 'cases', table: 'cases', type: 'cv-rows'}); let k = 0;"
                           "api.forEachNode(x => { if (x.data) k++; }); return k >= n; }", arg=first,
                           timeout=20_000)
    listed = _table_ids(page, {"page": "cases", "table": "cases", "type": "cv-rows"})
    assert len(listed) >= first and listed <= expected
    shot(page, "pages-cases-drill")


def test_stations_month_drill_lists_exactly_the_due_station_cases(open_page, warehouse_root):
    page = open_page("/stations")
    graph = "[id*='\"role\":\"trend\"']"
    page.wait_for_selector(f"{graph} .scatterlayer .point", state="attached", timeout=20_000)
    trend = _figure_data(page, graph)[0]
    dens = [int(str(t).split("/")[1].replace(",", "")) for t in trend["text"]]
    drawn = [j for j, v in enumerate(trend["y"]) if v is not None]  # months without a rate have no marker
    i = max(drawn, key=lambda j: dens[j])
    month, counted = trend["x"][i], dens[i]
    assert counted > 0
    _click_point(page, graph, "scatterlayer", drawn.index(i))
    page.wait_for_selector("#stations-drill", timeout=20_000)  # the banner says what the table is limited to
    assert f"drill=due_month%3A{month}" in page.url
    assert _table_total(page) == counted
    y, m = (int(x) for x in month.split("-"))
    s, e = datetime(y, m, 1), datetime(y + (m == 12), m % 12 + 1, 1)
    # due so far: the running month counts cases due by the data's now (warehouse_meta), not by its end
    (now,), = _sql(warehouse_root, "SELECT max(value) FROM warehouse_meta WHERE key IN ('now', 'data_now')", [])
    a = min(e, datetime.fromisoformat(now)) if now else e
    (n,), = _sql(warehouse_root, (
        "SELECT count(*) FROM cases WHERE NOT coalesce(cancelled, false) AND station_code IS NOT NULL "
        "AND registered_at < ? AND deadline_at < ? AND (deadline_at >= ? OR closed_at IS NULL OR closed_at >= ?)"),
        [e, a, s, s])
    assert n == counted
    shot(page, "pages-stations-drill")
