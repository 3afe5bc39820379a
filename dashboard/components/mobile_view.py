"""The leaders' phone view (/m): one column of lists for a thumb, every item a link to its detail.

URL: /m[?view=unit|station|stations|urgent][&sel=<key>][&level=<level>][&unit=..&period=..&date=..][&lang=en]

The URL is the whole state (scope, period, level, view), so the address is the share link; the
request guard and ``access.scoped`` decide, per viewer, whether it opens. Every control is a plain
link: the page needs no callback and no script (see ``dashboard/pages/mobile.py`` for how it is served).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import flask
from dash import html

from dashboard import data
from dashboard.components import figures as F
from dashboard.components import mobile_model as M
from dashboard.components import period_text
from dashboard.components.page import Ctx
from dashboard.components.rankings_model import detail_rows, unit_overdue
from metrics.query import QueryError

PAGE = "mobile"
PATH = "/m"
VIEWS = ("home", "unit", "station", "stations", "urgent")
HOME_URGENT = 5  # urgent cases listed on the overview; the rest behind "all"


def href(ctx: Ctx, path: str = PATH, **changes: str | None) -> str:
    """A link to ``path`` with the view's scope, period and language, changed by ``changes`` (None drops)."""
    params = {**ctx.state.params(), **{k: v for k, v in ctx.extra.items() if k in ("level", "lang")}}
    params.update(changes)
    kept = {k: v for k, v in params.items() if v}
    return path + ("?" + urlencode(kept) if kept else "")


def _link(text: Any, url: str, cls: str = "", **attrs: str) -> html.A:
    return html.A(text, href=url, className=f"cv-m-link {cls}".strip(), **attrs)


def _status_cls(status: object) -> str:
    return {"green": "is-good", "amber": "is-warn", "red": "is-bad"}.get(str(status), "is-none")


def _section(title: str, *children: Any, sid: str) -> html.Section:
    return html.Section([html.H2(title), *children], className="cv-m-card", id=sid)


def _period_label(ctx: Ctx) -> str:
    return period_text.title(ctx.query.period, ctx.lang)


def _chips(items: list[tuple[str, str, bool]], label: str, cid: str) -> html.Nav:
    return html.Nav([_link(text, url, "cv-m-chip" + (" is-on" if on else ""),
                           **({"aria-current": "true"} if on else {})) for text, url, on in items],
                    className="cv-m-chips", id=cid, **{"aria-label": label})


def period_chips(ctx: Ctx, today: date) -> html.Nav:
    st = ctx.state
    anchor = st.date or today
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    this_month = st.period == "month" and anchor.replace(day=1) == today.replace(day=1)
    items = [
        (ctx.t("m.period.month"), href(ctx, period=None, date=None), this_month),
        (ctx.t("m.period.last_month"), href(ctx, period=None, date=last_month.isoformat()),
         st.period == "month" and anchor.replace(day=1) == last_month),
        (ctx.t("m.period.quarter"), href(ctx, period="quarter", date=None), st.period == "quarter"),
        (ctx.t("m.period.year"), href(ctx, period="year", date=None), st.period == "year"),
    ]
    return _chips(items, ctx.t("filter.period"), "m-periods")


def header(ctx: Ctx, today: date) -> html.Header:
    other = "en" if not ctx.en else None
    return html.Header([
        html.Div([html.Span(ctx.t("m.title"), className="cv-m-brand"),
                  html.Span(ctx.unit_name(ctx.state.unit), className="cv-m-scope", id="m-scope"),
                  _link(ctx.t("m.lang"), href(ctx, **_same_view(ctx), lang=other), "cv-m-lang",
                        lang="en" if other else "zh-CN")],
                 className="cv-m-top"),
        html.P([_period_label(ctx), html.Span(f" · {ctx.t('m.as_of', t=f'{M.now_at():%m-%d %H:%M}')}")],
               className="cv-m-period", id="m-period"),
        period_chips(ctx, today),
    ], className="cv-m-header")


def _same_view(ctx: Ctx) -> dict[str, str | None]:
    return {k: ctx.extra.get(k) for k in ("view", "sel")}


# -- overview ---------------------------------------------------------------------------------------
def _tile(label: str, value: str, note: str, url: str, tid: str, cls: str = "") -> html.A:
    return _link([html.Span(label, className="cv-m-tile-label"), html.Span(value, className=f"cv-m-tile-value {cls}"),
                  html.Span(note, className="cv-m-tile-note")], url, "cv-m-tile", id=tid)


