"""The rankings page's data: the ranked frame (page, export and print share it) and the unit detail."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd
from dash import html

import metrics
from dashboard import access, data
from dashboard.components import figures as F
from dashboard.components.cases_view import as_of
from dashboard.components.code_labels import code_name
from dashboard.components.page import Ctx
from etl import schema
from metrics import explore
from metrics.explore import Drill
from metrics.query import QueryError
from metrics.scores import GRADES

ORG_LEVELS = schema.PATH_LEVELS  # whichever of them the hierarchy uses below its root (``levels_for``)
LEVELS = (*ORG_LEVELS, "station", "department")
_DEPTH = schema.LEVELS
COMPOSITE = {"region_composite": "区域综合评价得分", "department_composite": "部门综合评价得分"}
COMPOSITE_EN = {"region_composite": "Region composite score", "department_composite": "Department composite score"}
RATE_IDS = [i.id for i in metrics.INDICATORS if i.kind == "ratio"]
CASE_RATES = ("closure_rate", "ontime_closure_rate", "ontime_disposal_rate", "rework_rate", "supervision_rate",
              "proactive_rate", "escalation_rate", "urgent_arrival_rate", "urgent_result_rate",
              "station_closure_rate", "registered", "overdue_backlog", "handling_p50")
DETAIL_IDS = ("registered", "closure_rate", "ontime_closure_rate", "ontime_disposal_rate", "rework_rate",
              "supervision_rate", "proactive_rate", "overdue_backlog")
EXPORT_COLUMNS = [("rank", "排名"), ("movement", "名次变化"), ("name", "单位"), ("key", "代码"),
                  ("peer_label", "同类组"), ("group_rank", "组内排名"),
                  ("value", "指标值"), ("score", "排名得分"), ("grade", "等级"), ("numerator", "分子"),
                  ("denominator", "分母"), ("previous_value", "上期值"), ("bottom", "末位"), ("note", "备注")]


# peer groups come from the warehouse (org_unit/department peer_group, station_type); codes are labelled
PEER_LABELS = {"all": "全部", "liaison": "联勤联动工作站", "village": "村居工作站", "street": "街道", "town": "镇"}


def peer_label(group: Any) -> str:
    return PEER_LABELS.get(str(group), str(group))


# English for the peer-group names of the standard hierarchy (domain.md §1); a site's own group names
# are data and show as loaded, like unit names
PEER_EN = {"街道": "Street", "镇": "Town", "居委": "Residents' committee", "村": "Village",
           "街道网格": "Street grid", "镇网格": "Town grid", "联勤联动工作站": "Liaison station",
           "村居工作站": "Village station", "全部": "All", "城管中队": "City management squad", "保洁": "Cleaning",
           "水务": "Water", "绿化": "Greening", "派出所": "Police station", "市场所": "Market supervision",
           "物业": "Property management", "房管所": "Housing office"}


def peer_text(ctx: Ctx, group: Any) -> str:
    """A peer group's label in the page's language."""
    label = peer_label(group)
    return PEER_EN.get(label, label) if ctx.en else label


def measure_label(measure: str, en: bool = False) -> str:
    if measure in COMPOSITE:
        return (COMPOSITE_EN if en else COMPOSITE)[measure]
    ind = metrics.BY_ID[measure]
    return ind.en if en else ind.zh


# 12345 / 311 orders carry the unit path too: a city that loads only its hotline can still rank units
HOTLINE_MEASURES = ("hotline_closure_rate", "hotline_close_p50", "hotline_orders", "hotline_backlog")


def measures_for(level: str, en: bool = False) -> list[tuple[str, str]]:
    comp = "department_composite" if level in ("station", "department") else "region_composite"
    ids = [m for m in CASE_RATES if m != "station_closure_rate" or level == "station"]
    if level in ORG_LEVELS:
        ids += HOTLINE_MEASURES
    return [(m, measure_label(m, en)) for m in (comp, *ids)]


def levels_for(ctx: Ctx) -> tuple[str, ...]:
    """The levels the current user may rank: the unit levels the hierarchy uses below its root (a city
    of council districts has no 街镇 to rank) at or below the user's scope's, then stations and
    departments. Ranking 街镇 as a grid-scoped analyst would list one row, the grid's own figures under
    its 街镇's name: not a leak, but a number that reads as the whole 街镇's."""
    used = tuple(lv for lv in data.hierarchy().under(None) if lv in ORG_LEVELS)
    scope = access.current_principal().scope
    hit = ctx.units.loc[ctx.units["unit_code"] == scope, "level"] if scope is not None else ()
    if len(hit) and str(hit.iloc[0]) in _DEPTH:
        depth = _DEPTH.index(str(hit.iloc[0]))
        used = tuple(lv for lv in used if _DEPTH.index(lv) >= depth)
    return (*used, "station", "department")


def selection(ctx: Ctx) -> tuple[str, str, int, str | None]:
    levels = levels_for(ctx)
    level = ctx.extra.get("level") or levels[0]
    if level not in LEVELS:
        raise QueryError(f"“level={level}” is not one of {', '.join(LEVELS)}")
    if level in ORG_LEVELS and level not in data.hierarchy().slots:
        raise QueryError(f"“level={level}”: this hierarchy has no {level} level / "
                         f"本辖区层级中没有{ctx.t(f'level.{level}')}")
    if level in ORG_LEVELS and level not in data.hierarchy().under(None):
        raise QueryError(f"“level={level}” is the top of this hierarchy: rank {levels[0]} or below / "
                         f"{ctx.t(f'level.{level}')}是本辖区最高层级，请选择{ctx.level_label(levels[0])}或以下层级")
    if level not in levels:
        raise QueryError(f"“level={level}” 高于您的权限范围，请选择{ctx.level_label(levels[0])}或以下层级 / "
                         f"is above your scope: rank {levels[0]} or below")
    default = "department_composite" if level in ("station", "department") else "region_composite"
    if level in ORG_LEVELS and data.data_start("cases") is None and data.data_start("hotline") is not None:
        default = "hotline_closure_rate"  # a city that loads only its 311 / 12345 orders has no composite
    measure = ctx.extra.get("measure") or default
    if measure not in dict(measures_for(level)):
        raise QueryError(f"“measure={measure}” cannot rank {level} units")
    try:
        bottom = int(ctx.extra.get("bottom") or 3)
    except ValueError:
        raise QueryError(f"“bottom={ctx.extra.get('bottom')}” is not a number") from None
    if not 0 <= bottom <= 50:
        raise QueryError("bottom must be between 0 and 50")
    return level, measure, bottom, ctx.extra.get("sel") or None


ORDERS = ("rank", "worst")  # order=: by place within each peer group, or 末位 first (worst-first)


def order_of(ctx: Ctx) -> str:
    order = ctx.extra.get("order") or "rank"
    if order not in ORDERS:
        raise QueryError(f"“order={order}” is not one of {', '.join(ORDERS)}")
    return order


def worst_first(df: pd.DataFrame) -> pd.DataFrame:
    """末位 rows first (every peer group's), then the other ranked rows from the last relative place
    up, too-small-to-rank rows last: a long list's 末位 is the first thing on screen, not below the fold."""
    rel = df["rank"].astype("float64") / df["ranked_in_group"].astype("float64").where(df["ranked_in_group"] > 0)
    key = pd.DataFrame({"b": ~df["bottom"].astype(bool), "u": ~df["rankable"].astype(bool), "r": -rel.fillna(0.0)})
    return df.loc[key.sort_values(["b", "u", "r"], kind="stable").index]


def target_text(ctx: Ctx, measure: str) -> str:
    """What the ranked measure is judged against, in words: the indicator's (site-configured) target,
    or for a composite its 0–100 scale and grade bands."""
    if measure in COMPOSITE:
        bands = "、".join(f"{g} ≥ {b:g}" for b, g in GRADES)
        return ctx.t("rank.target.composite", bands=bands)
    ind = metrics.BY_ID[measure]
    target = metrics.target_of(measure)
    if target is None:
        return ctx.t("rank.target.none")
    sign = "≥" if ind.direction == "higher" else "≤"
    return ctx.t("rank.target", sign=sign, v=F.pct(target) if ind.kind == "ratio" else F.num(target))


def _grade(measure: str, value: float | None, score: float | None) -> str | None:
    if measure in COMPOSITE:
        return metrics.grade(score)
    ind = metrics.BY_ID[measure]
    if ind.kind != "ratio" or value is None or value != value:
        return None
    return metrics.grade(100 * (value if ind.direction == "higher" else 1 - value))


def ranking_frame(ctx: Ctx, level: str, measure: str, bottom: int) -> pd.DataFrame:
    # ranked within peer groups (domain §5: 街道 vs 镇, department volume bands by 职责 group): the rank
    # restarts in each group and 末位 is the last ``bottom`` of each group
    df = metrics.ranking(ctx.con, level, measure, ctx.query, bottom_n=bottom, by_peer_group=True,  # type: ignore[arg-type]
                         overrides=data.metrics_config())
    return decorate(access.mask_rows(df), measure)


def decorate(df: pd.DataFrame, measure: str) -> pd.DataFrame:
    """``metrics.ranking``'s frame with the page's text columns (grade, movement, values, note, peer
    label, rank in group): the page, its export and the briefing (dashboard/reports) show the same."""
    ratio = measure not in COMPOSITE and metrics.BY_ID[measure].kind == "ratio"

    def fmt(v: Any) -> str:
        return F.pct(v) if ratio else F.num(v)

    # no value, no grade: "—", never E
    df["grade"] = [_grade(measure, v, s) or "—" for v, s in zip(df["value"], df["score"], strict=True)]
    df["movement_text"] = [("—" if m != m else "↑" + str(int(m)) if m > 0 else "↓" + str(int(-m)) if m < 0 else "＝")
                           for m in df["movement"].astype("float64")]
    df["value_text"] = df["value"].map(fmt)
    df["previous_text"] = df["previous_value"].map(fmt)
    # a composite is a 0–100 score ("90.6"), a rate's ranking score a share ("90.6%")
    df["score_text"] = df["score"].map(lambda s: F.pct(s) if ratio else F.num(s))
    df["note"] = ["样本不足，不参与排名" if not r else ("末位" if b else "") for r, b in
                  zip(df["rankable"], df["bottom"], strict=True)]
    df["peer_label"] = df["peer_group"].map(peer_label)
    df["group_rank"] = [None if r != r else f"{int(r)} / {int(n)}" for r, n in
                        zip(df["rank"].astype("float64"), df["ranked_in_group"], strict=True)]
    df["rank"] = df["rank"].astype("Int64")
    df["movement"] = df["movement"].astype("Int64")
    return df


def _scoped(ctx: Ctx, level: str, key: str) -> tuple[Any, Drill | None]:
    if level not in ("station", "department"):  # an org unit (the district included)
        return access.scoped(replace(ctx.query, unit=key)), None
    return ctx.query, Drill("station" if level == "station" else "department", key)


def detail_rows(ctx: Ctx, level: str, sel: str) -> list[tuple[str, Any, Any, Any, str]]:
    """A unit's indicators against their targets: (label, value, target, status, kind) per
    ``DETAIL_IDS`` (the detail panel of /rankings and the unit view of /m)."""
    q, drill = _scoped(ctx, level, sel)
    en = ctx.en
    if drill is None:
        vals = metrics.indicator_values(ctx.con, list(DETAIL_IDS), q, overrides=data.metrics_config())
        return [(measure_label(k, en), v.value, v.target, v.status, metrics.BY_ID[k].kind) for k, v in vals.items()]
    tab = metrics.indicator_table(ctx.con, list(DETAIL_IDS), ctx.query, by=level,  # type: ignore[arg-type]
                                  overrides=data.metrics_config())
    tab = tab[tab["key"] == sel]
    return [(measure_label(r.metric_id, en), r.value, r.target, r.status, metrics.BY_ID[r.metric_id].kind)
            for r in tab.itertuples()]


def unit_overdue(ctx: Ctx, level: str, sel: str, limit: int) -> tuple[pd.DataFrame, int]:
    """A unit's (or station's, department's) cases open past their deadline, masked: (page, total)."""
    q, drill = _scoped(ctx, level, sel)
    overdue, total = explore.overdue_cases(ctx.con, q, drill, limit, now=data.data_now(), kept=data.open_overdue())
    return access.mask_rows(overdue), total


def detail(ctx: Ctx, level: str, measure: str, sel: str | None) -> Any:
    if not sel:
        return html.P(ctx.t("rank.detail.pick"), className="cv-muted")
    q, drill = _scoped(ctx, level, sel)
    en = ctx.en
    cfg = data.metrics_config()
    rows = detail_rows(ctx, level, sel)
    trend_ids = [measure] if measure not in COMPOSITE else ["closure_rate"]
    if level in ORG_LEVELS:
        trend = metrics.monthly_trend(ctx.con, trend_ids, q, 12, overrides=cfg)
    else:
        trend = metrics.monthly_trend(ctx.con, trend_ids, ctx.query, 12, by=level, overrides=cfg)  # type: ignore[arg-type]
        trend = trend[trend["key"] == sel]
    table = html.Table([html.Thead(html.Tr([html.Th(ctx.t(f"rank.col.{c}"))
                                            for c in ("indicator", "current", "target", "status")])),
                        html.Tbody([html.Tr([html.Td(n), html.Td(F.pct(v) if k == "ratio" else F.num(v)),
                                             html.Td(F.pct(tg) if k == "ratio" else F.num(tg)),
                                             html.Td(ctx.t(f"status.{s}") if s else "—")],
                                            className=f"cv-status-{s}" if s else "")
                                    for n, v, tg, s, k in rows])], className="cv-table", id="rankings-detail-table")
    ind = metrics.BY_ID[trend_ids[0]]
    line = {"type": "scatter", "mode": "lines+markers", "x": [str(m) for m in trend["month"]],
            "y": [None if v != v else float(v) for v in trend["value"].astype("float64")],
            "line": {"color": "#1f77b4"}, "name": measure_label(ind.id, en)}
    # the running month (so far) drawn apart, not as the last point of the line: it is no collapse
    running = F.last_running(list(trend["month"]), as_of(ctx), "month")
    tfig = F.fig(F.partial_line(line, ctx.t("page.partial")) if running else [line], 200,
                 yaxis={"tickformat": ".0%"} if ind.kind == "ratio" else {}, showlegend=running,
                 legend={"orientation": "h", "y": 1.2})
    cats = explore.case_counts(ctx.con, q, "major", drill).head(5)
    overdue, n_overdue = unit_overdue(ctx, level, sel, 10)
    link = f"/cases?unit={sel}" if level in ORG_LEVELS else f"/cases?drill={drill.text() if drill else ''}"
    name = ctx.unit_name(sel) if level in ORG_LEVELS else sel
    return html.Div([
        html.H3(name, id="rankings-detail-name"),
        html.H4(ctx.t("rank.detail.indicators")), table,
        html.H4(f"{ctx.t('rank.detail.trend')} · {measure_label(ind.id, en)}"),
        F.graph("rankings", "trend", tfig),
        html.H4(ctx.t("rank.detail.worst")),
        html.Ol([html.Li(f"{r.label}: {r.cases:,}") for r in cats.itertuples()]),
        html.H4(f"{ctx.t('rank.detail.overdue')} ({n_overdue:,})"),
        html.Ul([html.Li(f"{r.case_id} · {code_name('category_code', r.category_code)} · "
                         f"{ctx.t('rank.deadline')} {r.deadline_at:%Y-%m-%d %H:%M}")
                 for r in overdue.itertuples()], className="cv-overdue"),
        dcc_link(link, ctx.t("rank.detail.link")),
    ], className="cv-unit-detail")  # not cv-detail: that is the row-detail modal (pages.css)


def dcc_link(href: str, text: str) -> Any:
    from dash import dcc

    return dcc.Link(text, href=href, className="cv-link", id="rankings-detail-link")
