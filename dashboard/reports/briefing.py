"""What a briefing says: one scope's period, read from the metrics layer with the same calls and
arguments as /rankings, /stations and /hotline, so its numbers equal theirs for the same scope and
period. No text is invented: the summary sentences are filled from these numbers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

import duckdb
import pandas as pd

import metrics
from dashboard.components import figures as F
from dashboard.components.rankings_model import COMPOSITE, decorate, peer_label
from etl import schema
from metrics import explore, geo
from metrics import hotline_explore as HX
from metrics.hierarchy import Hierarchy, hierarchy
from metrics.indicators import data_now, unit_level
from metrics.query import Period, Query, QueryError
from metrics.status import Freshness, freshness, source_extents

Kind = Literal["monthly", "weekly"]
KINDS: tuple[Kind, ...] = ("monthly", "weekly")
GRAIN = {"monthly": "month", "weekly": "week"}
LEVEL_ZH = {**schema.LEVEL_ZH, "station": "联勤联动工作站", "department": "职能部门"}
BOTTOM = 3  # the rankings page's default 末位 count
URGENT = ("urgent_arrival_rate", "urgent_result_rate")


@dataclass(frozen=True)
class RankingBlock:
    level: str
    measure: str  # region_composite | department_composite (the page's default for the level)
    frame: pd.DataFrame  # rankings_model.decorate columns

    @property
    def title(self) -> str:
        return f"{LEVEL_ZH[self.level]} · {COMPOSITE[self.measure]}"

    def bottoms(self) -> pd.DataFrame:
        return self.frame[self.frame["bottom"].astype(bool)]


@dataclass(frozen=True)
class Urgent:
    arrival: metrics.IndicatorValue
    result: metrics.IndicatorValue
    arrival_breaches: int  # urgent cases dispatched in the period that missed 15 min (not arrived counts)
    result_breaches: int


@dataclass(frozen=True)
class Briefing:
    kind: Kind
    label: str  # 2026-11 | 2026-W47
    scope: str | None
    scope_name: str
    site_name: str
    period: Period
    generated_at: datetime
    data_now: datetime | None
    freshness: tuple[Freshness, ...]
    vitals: metrics.VitalSigns
    rankings: tuple[RankingBlock, ...]
    stations: metrics.StationClosure
    urgent: Urgent
    hotspots: pd.DataFrame  # repeat_complaints by unit + place_name
    summary: tuple[str, ...]
    hotline_name: str = "12345 热线"  # the site's (`vitals site set --hotline-name`): names the 顽症 section

    @property
    def misses(self) -> tuple[metrics.SignScore, ...]:
        """Signs with a value that misses its target (amber or red), worst score first."""
        out = [s for s in self.vitals.signs if s.status in ("amber", "red")]
        return tuple(sorted(out, key=lambda s: (s.score if s.score is not None else 0.0, s.metric_id)))

    @property
    def period_text(self) -> str:
        p = self.period
        if self.kind == "monthly":
            return f"{p.start:%Y年%m月}"
        return f"{p.start:%Y-%m-%d} 至 {p.end - timedelta(days=1):%Y-%m-%d}（{self.label}）"

    @property
    def title(self) -> str:
        return f"{self.scope_name}城市运行{'月度' if self.kind == 'monthly' else '周'}考核通报"


def parse_period(kind: Kind, text: str | None, today: date) -> tuple[Period, str]:
    """``2026-11`` (monthly) or ``2026-W47`` / a date in the week (weekly); none: the last whole period
    before ``today`` (what a scheduled run on the 1st or on Monday reports)."""
    if kind not in KINDS:
        raise QueryError(f"unknown report kind {kind!r}: monthly or weekly")
    if kind == "monthly":
        if text is None:
            day = today.replace(day=1) - timedelta(days=1)
        elif m := re.fullmatch(r"(\d{4})-(\d{2})", text.strip()):
            try:
                day = date(int(m[1]), int(m[2]), 1)
            except ValueError:
                raise QueryError(f"“{text}” is not a month (YYYY-MM)") from None
        else:
            raise QueryError(f"“{text}” is not a month (YYYY-MM)")
        p = Period.containing("month", day)
        return p, f"{p.start:%Y-%m}"
    if text is None:
        day = today - timedelta(days=today.weekday() + 7)
    elif m := re.fullmatch(r"(\d{4})-W(\d{1,2})", text.strip(), re.IGNORECASE):
        try:
            day = date.fromisocalendar(int(m[1]), int(m[2]), 1)
        except ValueError:
            raise QueryError(f"“{text}” is not an ISO week (YYYY-Www)") from None
    else:
        try:
            day = date.fromisoformat(text.strip())
        except ValueError:
            raise QueryError(f"“{text}” is not a week (YYYY-Www or a date in it)") from None
    p = Period.containing("week", day)
    y, w, _ = p.start.date().isocalendar()
    return p, f"{y}-W{w:02d}"


def ranked_levels(h: Hierarchy, scope_level: str | None) -> tuple[str, ...]:
    """The unit levels the hierarchy ``h`` uses below the scope (a 街镇's grids and 村居, the whole
    site's levels below its root), then stations and departments: ranking the scope's own level would
    list the scope alone."""
    return (*h.under(scope_level), "station", "department")


def build(con: duckdb.DuckDBPyConnection, kind: Kind, scope: str | None, period: Period, label: str,
          site_name: str, generated_at: datetime, overrides: Mapping[str, Any] | None = None, *,
          hotline_name: str = "12345 热线") -> Briefing:
    """``overrides``: the site's ``[metrics]`` section (``Settings.section("metrics")``)."""
    level = unit_level(con, scope)  # raises QueryError for an unknown unit
    q = Query(period=period, unit=scope)
    scope_unit = None if scope is None else geo.unit(con, scope)
    scope_name = site_name if scope is None else scope_unit.name_zh if scope_unit else scope
    vitals = metrics.vital_signs(con, q, overrides=overrides)
    rankings = []
    for lv in ranked_levels(hierarchy(con), level):
        measure = "department_composite" if lv in ("station", "department") else "region_composite"
        df = metrics.ranking(con, lv, measure, q, bottom_n=BOTTOM, by_peer_group=True,  # type: ignore[arg-type]
                             overrides=overrides)
        if len(df):
            rankings.append(RankingBlock(lv, measure, decorate(df, measure)))
    stations = metrics.station_closure(con, q, overrides=overrides)
    vals = metrics.indicator_values(con, list(URGENT), q, overrides=overrides)
    urgent = Urgent(vals[URGENT[0]], vals[URGENT[1]], metrics.urgent_breaches(con, q, "arrival", 1)[1],
                    metrics.urgent_breaches(con, q, "result", 1)[1])
    hot = metrics.repeat_complaints(con, q, HX.HOT_MIN_COUNT, HX.HOT_WITHIN_DAYS, "unit")
    tree = explore.unit_tree(con)
    known = dict(zip(tree["unit_code"], tree["name_zh"], strict=True))
    hot = hot.assign(place_name=[known.get(p) or _unit_name(con, str(p)) for p in hot["place"]])
    b = Briefing(kind, label, scope, scope_name, site_name, period, generated_at, data_now(con),
                 freshness(source_extents(con), generated_at), vitals, tuple(rankings), stations, urgent, hot, (),
                 hotline_name)
    return Briefing(**{**b.__dict__, "summary": summary(b)})


def _unit_name(con: duckdb.DuckDBPyConnection, code: str) -> str:
    unit = geo.unit(con, code)
    return unit.name_zh if unit is not None and unit.name_zh else code


def summary(b: Briefing) -> tuple[str, ...]:
    """Sentences filled from the briefing's own numbers, in the order of its sections."""
    when = "本月" if b.kind == "monthly" else "本周"
    v = b.vitals
    out = []
    misses = b.misses
    head = f"{when}城市体征综合得分 {score_text(v.overall)}（上期 {score_text(v.previous_overall)}，1.00 为全部达标）"
    if misses:
        listed = "、".join(f"{s.name_zh} {_fmt(s.metric_id, s.value)}（目标 {_fmt(s.metric_id, s.target, True)}）"
                          for s in misses[:4])
        out.append(f"{head}；{len(misses)} 项体征未达目标：{listed}{'等' if len(misses) > 4 else ''}。")
    else:
        out.append(f"{head}；各项体征均达到目标。")
    sc = b.stations
    target = target_pct(sc.district.target)
    below = len(sc.below)
    text = (f"{when}有应结案件的 {sc.stations_with_value} 个联勤联动工作站中 {sc.meeting_target} 个达到 {target}，"
            f"{below} 个站点低于{target}")
    if below:
        worst = sc.below.iloc[0]
        text += f"，最低为{worst['name']} {F.pct(worst['value'])}"
    out.append(f"{text}；全部站点合计结案率 {F.pct(sc.district.value)}。")
    u = b.urgent
    out.append(f"紧急案件 {F.num(u.arrival.denominator)} 件：15分钟到场率 {F.pct(u.arrival.value)}"
               f"（目标 {target_pct(u.arrival.target)}，{u.arrival_breaches} 件超时），1小时初步处置率 "
               f"{F.pct(u.result.value)}（目标 {target_pct(u.result.target)}，{u.result_breaches} 件超时）。")
    for r in b.rankings:
        bottoms = r.bottoms()
        if len(bottoms):
            names = "、".join(f"{n}（{peer_label(g)}）" for n, g in zip(bottoms["name"], bottoms["peer_group"],
                                                                      strict=True))
            out.append(f"{LEVEL_ZH[r.level]}{COMPOSITE[r.measure]}末位：{names}。")
    hot = b.hotspots
    if len(hot):
        top = hot.iloc[0]
        out.append(f"顽症（{b.hotline_name}，{HX.HOT_WITHIN_DAYS}天内同一地点同类诉求≥{HX.HOT_MIN_COUNT}次）"
                   f"{len(hot)} 处，"
                   f"最多为{top['place_name']}·{top['category']} {int(top['max_in_window'])} 次。")
    else:
        out.append(f"{when}无顽症（{b.hotline_name}，{HX.HOT_WITHIN_DAYS}天内同一地点同类诉求≥{HX.HOT_MIN_COUNT}次）。")
    return tuple(out)


def target_pct(x: float | None) -> str:
    """A target as a rule states it: 85%, 97.5%."""
    return "—" if x is None else f"{100 * x:.{0 if round(100 * x, 6).is_integer() else 1}f}%"


def score_text(x: float | None) -> str:
    """A CityScore as the wall shows it (1.00 = on target)."""
    return "—" if x is None else f"{x:.2f}"


def _fmt(metric_id: str, value: float | None, target: bool = False) -> str:
    ind = metrics.BY_ID[metric_id]
    if ind.kind != "ratio":
        return F.num(value)
    return target_pct(value) if target else F.pct(value)