def summary(ctx: Ctx, v: M.Vitals, rk: M.Ranking, st: M.Stations, u: M.CaseList) -> html.Nav:
    """The first screen's four answers, each a tap away from its list: score, place (or how many units
    are 末位), stations at 85%, urgent cases open."""
    if rk.own is not None:
        own = rk.own
        place = _place(ctx, own)
        rank_note = f"{ctx.t('m.rank.grade', g=own.grade or '—')} · " + \
            (ctx.t("m.rank.bottom") if own.bottom else ctx.t("m.rank.not_bottom"))
        rank_cls = "is-bad" if own.bottom else ""
    else:
        place = ctx.t("m.tile.bottom_n", n=sum(r.bottom for r in rk.rows))
        rank_note = ctx.t(f"level.{rk.level}")
        rank_cls = ""
    score = "—" if v.overall is None else f"{v.overall:.2f}"
    return html.Nav([
        _tile(ctx.t("m.tile.rank"), place, rank_note, "#m-rank", "m-tile-rank", rank_cls),
        _tile(ctx.t("m.tile.stations"), f"{st.meeting} / {st.with_value}",
              ctx.t("m.tile.stations_below", n=len(st.below), target=F.pct(st.target)),
              href(ctx, view="stations"), "m-tile-stations", "is-bad" if st.below else "is-good"),
        _tile(ctx.t("m.vitals"), score, ctx.t("m.tile.signs_below", n=len(v.below)), "#m-vitals", "m-tile-vitals",
              _status_cls(v.status)),
        _tile(ctx.t("m.tile.urgent"), str(u.total), ctx.t("m.tile.urgent_note"), href(ctx, view="urgent"),
              "m-tile-urgent", "is-bad" if u.total else ""),
    ], className="cv-m-tiles", id="m-summary", **{"aria-label": ctx.t("m.tile.label")})


def vitals_card(ctx: Ctx, v: M.Vitals) -> html.Section:
    score = "—" if v.overall is None else f"{v.overall:.2f}"
    prev = "—" if v.previous is None else f"{v.previous:.2f}"
    scope_sel = ctx.state.unit or str(ctx.units["unit_code"].iloc[0])
    signs = [html.Li(_link([html.Span(s.name, className="cv-m-name"),
                            html.Span(f"{s.value} / {s.target}", className=f"cv-m-val {_status_cls(s.status)}")],
                           href(ctx, view="unit", sel=scope_sel, level=None)), id=f"m-sign-{s.metric_id}")
             for s in v.below]
    return _section(ctx.t("m.vitals"), html.Div([
        html.Span(score, className=f"cv-m-big {_status_cls(v.status)}", id="m-overall"),
        html.Span([ctx.t("m.vitals.score"), html.Br(),
                   # a running month compares with the same days of the month before (上月同期)
                   f"{period_text.previous_name(ctx.query.period, ctx.lang)} {prev}" if ctx.query.period.partial
                   else ctx.t("m.vitals.previous", v=prev)], className="cv-m-note"),
    ], className="cv-m-hero"),
        html.H3(ctx.t("m.vitals.below", n=len(v.below))),
        html.Ul(signs, className="cv-m-list") if signs else html.P(ctx.t("m.vitals.none"), className="cv-m-muted"),
        sid="m-vitals")


def _place(ctx: Ctx, r: M.RankRow) -> str:
    return ctx.t("m.rank.place", place=r.place) if r.place else ctx.t("m.rank.unranked")


def own_card(ctx: Ctx, r: M.RankRow, own: bool = True) -> html.Div:
    """A unit's place, grade, 末位 status and movement (``own``: the reader's own scope unit)."""
    return html.Div([
        html.P(ctx.t("m.rank.own" if own else "m.rank.group", peer=r.peer), className="cv-m-muted"),
        html.P([html.Strong(r.name), " ", html.Span(_place(ctx, r), id="m-own-place")], className="cv-m-own-line"),
        html.P([html.Span(ctx.t("m.rank.grade", g=r.grade or "—"), className="cv-m-grade", id="m-own-grade"), " · ",
                html.Span(ctx.t("m.rank.bottom") if r.bottom else ctx.t("m.rank.not_bottom"),
                          className="cv-m-badge is-bad" if r.bottom else "cv-m-badge", id="m-own-bottom"), " · ",
                html.Span(ctx.t("m.rank.move", m=r.movement), id="m-own-move")]),
    ], className="cv-m-own", id="m-own")


