"""Rankings callbacks: row click selects a unit (URL ``sel``), export .xlsx/.csv, print."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import dash
from dash import Input, Output, State, dcc, no_update

import metrics
from dashboard import access
from dashboard.components import period_text
from dashboard.components.labels import translator
from dashboard.components.page import context_from_search, search_params
from dashboard.components.rankings_model import EXPORT_COLUMNS, measure_label, ranking_frame, selection
from dashboard.export import to_csv, to_xlsx
from dashboard.pages.rankings_ids import RankIds

PAGE = "rankings"


def select_href(search: str | None, cell: dict[str, Any] | None) -> str | None:
    if not cell or not cell.get("rowId"):
        return None
    params = search_params(search)
    if params.get("sel") == cell["rowId"]:
        return None
    params["sel"] = str(cell["rowId"])
    ctx = context_from_search("?" + "&".join(f"{k}={v}" for k, v in params.items()))
    return f"/{PAGE}{ctx.state.search(**ctx.extra)}"


def export(search: str | None, kind: str) -> dict[str, Any]:
    # the sheet is for the assessment meeting: Chinese headers and filter text whatever the page's language
    ctx = replace(context_from_search(search), lang=None, t=translator(None))
    level, measure, bottom, _ = selection(ctx)
    # Downloads go through the access gate: masked like the screen, refused to the screen role, audited.
    df = access.export_rows(ranking_frame(ctx, level, measure, bottom), f"rankings.{kind}", ctx.query,
                            {"level": level, "measure": measure, "bottom": bottom})
    p = ctx.query.period
    stem = f"排名_{level}_{measure}_{p.start:%Y%m%d}"
    if kind == "csv":
        return dcc.send_bytes(to_csv(df, EXPORT_COLUMNS), f"{stem}.csv")
    filters = [("层级", ctx.level_label(level)), ("指标", measure_label(measure)),
               ("周期", f"{period_text.title(p)} ({p.grain})"),
               ("范围", ctx.unit_name(ctx.state.unit)), ("末位数", f"每个同类组后 {bottom} 名（至多组内半数）"),
               ("排名方式", "同类组内排名（组内排名 = 名次 / 组内参与排名单位数）")]
    for name, value in (("类别", ctx.state.category), ("来源", ctx.state.source), ("紧急程度", ctx.state.urgency),
                        ("状态", ctx.state.status)):
        if value:
            filters.append((name, value))
    ratio = measure in metrics.BY_ID and metrics.BY_ID[measure].kind == "ratio"
    pct_cols = ["value", "previous_value"] if ratio else []
    data = to_xlsx(df, EXPORT_COLUMNS, "考核排名", filters, percent=pct_cols, highlight="bottom")
    return dcc.send_bytes(data, f"{stem}.xlsx")


def register(app: dash.Dash) -> None:
    @app.callback(
        Output({"type": "cv-url", "page": PAGE}, "href", allow_duplicate=True),
        Input(RankIds.GRID, "cellClicked"),
        State({"type": "cv-state", "page": PAGE}, "data"),
        prevent_initial_call=True,
    )
    def _select(cell: dict[str, Any] | None, search: str | None) -> Any:
        return select_href(search, cell) or no_update

    @app.callback(
        Output(RankIds.DOWNLOAD, "data"),
        Input(RankIds.XLSX, "n_clicks"),
        Input(RankIds.CSV, "n_clicks"),
        State({"type": "cv-state", "page": PAGE}, "data"),
        prevent_initial_call=True,
    )
    def _export(_x: int, _c: int, search: str | None) -> Any:
        return export(search, "csv" if dash.ctx.triggered_id == RankIds.CSV else "xlsx")

    app.clientside_callback(
        "function(n) { if (n) { window.print(); } return window.dash_clientside.no_update; }",
        Output(RankIds.PRINT, "title"),
        Input(RankIds.PRINT, "n_clicks"),
        prevent_initial_call=True,
    )
