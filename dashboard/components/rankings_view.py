"""The rankings page (考核排名) for leaders: level × period × indicator or composite score; rank, movement, score,
grade A–E, the counts behind each rate, 末位 highlighted, too-small-to-rank units marked; a detail
panel for the selected unit; .xlsx/.csv export without a row cap; a printable A4 view.

URL: /rankings?level=town&measure=region_composite&period=month&date=2026-11-01&bottom=3&sel=<key>
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dash import dcc, html

from dashboard import data
from dashboard.components import figures as F
from dashboard.components.grid import client_grid
from dashboard.components.page import Ctx
from dashboard.components.rankings_model import (
    LEVELS,
    detail,
    measure_label,
    measures_for,
    ranking_frame,
    selection,
)
from dashboard.filters import PRESET_GRAINS
from dashboard.pages.rankings_ids import RankIds

PAGE = "rankings"


def _fid(name: str) -> dict[str, str]:
    return {"type": "cv-filter", "page": PAGE, "field": name}


def controls(ctx: Ctx, level: str, measure: str, bottom: int) -> html.Div:
    t = ctx.t
    st = ctx.state

    def fld(label: str, control: Any) -> html.Label:
        return html.Label([html.Span(label, className="cv-filter-label"), control], className="cv-filter-field")

    return html.Div([
        fld(t("rank.level"), dcc.Dropdown(id=_fid("level"), clearable=False, value=level,
                                          options=[{"label": t(f"level.{lv}"), "value": lv} for lv in LEVELS])),
        fld(t("rank.measure"), dcc.Dropdown(id=_fid("measure"), clearable=False, value=measure,
                                            options=[{"label": lab, "value": m} for m, lab in measures_for(level)],
                                            style={"minWidth": "14em"})),
        fld(t("filter.period"), dcc.Dropdown(id=_fid("period"), clearable=False, value=st.period,
                                             options=[{"label": t(f"filter.grain.{g}"), "value": g}
                                                      for g in PRESET_GRAINS if g != "day"])),
        fld(t("filter.date"), dcc.Input(id=_fid("date"), type="date", debounce=True,
                                        # without date= the box shows the anchor in use (today at the site),
                                        # so the period shown is never a blank box
                                        value=(st.date or data.site_now().date()).isoformat(),
                                        disabled=st.period == "custom")),
        fld(t("filter.start"), dcc.Input(id=_fid("start"), type="date", debounce=True,
                                         value=st.start.isoformat() if st.start else None,
                                         disabled=st.period != "custom")),
        fld(t("filter.end"), dcc.Input(id=_fid("end"), type="date", debounce=True,
                                       value=st.end.isoformat() if st.end else None, disabled=st.period != "custom")),
        fld(t("rank.bottom"), dcc.Input(id=_fid("bottom"), type="number", min=0, max=50, step=1, value=bottom,
                                        debounce=True, style={"width": "5em"})),
        html.Div([
            html.Button(t("rank.export.xlsx"), id=RankIds.XLSX, n_clicks=0, className="cv-button"),
            html.Button(t("rank.export.csv"), id=RankIds.CSV, n_clicks=0, className="cv-button"),
            html.Button(t("rank.print"), id=RankIds.PRINT, n_clicks=0, className="cv-button"),
            dcc.Download(id=RankIds.DOWNLOAD),
        ], className="cv-actions cv-no-print"),
    ], className="cv-filter-bar", role="search")


COLUMN_DEFS = [
    {"field": "group_rank", "headerName": "组内排名", "width": 100, "pinned": "left"},
    {"field": "movement_text", "headerName": "名次变化", "width": 100},
    {"field": "name", "headerName": "单位", "minWidth": 160, "pinned": "left"},
    {"field": "peer_label", "headerName": "同类组", "width": 120},
    {"field": "value_text", "headerName": "指标值", "width": 110},
    {"field": "score_text", "headerName": "排名得分", "width": 110},
    {"field": "grade", "headerName": "等级", "width": 80},
    {"field": "numerator", "headerName": "分子", "width": 90},
    {"field": "denominator", "headerName": "分母", "width": 90},
    {"field": "previous_text", "headerName": "上期值", "width": 110},
    {"field": "note", "headerName": "备注", "minWidth": 140},
]


def render(ctx: Ctx) -> list[Any]:
    level, measure, bottom, sel = selection(ctx)
    df = ranking_frame(ctx, level, measure, bottom)
    rows = df.astype(object).where(df.notna(), None).to_dict("records")
    period = ctx.query.period
    title = (f"{ctx.t('rank.title')} · {ctx.t(f'level.{level}')} · {measure_label(measure)} · "
             f"{period.start:%Y-%m-%d} – {period.end - timedelta(days=1):%Y-%m-%d}")
    grid = client_grid(
        RankIds.GRID, rows, COLUMN_DEFS, height="560px", column_size=None,
        rowClassRules={"cv-bottom": "params.data.bottom === true",
                       "cv-unranked": "params.data.rankable !== true",
                       "cv-selected": f"params.data.key === {sel!r}" if sel else "false"},
        getRowId="params.data.key", rowSelection={"mode": "singleRow", "checkboxes": False,
                                                  "enableClickSelection": True},
    )
    legend = html.P([html.Span("■", className="cv-swatch cv-swatch-bottom"), f" 末位（每个同类组后 {bottom} 名）  ",
                     html.Span("■", className="cv-swatch cv-swatch-unranked"), " " + ctx.t("rank.small")],
                    className="cv-legend")
    return [
        html.H1(title, className="cv-print-title", id="rankings-title"),
        controls(ctx, level, measure, bottom),
        html.Div([
            F.panel(ctx.t("rank.title"), legend, grid, cls="cv-rank-table"),
            F.panel(ctx.t("rank.detail"), detail(ctx, level, measure, sel), cls="cv-rank-detail"),
        ], className="cv-rank-layout"),
    ]