def rank_item(ctx: Ctx, level: str, r: M.RankRow) -> html.Li:
    return html.Li(_link([
        html.Span(r.place or "—", className="cv-m-place"),
        html.Span([r.name, html.Small(r.peer)], className="cv-m-name"),
        html.Span([html.Span(r.grade or "", className="cv-m-grade"), " ", r.movement], className="cv-m-val"),
        html.Span(ctx.t("m.rank.bottom"), className="cv-m-badge is-bad") if r.bottom else None,
    ], href(ctx, view="unit", sel=r.key, level=level), "is-bottom" if r.bottom else ("is-unranked" if not r.rankable
                                                                                      else "")),
        **{"data-key": r.key})


def ranking_card(ctx: Ctx, rk: M.Ranking) -> html.Section:
    levels = [(ctx.t(f"level.{lv}"), href(ctx, level=lv), lv == rk.level) for lv in rk.levels]
    return _section(ctx.t("m.rank"),
                    own_card(ctx, rk.own) if rk.own else None,
                    _chips(levels, ctx.t("m.rank.level"), "m-levels"),
                    html.P(ctx.t("m.rank.rule", n=rk.bottom_n), className="cv-m-muted"),
                    html.Ol([rank_item(ctx, rk.level, r) for r in rk.rows], className="cv-m-list", id="m-rank-list"),
                    sid="m-rank")


def station_item(ctx: Ctx, s: M.StationRow) -> html.Li:
    cls = "is-none" if s.meets is None else "is-good" if s.meets else "is-bad"
    return html.Li(_link([html.Span(s.name, className="cv-m-name"),
                          html.Span([s.rate, html.Small(s.counts if s.meets is not None
                                                        else ctx.t("m.stations.no_rate"))],
                                    className=f"cv-m-val {cls}")],
                         href(ctx, view="station", sel=s.key)), **{"data-key": s.key})


def stations_card(ctx: Ctx, st: M.Stations, full: bool = False) -> html.Section:
    target = F.pct(st.target)
    rows = st.rows if full else st.below
    return _section(ctx.t("m.stations"), html.Div([
        html.Span(f"{st.meeting} / {st.with_value}", className="cv-m-big", id="m-stations-meeting"),
        html.Span([ctx.t("m.stations.meeting", n=st.meeting, m=st.with_value, target=target), html.Br(),
                   ctx.t("m.stations.overall", v=st.overall)], className="cv-m-note"),
    ], className="cv-m-hero"),
        html.H3(ctx.t("m.stations.all", n=len(st.rows)) if full else
                ctx.t("m.stations.below", target=target, n=len(st.below))),
        html.Ul([station_item(ctx, s) for s in rows], className="cv-m-list", id="m-stations-list") if rows
        else html.P(ctx.t("m.stations.none"), className="cv-m-muted"),
        None if full else _link(ctx.t("m.stations.all", n=len(st.rows)), href(ctx, view="stations"), "cv-m-more"),
        sid="m-stations")


def case_list(ctx: Ctx, cases: M.CaseList, when: str, lid: str, limit: int | None = None) -> list[Any]:
    shown = cases.rows[:limit] if limit else cases.rows
    items = html.Ul([html.Li([html.Span(c.case_id, className="cv-m-id"), html.Span(c.what, className="cv-m-name"),
                              html.Small(f"{c.where} · {ctx.t(when)} {c.when}")], className="cv-m-case")
                     for c in shown], className="cv-m-list", id=lid)
    more = cases.total - len(shown)
    return [items, html.P(ctx.t("m.more", n=more), className="cv-m-muted") if more > 0 and limit is None else None]


def urgent_card(ctx: Ctx, u: M.CaseList, full: bool = False) -> html.Section:
    body: list[Any] = case_list(ctx, u, "m.urgent.reported", "m-urgent-list", None if full else HOME_URGENT) \
        if u.total else [html.P(ctx.t("m.urgent.none"), className="cv-m-muted")]
    if not full and u.total > HOME_URGENT:
        body.append(_link(ctx.t("m.urgent.all"), href(ctx, view="urgent"), "cv-m-more"))
    return _section(ctx.t("m.urgent", n=u.total), *body, sid="m-urgent")


