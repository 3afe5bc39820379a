"""AG Grid tables: server-paged row tables (infinite row model) and small client tables.

No theme CSS from a CDN: dash-ag-grid 35 ships AG Grid's JS theming API (Quartz by default), so the
grid styles itself from its own bundle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dash_ag_grid as dag
from dash import dcc, html

CASE_HEADERS = {
    "case_id": "案件编号", "reported_at": "上报时间", "category_code": "类别", "major_code": "大类", "source": "来源",
    "urgency": "紧急程度", "status": "状态", "registered_at": "立案时间", "closed_at": "结案时间",
    "deadline_at": "处置时限", "station_code": "工作站", "dept_code": "处置部门", "town_code": "街镇",
    "grid_code": "网格", "village_code": "村居", "address": "地址",
}
CASE_HEADERS_EN = {
    "case_id": "Case ID", "reported_at": "Reported", "category_code": "Category", "major_code": "Major class",
    "source": "Source", "urgency": "Urgency", "status": "Status", "registered_at": "Registered",
    "closed_at": "Closed", "deadline_at": "Deadline", "station_code": "Station", "dept_code": "Department",
    "town_code": "Town", "grid_code": "Grid", "village_code": "Village", "address": "Address",
}
HOTLINE_HEADERS = {
    "order_id": "工单编号", "received_at": "受理时间", "channel": "渠道", "category": "类别", "subcategory": "小类",
    "urgency": "紧急程度", "status": "状态", "resolution": "解决情况", "satisfaction": "满意度", "due_at": "办结时限",
    "closed_at": "办结时间", "town_code": "街镇", "grid_code": "网格", "village_code": "村居", "address": "地址",
}
HOTLINE_HEADERS_EN = {
    "order_id": "Order", "received_at": "Received", "channel": "Channel", "category": "Category",
    "subcategory": "Subcategory", "urgency": "Urgency", "status": "Status", "resolution": "Resolution",
    "satisfaction": "Satisfaction", "due_at": "Due", "closed_at": "Closed", "town_code": "Town",
    "grid_code": "Grid", "village_code": "Village", "address": "Address",
}
BLOCK = 100


def case_headers(en: bool) -> dict[str, str]:
    """The case table's column headers in the page's language."""
    return CASE_HEADERS_EN if en else CASE_HEADERS


# AG Grid's own texts (its overlays say "No Rows To Show", "Loading..." in English otherwise)
LOCALE_TEXT = {
    "zh": {"noRowsToShow": "无数据", "loadingOoo": "加载中…", "loadingError": "加载失败"},
    "en": {"noRowsToShow": "No data", "loadingOoo": "Loading…", "loadingError": "Loading failed"},
}


def locale_text(en: bool) -> dict[str, str]:
    return dict(LOCALE_TEXT["en" if en else "zh"])


def paged_grid(page: str, table: str, columns: Sequence[str], headers: dict[str, str], search: str,
               height: str = "420px", total_label: str = "共 {n} 条",
               ref_data: Mapping[str, Mapping[str, str]] | None = None, *, en: bool = False) -> html.Div:
    """A grid whose rows come from the server one block at a time (``dashboard.callbacks.rows``).
    ``total_label``: the row count's text in the page's language (``{n}``: the count), kept beside
    the grid for the rows callback (the page state it gets carries no language). ``ref_data``: per
    column, code -> text shown (AG Grid's refData), so rows travel as codes and sort by code."""
    ref = ref_data or {}
    return html.Div([
        html.Div(id={"type": "cv-rows-total", "page": page}, className="cv-rows-total"),
        dcc.Store(id={"type": "cv-rows-label", "page": page}, data=total_label),
        dag.AgGrid(
            id={"type": "cv-rows", "page": page, "table": table},
            columnDefs=[{"field": c, "headerName": headers.get(c, c), "sortable": True, "resizable": True,
                         **({"refData": dict(ref[c])} if c in ref else {})} for c in columns],
            rowModelType="infinite",
            dashGridOptions={"cacheBlockSize": BLOCK, "maxBlocksInCache": 20, "infiniteInitialRowCount": 1,
                             "rowBuffer": 0, "localeText": locale_text(en)},
            getRowId="params.data." + columns[0],
            style={"height": height, "width": "100%"},
            className="cv-grid",
            persistence=False,
        ),
    ], className="cv-rows")


def client_grid(grid_id: Any, rows: list[dict[str, Any]], column_defs: list[dict[str, Any]],
                height: str = "360px", column_size: str | None = "responsiveSizeToFit", *, en: bool = False,
                **options: Any) -> dag.AgGrid:
    return dag.AgGrid(id=grid_id, rowData=rows, columnDefs=column_defs, columnSize=column_size,
                      dashGridOptions={"domLayout": "normal", "localeText": locale_text(en), **options},
                      style={"height": height, "width": "100%"},
                      className="cv-grid")
