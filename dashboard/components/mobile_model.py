"""The phone view's numbers (/m): the same metrics calls as the desk pages, as small frozen values.

- vital signs: ``metrics.vital_signs`` over the view's scope and period (the wall's rule for the signs
  below target: score < 1, worst first);
- the composite ranking: ``rankings_model.ranking_frame``, the very frame /rankings shows, and the
  scope unit's own place among its peers (``access.own_row_among_peers``);
- liaison stations: ``metrics.station_closure`` as /stations calls it, and a station's overdue cases
  as /stations lists them with ``sel=``;
- urgent cases open now: ``metrics.feed.open_urgent`` over the wall's rows of the day.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import pandas as pd

import metrics
from dashboard import access, data
from dashboard.components import figures as F
from dashboard.components.code_labels import code_name
from dashboard.components.page import Ctx
from dashboard.components.rankings_model import (
    ORG_LEVELS,
    levels_for,
    peer_text,
    ranking_frame,
    selection,
)
from dashboard.screen.model import day_rows
from metrics import explore, feed
from metrics.explore import Drill

LIST_MAX = 30  # rows of a list on a phone before "more on the desk page"


@dataclass(frozen=True)
class Sign:
    metric_id: str
    name: str
    value: str
    target: str
    status: str | None


@dataclass(frozen=True)
class Vitals:
    overall: float | None
    status: str | None
    previous: float | None
    below: tuple[Sign, ...]


@dataclass(frozen=True)
class RankRow:
    key: str
    name: str
    peer: str
    place: str | None  # "2 / 6" within the peer group; None = too few cases to rank
    movement: str  # ↑1 / ↓2 / ＝ / —
    grade: str | None
    bottom: bool
    rankable: bool
    score: str


@dataclass(frozen=True)
class Ranking:
    level: str
    levels: tuple[str, ...]
    measure: str
    bottom_n: int
    rows: tuple[RankRow, ...]
    own: RankRow | None  # the scope unit among its peers (a scoped user), else None


@dataclass(frozen=True)
class StationRow:
    key: str
    name: str
    rate: str
    counts: str  # "numerator/denominator"
    meets: bool | None  # None: no case due in scope


@dataclass(frozen=True)
class Stations:
    target: float | None  # the declared target with the site's override
    meeting: int
    with_value: int
    total: int
    overall: str
    rows: tuple[StationRow, ...]  # worst first, stations without a rate last

    @property
    def below(self) -> tuple[StationRow, ...]:
        return tuple(r for r in self.rows if r.meets is False)


@dataclass(frozen=True)
class Case:
    case_id: str
    what: str
    where: str
    when: str  # reported (urgent) or deadline (overdue)


@dataclass(frozen=True)
class CaseList:
    total: int
    rows: tuple[Case, ...]


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if f != f else f


def _fmt(v: Any, kind: str) -> str:
    return F.pct(v) if kind == "ratio" else F.num(v)


def vitals(ctx: Ctx) -> Vitals:
    vs = metrics.vital_signs(ctx.con, ctx.query, overrides=data.metrics_config())
    below = sorted((s for s in vs.signs if s.score is not None and s.score < 1), key=lambda s: (s.score, s.metric_id))
    return Vitals(_num(vs.overall), vs.status, _num(vs.previous_overall), tuple(
        Sign(s.metric_id, s.name_en if ctx.en else s.name_zh, _fmt(s.value, metrics.BY_ID[s.metric_id].kind),
             _fmt(s.target, metrics.BY_ID[s.metric_id].kind), s.status) for s in below))


def default_level(ctx: Ctx) -> str:
    """The level a phone opens on: the first level the user may rank (as on /rankings), except the
    scope's own level, which ranks one unit (the scope's place is shown apart, see ``ranking``)."""
    levels = levels_for(ctx)
    scope = access.current_principal().scope
    own = ctx.units.loc[ctx.units["unit_code"] == scope, "level"] if scope is not None else ()
    if len(own) and str(own.iloc[0]) == levels[0] and len(levels) > 1:
        return levels[1]
    return levels[0]


def _rows(ctx: Ctx, df: pd.DataFrame) -> tuple[RankRow, ...]:
    return tuple(RankRow(str(r["key"]), str(r["name"]), peer_text(ctx, r["peer_group"]), r["group_rank"],
                         str(r["movement_text"]), r["grade"], bool(r["bottom"]), bool(r["rankable"]),
                         str(r["score_text"])) for r in df.to_dict("records"))


def ranking(ctx: Ctx) -> Ranking:
    ctx = replace(ctx, extra={**ctx.extra, "level": ctx.extra.get("level") or default_level(ctx)})
    level, measure, bottom, _ = selection(ctx)
    rows = _rows(ctx, ranking_frame(ctx, level, measure, bottom))
    return Ranking(level, levels_for(ctx), measure, bottom, rows, own_standing(ctx, bottom))


def own_standing(ctx: Ctx, bottom: int) -> RankRow | None:
    """The scope unit's place among its peers on the composite score (rank, group size, grade, 末位,
    movement): the row /rankings shows for it to a user who may see its parent."""
    scope = access.current_principal().scope
    hit = ctx.units.loc[ctx.units["unit_code"] == scope] if scope is not None else ctx.units.iloc[0:0]
    if hit.empty or str(hit["level"].iloc[0]) not in ORG_LEVELS or pd.isna(hit["parent_code"].iloc[0]):
        return None
    level = str(hit["level"].iloc[0])
    row = access.own_row_among_peers(
        lambda q: ranking_frame(replace(ctx, query=q), level, "region_composite", bottom), ctx.query,
        str(hit["parent_code"].iloc[0]))
    rows = _rows(ctx, row)
    return rows[0] if rows else None


def stations(ctx: Ctx) -> Stations:
    # as /stations calls it
    sc = metrics.station_closure(ctx.con, ctx.query, previous=False, overrides=data.metrics_config())
    df = sc.stations.sort_values(["value", "key"], na_position="last")
    target = sc.district.target  # the declared target with the site's override, as /stations shows
    rows = tuple(StationRow(str(r["key"]), str(r["name"]), F.pct(r["value"]),
                            f"{F.num(r['numerator'])}/{F.num(r['denominator'])}",
                            None if pd.isna(r["meets_target"]) else bool(r["meets_target"]))
                 for r in df.to_dict("records"))
    return Stations(target, sc.meeting_target, sc.stations_with_value, sc.stations_total, F.pct(sc.district.value),
                    rows)


def _cases(df: pd.DataFrame, total: int, when: str, what: str, where: str) -> CaseList:
    return CaseList(total, tuple(
        Case(str(r["case_id"]), str(r[what] or ""), str(r[where] or ""),
             "" if pd.isna(r[when]) else f"{r[when]:%m-%d %H:%M}") for r in df.head(LIST_MAX).to_dict("records")))


def station_overdue(ctx: Ctx, station: str) -> CaseList:
    """The station's cases open past their deadline: /stations' list with ``sel=<station>``."""
    df, total = explore.overdue_cases(ctx.con, ctx.query, Drill("station", station), LIST_MAX,
                                      now=data.data_now(), kept=data.open_overdue())
    return overdue_list(ctx, access.mask_rows(df), total)


def overdue_list(ctx: Ctx, df: pd.DataFrame, total: int) -> CaseList:
    """An ``explore.overdue_cases`` page (already masked) as a list: category, grid, deadline."""
    df = df.copy()
    df["what"] = [code_text(ctx, "category_code", c) for c in df["category_code"]]
    df["where"] = ["" if pd.isna(c) else ctx.unit_name(str(c)) for c in df["grid_code"]]
    return _cases(df, total, "deadline_at", "what", "where")


def code_text(ctx: Ctx, kind: str, code: Any) -> str:
    return "" if pd.isna(code) else code_name(kind, str(code))


def now_at() -> datetime:
    """'Now' for the open-now lists: the pages' 'now' (``data.view_now``), but never past the data's last
    instant (a replayed snapshot's 'now' is its own)."""
    site, last = data.view_now(), data.data_now()
    return min(site, last) if last is not None else site


def urgent(ctx: Ctx) -> CaseList:
    """Urgent cases open now in scope, longest waiting first (the wall's 紧急在办 count)."""
    at = now_at()
    df = access.mask_rows(feed.open_urgent(day_rows(at), ctx.query, at)).copy()
    # a unit without an English name keeps its Chinese one (the English list read "· reported 03-06 16:32")
    df["where"] = [en if ctx.en and isinstance(en, str) and en else ("" if pd.isna(zh) else str(zh))
                   for en, zh in zip(df["unit_en"], df["unit_zh"], strict=True)]
    return _cases(df, len(df), "reported_at", "title", "where")


def unit_name(ctx: Ctx, level: str, key: str, rows: tuple[RankRow, ...]) -> str:
    if level in ORG_LEVELS:
        return ctx.unit_name(key)
    return next((r.name for r in rows if r.key == key), key)