# -- detail views -------------------------------------------------------------------------------------
def unit_view(ctx: Ctx, rk: M.Ranking) -> list[Any]:
    sel = ctx.extra.get("sel") or ctx.state.unit or str(ctx.units["unit_code"].iloc[0])
    level = rk.level if any(r.key == sel for r in rk.rows) else str(
        next(iter(ctx.units.loc[ctx.units["unit_code"] == sel, "level"]), "district"))
    row = next((r for r in rk.rows if r.key == sel), None)
    own = rk.own is not None and rk.own.key == sel
    if row is None and own:
        row = rk.own
    indicators = detail_rows(ctx, level, sel)  # raises OutOfScope for a unit the viewer may not see
    cases = M.overdue_list(ctx, *unit_overdue(ctx, level, sel, M.LIST_MAX))
    total = cases.total
    return [
        html.H1(M.unit_name(ctx, level, sel, rk.rows), id="m-detail-name"),
        own_card(ctx, row, own) if row is not None else None,
        _section(ctx.t("m.unit.indicators"), html.Ul([
            html.Li([html.Span(n, className="cv-m-name"),
                     html.Span([F.pct(v) if k == "ratio" else F.num(v),
                                html.Small(f"{ctx.t('rank.col.target')} {F.pct(tg) if k == 'ratio' else F.num(tg)}"
                                           + (f" · {ctx.t(f'm.status.{s}')}" if s else ""))],
                               className=f"cv-m-val {_status_cls(s)}")], className="cv-m-row")
            for n, v, tg, s, k in indicators], className="cv-m-list", id="m-indicators"), sid="m-unit-indicators"),
        _section(ctx.t("m.overdue", n=total), *(case_list(ctx, cases, "m.overdue.deadline", "m-overdue-list")
                                                 if total else [html.P(ctx.t("m.overdue.none"))]), sid="m-overdue"),
    ]


def station_view(ctx: Ctx, st: M.Stations) -> list[Any]:
    sel = ctx.extra.get("sel") or ""
    row = next((s for s in st.rows if s.key == sel), None)
    if row is None:
        raise QueryError(f"unknown station {sel!r} in this scope")
    overdue = M.station_overdue(ctx, sel)
    cls = "is-none" if row.meets is None else "is-good" if row.meets else "is-bad"
    return [
        html.H1(row.name, id="m-detail-name"),
        html.P(ctx.t("m.station.rate", v=row.rate, c=row.counts, target=F.pct(st.target)),
               className=f"cv-m-station-rate {cls}", id="m-station-rate"),
        _section(ctx.t("m.overdue", n=overdue.total),
                 *(case_list(ctx, overdue, "m.overdue.deadline", "m-overdue-list") if overdue.total
                   else [html.P(ctx.t("m.overdue.none"))]), sid="m-overdue"),
    ]


def share_href(ctx: Ctx, level: str | None) -> str:
    """The exact view for a colleague: scope, period (anchored, not "this month"), level, view, unit."""
    anchor = None if ctx.state.period == "custom" else f"{ctx.query.period.start:%Y-%m-%d}"
    return href(ctx, **_same_view(ctx), unit=ctx.state.unit, date=anchor, level=level)


def footer(ctx: Ctx, level: str | None) -> html.Footer:
    search = ctx.state.search(lang=ctx.extra.get("lang"), level=level)
    share = share_href(ctx, level)
    shown = flask.request.host_url.rstrip("/") + share if flask.has_request_context() else share
    return html.Footer([
        html.H2(ctx.t("m.share")),
        _link(shown, share, "cv-m-share", id="m-share"),
        html.P(ctx.t("m.share.note"), className="cv-m-muted"),
        html.Nav([_link(ctx.t("m.desk.rankings"), f"/rankings{search}"),
                  _link(ctx.t("m.desk.stations"), "/stations" + ctx.state.search(lang=ctx.extra.get("lang"))),
                  _link(ctx.t("m.logout"), "/auth/logout")], className="cv-m-foot-links"),
    ], className="cv-m-footer")


def render(ctx: Ctx) -> list[Any]:
    view = ctx.extra.get("view") or "home"
    if view not in VIEWS:
        raise QueryError(f"“view={view}” is not one of {', '.join(VIEWS)}")
    today = data.view_now().date()  # the data's end when it is historical
    body: list[Any]
    level: str | None = None
    if view == "home":
        rk, v, st, u = M.ranking(ctx), M.vitals(ctx), M.stations(ctx), M.urgent(ctx)
        level = rk.level
        body = [summary(ctx, v, rk, st, u), vitals_card(ctx, v), ranking_card(ctx, rk), stations_card(ctx, st),
                urgent_card(ctx, u)]
    elif view == "unit":
        rk = M.ranking(ctx)
        level = rk.level
        body = unit_view(ctx, rk)
    elif view == "station":
        body = station_view(ctx, M.stations(ctx))
    elif view == "stations":
        body = [stations_card(ctx, M.stations(ctx), full=True)]
    else:
        body = [urgent_card(ctx, M.urgent(ctx), full=True)]
    back = None if view == "home" else _link(ctx.t("m.back"), href(ctx), "cv-m-back", id="m-back")
    return [header(ctx, today), html.Main([back, *body], className="cv-m-main"), footer(ctx, level)]
