"""The rankings page (考核排名) for leaders: level × period × indicator or composite score; rank, movement, score,
grade A–E, the counts behind each rate, 末位 highlighted, too-small-to-rank units marked; a detail
panel for the selected unit; .xlsx/.csv export without a row cap; a printable A4 view.

URL: /rankings?level=town&measure=region_composite&period=month&date=2026-11-01&bottom=3&order=worst&sel=<key>
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dash import dcc, html

from dashboard import data
from dashboard.components import figures as F
from dashboard.components import period_text
from dashboard.components.grid import client_grid
from dashboard.components.page import Ctx, records
from dashboard.components.rankings_model import (
    ORDERS,
    detail,
    levels_for,
    measure_label,
    measures_for,
    order_of,
    peer_text,
    ranking_frame,
    selection,
    target_text,
    worst_first,
)
from dashboard.filters import PRESET_GRAINS, date_box
from dashboard.pages.rankings_ids import RankIds

PAGE = "rankings"


def _fid(name: str) -> dict[str, str]:
    return {"type": "cv-filter", "page": PAGE, "field": name}


def controls(ctx: Ctx, level: str, measure: str, bottom: int, order: str) -> html.Div:
    t = ctx.t
    st = ctx.state

    def fld(label: str, control: Any) -> html.Label:
        return html.Label([html.Span(label, className="cv-filter-label"), control], className="cv-filter-field")

    return html.Div([
        fld(t("rank.level"), dcc.Dropdown(id=_fid("level"), clearable=False, value=level,
                                          options=[{"label": ctx.level_label(lv), "value": lv}
                                                   for lv in levels_for(ctx)])),
        fld(t("rank.measure"), dcc.Dropdown(id=_fid("measure"), clearable=False, value=measure,
                                            options=[{"label": lab, "value": m}
                                                     for m, lab in measures_for(level, ctx.en)],
                                            style={"minWidth": "14em"})),
        fld(t("filter.period"), dcc.Dropdown(id=_fid("period"), clearable=False, value=st.period,
                                             options=[{"label": t(f"filter.grain.{g}"), "value": g}
                                                      for g in PRESET_GRAINS if g != "day"])),
        # without date= the box shows the anchor in use, so the period shown is never blank
        fld(t("filter.date"), date_box(_fid("date"), (st.date or data.view_anchor(st.period)).isoformat(),
                                       st.period == "custom", ctx.lang)),
        fld(t("filter.start"), date_box(_fid("start"), st.start.isoformat() if st.start else None,
                                        st.period != "custom", ctx.lang)),
        fld(t("filter.end"), date_box(_fid("end"), st.end.isoformat() if st.end else None,
                                      st.period != "custom", ctx.lang)),
        fld(t("rank.bottom"), dcc.Input(id=_fid("bottom"), type="number", min=0, max=50, step=1, value=bottom,
                                        debounce=True, style={"width": "5em"})),
        fld(t("rank.order"), dcc.Dropdown(id=_fid("order"), clearable=False, value=order,
                                          options=[{"label": t(f"rank.order.{o}"), "value": o} for o in ORDERS])),
        html.Div([
            html.Button(t("rank.export.xlsx"), id=RankIds.XLSX, n_clicks=0, className="cv-button"),
            html.Button(t("rank.export.csv"), id=RankIds.CSV, n_clicks=0, className="cv-button"),
            html.Button(t("rank.print"), id=RankIds.PRINT, n_clicks=0, className="cv-button"),
            dcc.Download(id=RankIds.DOWNLOAD),
        ], className="cv-actions cv-no-print"),
    ], className="cv-filter-bar", role="search")


# (field, label key, width props): the grid shows the page's language; the export keeps Chinese headers
COLUMNS = [
    ("group_rank", "group_rank", {"width": 110, "pinned": "left"}),
    # 末位 in words beside the name (not only the row's fill), pinned so no scrolling hides it
    ("note_text", "note", {"width": 160, "pinned": "left"}),
    ("name", "name", {"minWidth": 160, "pinned": "left"}),
    # score and grade first after the pinned columns: behind movement, peer group and value they sat past
    # the grid's right edge at 1366 and 1920 px, so the page of grades showed none without scrolling
    ("score_text", "score", {"width": 110}),
    ("grade", "grade", {"width": 80}),
    ("value_text", "value", {"width": 110}),
    ("movement_text", "movement", {"width": 100}),
    ("peer_text", "peer", {"width": 120}),
    ("numerator", "numerator", {"width": 90}),
    ("denominator", "denominator", {"width": 90}),
    ("previous_text", "previous", {"width": 110}),
]


def column_defs(ctx: Ctx) -> list[dict[str, Any]]:
    # headers wrap onto a second line rather than clip ("Rank in …", "Ranking…" in English)
    return [{"field": f, "headerName": ctx.t(f"rank.col.{key}"), "wrapHeaderText": True, "autoHeaderHeight": True,
             **props} for f, key, props in COLUMNS]


def bottom_list(ctx: Ctx, df: Any) -> html.P:
    """Every 末位 unit by name above the table, whatever its length or order: in view without scrolling."""
    low = df[df["bottom"].astype(bool)]
    if low.empty:
        return html.P(ctx.t("rank.bottom_none"), className="cv-rank-bottoms", id="rankings-bottoms")
    fmt = "{} ({} {})" if ctx.en else "{}（{} {}）"
    chips = [html.Span(fmt.format(r.name, r.peer_text, r.group_rank), className="cv-bottom-chip")
             for r in low.itertuples()]
    return html.P([html.Strong(ctx.t("rank.bottom_list", n=len(low)) + "："), *chips],
                  className="cv-rank-bottoms", id="rankings-bottoms")


def partial_note(ctx: Ctx) -> html.P | None:
    """A running period's ranking says so, and offers the last whole period one click away: in the first
    days of a month long-overdue cases weigh on a short window and grades fall (10 B + 1 C on a whole
    month, 1 B + 9 C + 1 D on its first week in the issue-18 district demo). The page keeps the period
    asked for (one convention on every page, /m and the export) rather than switching it silently."""
    p = ctx.query.period
    if not p.partial:
        return None
    whole = ctx.state.with_(date=p.start.date() - timedelta(days=1), drill=None)
    last = p.previous().whole()
    return html.P([ctx.t("rank.partial", days=period_text.title(p, ctx.lang)), " ",
                   html.A(ctx.t("rank.partial.link", period=period_text.span(last, ctx.lang)),
                          href=f"/{PAGE}{whole.search(**ctx.extra)}", id="rankings-whole-link")],
                  className="cv-rank-partial", id="rankings-partial", role="note")


def render(ctx: Ctx) -> list[Any]:
    level, measure, bottom, sel = selection(ctx)
    order = order_of(ctx)
    df = ranking_frame(ctx, level, measure, bottom)
    if order == "worst":
        df = worst_first(df)
    df["peer_text"] = [peer_text(ctx, g) for g in df["peer_group"]]
    df["note_text"] = [ctx.t("rank.small") if not r else (ctx.t("rank.note.bottom") if b else "")
                       for r, b in zip(df["rankable"], df["bottom"], strict=True)]
    rows = records(df)
    period = ctx.query.period
    title = (f"{ctx.t('rank.title')} · {ctx.level_label(level)} · {measure_label(measure, ctx.en)} · "
             f"{period_text.title(period, ctx.lang)}")
    grid = client_grid(
        RankIds.GRID, rows, column_defs(ctx), height="560px", column_size=None, en=ctx.en,
        rowClassRules={"cv-bottom": "params.data.bottom === true",
                       "cv-unranked": "params.data.rankable !== true",
                       "cv-selected": f"params.data.key === {sel!r}" if sel else "false"},
        getRowId="params.data.key", rowSelection={"mode": "singleRow", "checkboxes": False,
                                                  "enableClickSelection": True},
    )
    legend = html.P([html.Span("■", className="cv-swatch cv-swatch-bottom"),
                     " " + ctx.t("rank.bottom_legend", n=bottom) + "  ",
                     html.Span("■", className="cv-swatch cv-swatch-unranked"), " " + ctx.t("rank.small")],
                    className="cv-legend")
    return [
        html.H1(title, className="cv-print-title", id="rankings-title"),
        controls(ctx, level, measure, bottom, order),
        html.Div([
            F.panel(ctx.t("rank.title"), html.P(target_text(ctx, measure), className="cv-rank-target",
                                                id="rankings-target"),
                    partial_note(ctx), bottom_list(ctx, df), legend, grid, cls="cv-rank-table"),
            F.panel(ctx.t("rank.detail"), detail(ctx, level, measure, sel), cls="cv-rank-detail"),
        ], className="cv-rank-layout"),
    ]
