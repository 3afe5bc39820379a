"""What the big screen shows, gathered per refresh: plain values, no components.

Every read passes the access gate (``scoped`` for queries, ``mask_rows`` for row tables). Indicator
values come from the ``metrics`` indicator API; live counts and rows from ``metrics.feed``,
``metrics.geo`` and ``metrics.status``. Each gatherer raises on failure; the callback decides what
to keep on screen.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from shapely.geometry import shape  # type: ignore[import-untyped]

import metrics
from dashboard import access, data
from dashboard.i18n import name_of, t, t_or
from dashboard.screen.config import ScreenConfig
from etl.schema import LEVELS
from metrics import feed, geo, status
from metrics import sensors_explore as SX
from metrics.query import Period, Query

T = TypeVar("T")


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    score: float | None
    status: str  # good | warn | bad | none
    delta: float | None  # against the previous period
    kind: str = "score"  # a CityScore (1.0 = on target), or "rate": a fraction shown in % (the 12345 and IoT tiles)


@dataclass(frozen=True)
class Watch:
    """A vital sign below its target (score < 1), shown on the wall under the dimension tiles."""

    metric_id: str
    label: str
    value: float | None  # a rate as a fraction (every scored sign is a rate)
    target: float | None
    status: str  # good | warn | bad | none


WATCH_MAX = 6  # what fits under the tiles at 1080p (the vital signs take two rows of the grid)


@dataclass(frozen=True)
class VitalsView:
    overall: float | None
    status: str
    delta: float | None
    dimensions: tuple[Dimension, ...]
    watch: tuple[Watch, ...] = ()  # the signs furthest below target, worst first
    missed: int = 0  # signs below target (metric score < 1), named beside the CityScore ...
    scored: int = 0  # ... out of the signs that have a value
    window: Period | None = None  # the days the signs are judged on (the panel names them)


@dataclass(frozen=True)
class StationRow:
    name: str
    rate: float | None
    closed: int
    due: int


@dataclass(frozen=True)
class StationsView:
    rows: tuple[StationRow, ...]  # worst first
    meeting: int
    rated: int
    target: float | None  # the indicator's declared target with the site's override (None: no line)
    window: Period | None = None  # the days judged (the panel says which: /stations shows the same for them)


@dataclass(frozen=True)
class RankItem:
    """One ranked unit as /rankings shows it: its place within its peer group (2 / 3 街道)."""

    name: str
    score: float | None
    place: int
    of: int  # units ranked in its peer group
    group: str  # the peer group's code (街道, 镇 ...)
    bottom: bool  # 末位 on /rankings


@dataclass(frozen=True)
class RankingView:
    top: tuple[RankItem, ...]  # best relative place first (first of its group, then ...)
    bottom: tuple[RankItem, ...]  # the 末位 units /rankings marks, worst relative place first
    level: str
    total: int = 0
    measure: str = "region_composite"  # or hotline_closure_rate (×100) where no grid cases are loaded
    window: Period | None = None
    groups: int = 1  # peer groups ranked (one list when 1)


@dataclass(frozen=True)
class MapView:
    scope: str
    scope_name: str
    level: str
    parent: str | None
    units: dict[str, Any]
    markers: dict[str, Any]
    bounds: list[list[float]] | None
    breaks: tuple[float, ...]
    colors: tuple[str, ...]
    approximate: bool
    extra: dict[str, Any] = field(default_factory=dict)
    # the drawn level's name, and those of the levels between the scope and it that have no polygons
    # (the map says it skipped them)
    level_label: str = ""
    skipped: tuple[str, ...] = ()
    indicator: str = "open_cases"  # what colours the units (the screen's, or open orders for a 311-only city)
    labels: dict[str, Any] = field(default_factory=dict)  # unit names as points inside their polygons


# more units than this (a district's 40 grids) and names would cover the map: hover tooltips only
LABEL_MAX = 20


def unit_labels(features: list[dict[str, Any]]) -> dict[str, Any]:
    """A point inside each unit's polygon (shapely's representative point: inside even a concave
    shape, where a centroid may fall outside) carrying its name, for the map's labels."""
    if len(features) > LABEL_MAX:
        return geo.feature_collection([])
    out = []
    for f in features:
        if not f.get("geometry"):
            continue
        p = shape(f["geometry"]).representative_point()
        out.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(p.x, 5), round(p.y, 5)]},
                    "properties": {"label": f["properties"]["name"], "unit_code": f["properties"]["unit_code"]}})
    return geo.feature_collection(out)


def now(cfg: ScreenConfig) -> datetime:
    """The wall's 'now': the site clock, or where historical data ends (``data.view_now``)."""
    return data.view_now()


def data_ended() -> datetime | None:
    """Where historical data ends (None while it is live): the header says so."""
    return data.data_ended()


def base_query(cfg: ScreenConfig, at: datetime, unit: str | None = None) -> Query:
    """Today, at the screen's unit (or the given one), through the access gate."""
    return access.scoped(Query(period=Period.containing("day", at.date()), unit=unit or cfg.unit))


WINDOW_DAYS = 30  # the wall judges signs, stations and ranks on its last 30 days (today included)


def window(at: datetime, days: int = WINDOW_DAYS) -> Period:
    """The wall's judged window: the last ``days`` days, today included. A page shows the same numbers
    for it as ``period=custom&start=…&end=…`` (tests/dashboard/test_wall_equals_pages.py), and each
    wall panel names its days, so "31/43 on the wall" and "14/43 this month on /stations" are two
    stated windows, not a contradiction."""
    return Period.custom(at.date() - timedelta(days=days - 1), at.date())


def rolling_query(cfg: ScreenConfig, at: datetime, days: int = WINDOW_DAYS) -> Query:
    """The last ``days`` days (today included): the period indicators and ranks are judged on."""
    return access.scoped(Query(period=window(at, days), unit=cfg.unit))


def data_instant(at: datetime) -> datetime:
    """The instant stock figures are taken at: the data's recorded 'now', never past the wall's clock
    (the catalog's as-of rule, as /cases takes it: ``cases_view.as_of``)."""
    recorded = data.data_now()
    return min(at, recorded) if recorded else at


# --- header -------------------------------------------------------------------------------------


def freshness(cfg: ScreenConfig, at: datetime) -> tuple[status.Freshness, ...]:
    extents = data.per_snapshot("status.extents", status.source_extents)
    shown = {"cases", "hotline", "readings", "alarms"}
    return tuple(f for f in status.freshness(extents, at, data.settings().section("freshness")) if f.key in shown)


# --- indicator API (metrics branch) -------------------------------------------------------------


class NotAvailable(LookupError):
    """The indicator API this panel needs is not installed (shown as a calm note, not a failure)."""


def _num(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _cached(name: str, bucket: str, cfg: ScreenConfig, compute: Any) -> Any:
    """Judged-over-30-days values change only with a new snapshot or a new day (or hour): compute them
    once per snapshot, bucket, scope and language in each worker instead of on every refresh."""
    key = f"screen.{name}.{bucket}.{_viewer(cfg, data.site_now().date())}"
    return data.per_snapshot(key, lambda _con: compute())


def _viewer(cfg: ScreenConfig, day: date) -> str:
    """Which viewers may share a kept panel: the unit after the access gate, not the requested one
    (users with different scopes never share), the clearance (panels mask personal data in their rows
    per clearance) and the language."""
    principal = access.current_principal()
    unit = access.scoped(Query(period=Period.containing("day", day), unit=cfg.unit)).unit
    return f"{unit}.{principal.scope}.{principal.clearance}.{cfg.lang}"


LIVE_KEPT = 32  # stretches kept per live panel and snapshot: the current one of each scope and language


def live(name: str, cfg: ScreenConfig, at: datetime, changes: Callable[[feed.DayRows], np.ndarray],
         compute: Callable[[], T], now: datetime | None = None) -> T:
    """A live panel's value over the rows of ``at``'s day at the instant ``now`` (default ``at``),
    computed once per stretch of time in which none of its ``changes`` instants passes
    (``metrics.feed.interval_of``), not once per refresh: ``compute`` must depend on ``now`` only
    through those instants. Per snapshot, day, scope, access, language and screen configuration; the
    instants themselves once per snapshot and day."""
    day = at.date().isoformat()
    instants = data.per_snapshot(f"screen.changes.{name}.{day}", lambda _con: changes(day_rows(at)))
    screen = hashlib.blake2b(repr(cfg).encode(), digest_size=8).hexdigest()
    key = f"{day}.{feed.interval_of(instants, now or at)}.{_viewer(cfg, at.date())}.{screen}"
    return data.per_snapshot_bounded(f"screen.live.{name}", key, lambda _con: compute(), LIVE_KEPT)


def day_bucket(at: datetime) -> str:
    return at.date().isoformat()


def hour_bucket(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H")


def drawn(name: str, bucket: str, cfg: ScreenConfig, draw: Callable[[], T]) -> T:
    """A panel drawn from a view kept per ``bucket`` (``vitals`` … ``water`` below, same bucket): drawn
    (and fingerprinted, dashboard/callbacks/screen.py) once with it, not on every refresh."""
    return _cached(f"drawn.{name}", bucket, cfg, draw)  # type: ignore[no-any-return]


def vitals(cfg: ScreenConfig, at: datetime) -> VitalsView:
    return _cached("vitals", day_bucket(at), cfg, lambda: _vitals(cfg, at))  # type: ignore[no-any-return]


def stations(cfg: ScreenConfig, at: datetime) -> StationsView:
    return _cached("stations", day_bucket(at), cfg, lambda: _stations(cfg, at))  # type: ignore[no-any-return]


def ranking(cfg: ScreenConfig, at: datetime) -> RankingView:
    return _cached("ranking", day_bucket(at), cfg, lambda: _ranking(cfg, at))  # type: ignore[no-any-return]


def water(cfg: ScreenConfig, at: datetime) -> pd.DataFrame:
    """Latest water levels: readings only arrive with a new snapshot; the 6-hour window moves hourly."""
    return _cached("water", hour_bucket(at), cfg, lambda: _water(cfg, at))  # type: ignore[no-any-return]


STATUS_CLASS = {"green": "good", "amber": "warn", "red": "bad"}


def _status(value: Any) -> str:
    return STATUS_CLASS.get(str(value), "none")


def _diff(cur: float | None, prev: float | None) -> float | None:
    return None if cur is None or prev is None else cur - prev


def _vitals(cfg: ScreenConfig, at: datetime) -> VitalsView:
    """CityScore vital signs (1.0 = on target) per dimension, with the trend against the previous period,
    and the signs furthest below target: what pulls the scores down, named on the wall."""
    q = rolling_query(cfg, at)
    vs = metrics.vital_signs(data.connection(), q, overrides=data.metrics_config())
    en = cfg.lang == "en"
    dims = tuple(
        # the wall's tiles are a third of a quarter of the wall: short English names ("City gover…" otherwise)
        Dimension(d.dimension, t_or(f"scr.dim.{d.dimension}", d.name_en, "en") if en else d.dimension,
                  _num(d.score), _status(d.status),
                  _diff(_num(d.score), _num(d.previous_score)))
        for d in vs.dimensions
    )
    below = sorted((s for s in vs.signs if s.score is not None and s.score < 1), key=lambda s: (s.score, s.metric_id))
    watch = tuple(Watch(s.metric_id, s.name_en if en else s.name_zh, _num(s.value), _num(s.target), _status(s.status))
                  for s in below[:WATCH_MAX])
    scored = sum(1 for s in vs.signs if s.score is not None)
    return VitalsView(_num(vs.overall), _status(vs.status), _diff(_num(vs.overall), _num(vs.previous_overall)),
                      dims + _hotline_tile(vs, cfg) + _iot_tile(cfg, at), watch, len(below), scored, q.period)


# The seeds name 12345 and IoT sensing (物联感知) beside the three CityScore dimensions; the wall shows
# each as its headline rate from the metrics layer, for the same window as the dimensions.
HOTLINE_HEADLINE = "hotline_satisfaction_rate"  # 12345 市民满意率: the 12345 measure 民生服务 is judged on


def _hotline_tile(vs: metrics.VitalSigns, cfg: ScreenConfig) -> tuple[Dimension, ...]:
    """12345 市民满意率 as scored among the vital signs (its value, status and trend); none without 12345 data."""
    sign = next((s for s in vs.signs if s.metric_id == HOTLINE_HEADLINE), None)
    if sign is None or data.data_start("hotline") is None:
        return ()
    value = _num(sign.value)
    label = t("scr.dim.12345", cfg.lang, name=data.hotline_short(cfg.lang))
    return (Dimension("12345", label, value, _status(sign.status), _diff(value, _num(sign.previous_value)), "rate"),)


def _iot_tile(cfg: ScreenConfig, at: datetime) -> tuple[Dimension, ...]:
    """物联感知在线率: received / expected reporting intervals of the scope's sensors over the window
    (``metrics.sensor_online``, the /sensors page's definition); against the site's target when it sets one.
    None where no sensors are loaded."""
    df = metrics.sensor_online(data.connection(), rolling_query(cfg, at), by=None)
    if df.empty or int(df["sensors"].sum()) == 0:
        return ()
    value = _num(df["online_rate"].iloc[0])
    target = SX.online_target(data.metrics_config())
    state = "none" if value is None or target is None else ("good" if value >= target else "bad")
    return (Dimension("iot", t("scr.dim.iot", cfg.lang), value, state, None, "rate"),)


def _stations(cfg: ScreenConfig, at: datetime) -> StationsView:
    """Liaison-station closure rate per station (联勤联动事项结案率) against the declared target, worst first:
    ``metrics.station_closure``, the call /stations makes, over the wall's window."""
    q = rolling_query(cfg, at)
    sc = metrics.station_closure(data.connection(), q, previous=False, overrides=data.metrics_config())
    rows = [StationRow(str(r["name"]), _num(r["value"]), int(_num(r["numerator"]) or 0),
                       int(_num(r["denominator"]) or 0)) for r in sc.stations.to_dict("records")]
    rows.sort(key=lambda r: (r.rate is None, r.rate if r.rate is not None else 0.0, r.name))
    return StationsView(tuple(rows), sc.meeting_target, sc.stations_with_value, sc.district.target, q.period)


RANK_BOTTOM = 3  # /rankings' default 末位 count per peer group: the wall marks the same units


def _ranking(cfg: ScreenConfig, at: datetime) -> RankingView:
    """Units one level below the screen's unit ranked as /rankings ranks them (within peer groups, 街道
    against 街道, the same 末位): ``metrics.ranking`` with ``by_peer_group=True`` over the wall's window.
    The best relative places on the left, the 末位 units on the right."""
    con, q = data.connection(), rolling_query(cfg, at)
    level = _child_level(cfg)
    # the composite needs grid cases; a 311-only city ranks its units on the hotline closure rate (in %)
    for measure in ("region_composite", "hotline_closure_rate"):
        df = metrics.ranking(con, level, measure, q, bottom_n=RANK_BOTTOM, by_peer_group=True,  # type: ignore[arg-type]
                             overrides=data.metrics_config())
        df = df[df["rankable"] & df["score"].notna()]
        if measure != "region_composite":
            df = df.assign(score=lambda d: 100 * d["value"])
        if not df.empty:
            break
    items = [RankItem(str(r["name"]), _num(r["score"]), int(r["rank"]), int(r["ranked_in_group"]),
                      str(r["peer_group"]), bool(r["bottom"])) for r in df.to_dict("records")]
    # every group's first, then its second ... (higher score first among equal places); the 末位 from
    # each group's last place up (lower score first)
    top = sorted((i for i in items if not i.bottom), key=lambda i: (i.place, -(i.score or 0.0), i.name))[:5]
    bottom = sorted((i for i in items if i.bottom), key=lambda i: (i.of - i.place, i.score or 0.0, i.name))[:5]
    return RankingView(tuple(top), tuple(bottom), level, len(items), measure, q.period,
                       int(df["peer_group"].nunique()))


def _child_level(cfg: ScreenConfig) -> str:
    """The level one below the screen's unit that the hierarchy uses (a city of council districts
    ranks its districts: it has no 街镇)."""
    h = data.hierarchy()
    u = geo.unit(data.connection(), cfg.unit) if cfg.unit else None
    return h.below(u.level if u else None) or (u.level if u else "town")


# --- live reads ---------------------------------------------------------------------------------


def day_rows(at: datetime) -> feed.DayRows:
    """The day's live rows, read once per snapshot and day (and per process) for every scope and language."""
    return data.per_snapshot(f"screen.day.{at.date().isoformat()}", lambda con: feed.day_rows(con, at.date()))


def live_feed(cfg: ScreenConfig, at: datetime, limit: int = 16) -> pd.DataFrame:
    rows = live(f"feed{limit}", cfg, at, feed.live_feed_changes,
                lambda: access.mask_rows(feed.live_feed(day_rows(at), base_query(cfg, at), at, limit=limit)))
    return feed.with_ages(rows, at)  # a copy: the kept frame is shared


def hourly(cfg: ScreenConfig, at: datetime, source: str = "cases") -> pd.DataFrame:
    typical = _cached(f"typical.{source}", at.date().isoformat(), cfg,
                      lambda: feed.typical_by_hour(data.connection(), base_query(cfg, at), at.date(), source))
    return feed.hourly_volume(day_rows(at), typical, base_query(cfg, at), at, source=source)


BACKLOG_IDS = ("open_backlog", "overdue_backlog", "hotline_backlog")


def backlog(cfg: ScreenConfig, at: datetime) -> feed.Backlog:
    """The stock tiles at the data's instant. 在办 / 超期 cases and 在办 orders are the catalog's
    open_backlog / overdue_backlog / hotline_backlog (registered cases only, as /cases counts them)
    over today, whose as-of instant is the data's 'now': the same figures /cases shows for any period
    that holds it. The wall used to count the day rows against its own clock, cases awaiting
    registration included (9,719 against /cases' 9,712)."""
    instant = data_instant(at)
    q = base_query(cfg, at)
    vals = _cached("backlog", f"{at.date().isoformat()}.{instant.isoformat()}", cfg, lambda: metrics.indicator_values(
        data.connection(), BACKLOG_IDS, q, previous=[], now=data.data_now(), overrides=data.metrics_config()))
    now_live = live("backlog", cfg, at, feed.backlog_changes, lambda: feed.backlog(day_rows(at), q, instant),
                    now=instant)

    def count(k: str) -> int:
        return int(_num(vals[k].value) or 0)

    # urgent cases, active alarms and overdue orders (no catalog figure) from the live rows at that instant
    return replace(now_live, open_cases=count("open_backlog"), overdue_cases=count("overdue_backlog"),
                   open_hotline=count("hotline_backlog"))


def _water(cfg: ScreenConfig, at: datetime) -> pd.DataFrame:
    return access.mask_rows(feed.water_levels(data.connection(), base_query(cfg, at), at, limit=8))


def duty(cfg: ScreenConfig, at: datetime) -> pd.DataFrame:
    return live("duty", cfg, at, feed.duty_changes,
                lambda: access.mask_rows(feed.on_duty_by_grid(day_rows(at), base_query(cfg, at), at)))


# --- map ----------------------------------------------------------------------------------------

# The choropleth colours units by their count per km² (``metrics.geo.per_km2``): raw counts made the big
# towns red for their size alone. Five classes of cividis (Nuñez, Anderton & Renslow 2018, matplotlib's
# "cividis": blue → yellow, designed to read the same with red-green colour blindness and in grey),
# sampled at 0.1 … 0.9 so the lowest class still shows against the wall's dark blue. No green and no red:
# the urgent markers on top stay red against every class.
PALETTE = ("#10336d", "#4f576d", "#7d7c76", "#aea371", "#e4cf52")
NO_VALUE = "#3a4654"


def _nice(x: float) -> float:
    """``x`` rounded up to two significant digits (0.0437 → 0.044, 1234 → 1300): legend-friendly breaks."""
    if x <= 0:
        return 0.0
    step = 10.0 ** (math.floor(math.log10(x)) - 1)
    return float(f"{math.ceil(round(x / step, 9)) * step:.12g}")


def _breaks(values: list[float | None]) -> tuple[float, ...]:
    """Four class breaks (quantile-like, two significant digits, strictly increasing) for five classes;
    a value ``v`` falls in the first class whose break is above it."""
    vals = sorted(v for v in values if v is not None)
    if not vals or vals[-1] <= 0:
        return (1, 2, 3, 4)
    out: list[float] = []
    for q in (0.2, 0.4, 0.6, 0.8):
        b = _nice(vals[min(len(vals) - 1, int(len(vals) * q))])
        if out and b <= out[-1]:
            b = _nice(out[-1] * 1.01 + 1e-9)  # the next two-digit step above the previous break
        out.append(b if b > 0 else _nice(vals[-1]) / 4 * (len(out) + 1))
    return tuple(out)


def _colour(value: float | None, breaks: tuple[float, ...]) -> str:
    if value is None:
        return NO_VALUE
    for i, b in enumerate(breaks):
        if value < b:
            return PALETTE[i]
    return PALETTE[-1]


def _children(con: Any, scope: str | None) -> pd.DataFrame:
    """The scope's children with polygons, or the first generation below that has them; for no scope,
    the top units (a 1-level hierarchy's)."""
    if scope is None:
        kids = geo.top_units_with_shapes(con)
    else:
        kids = geo.children_with_shapes(con, scope)
        if kids.empty:
            kids = geo.first_shaped_below(con, scope)
    full = [json.loads(g) for g in kids["geojson"]]
    kids["area_km2"] = [geo.area_km2(g) for g in full]  # of the stored polygon, before simplifying for display
    kids["shape"] = [geo.simplify(g) for g in full]
    return kids.drop(columns=["geojson"])


def _scope_units(scope: str) -> tuple[geo.Unit | None, pd.DataFrame]:
    """The unit and its children with simplified shapes (cached per snapshot: only a load changes them)."""
    unit = geo.unit(data.connection(), scope)
    return unit, data.per_snapshot(f"geo.children.{scope}", lambda c: _children(c, scope))


def map_view(cfg: ScreenConfig, at: datetime, scope: str | None) -> MapView:
    con = data.connection()
    if not scope:
        root = data.per_snapshot("geo.root", geo.root_unit)
        if root is None:
            raise LookupError("no units loaded")
        scope = cfg.unit or root.code
    scope = base_query(cfg, at, scope).unit or scope  # the access gate: a scoped wall maps only its own units
    unit, kids = _scope_units(scope)
    if unit is None:
        raise LookupError(f"unknown unit {scope}")
    whole = False  # a 1-level hierarchy: its top units side by side, the whole site's figures
    if kids.empty and unit.parent is None and cfg.unit != scope:
        kids = data.per_snapshot("geo.children.", lambda c: _children(c, None))
        whole = len(kids) > 1
    elif kids.empty:  # a leaf: show the unit itself
        parent = unit.parent
        kids = _scope_units(parent)[1] if parent else kids
        kids = kids[kids["unit_code"] == scope] if not kids.empty else kids
    level = str(kids["level"].iloc[0]) if not kids.empty else unit.level
    rank = {slot: i for i, slot in enumerate(LEVELS)}
    skipped = tuple(level_text(slot, cfg.lang) for slot in data.hierarchy().slots
                    if rank.get(unit.level, -1) < rank[slot] < rank.get(level, -1))
    q = base_query(cfg, at, None if whole else scope)
    counts = feed.counts_by_unit(day_rows(at), q, level, at).set_index("unit_code")
    indicator = map_indicator(cfg)
    raw = {code: float(counts.at[code, indicator]) if code in counts.index else 0.0 for code in kids["unit_code"]}
    values = geo.per_km2(raw, dict(zip(kids["unit_code"], kids["area_km2"], strict=True)))
    breaks = _breaks(list(values.values()))
    feats = []
    datum = cfg.site_datum
    target_datum = cfg.tile_datum if cfg.tile_url else datum
    for r in kids.to_dict("records"):
        shape = r["shape"]
        if target_datum != datum:
            shape = geo.convert_geometry(shape, datum, target_datum)
        code = r["unit_code"]
        c = counts.loc[code] if code in counts.index else None
        name = name_of(r, cfg.lang)
        figures = {k: int(c[k]) if c is not None else 0 for k in MAP_FIGURES}
        feats.append({
            "type": "Feature",
            "geometry": shape,
            "properties": {
                "unit_code": code, "name": name, "level": r["level"], "count": raw[code],
                "value": None if values[code] is None else round(values[code], 4),  # per km²
                "area_km2": round(float(r["area_km2"]), 3),
                "fill": _colour(values[code], breaks), "drill": bool(r["has_children"]),
                "approximate": bool(r["approximate"]), **figures,
            },
        })
    mk = access.mask_rows(feed.markers(day_rows(at), q, at, limit=MAX_MARKERS))
    if target_datum != datum:
        mk = geo.convert_points(mk, datum, target_datum)
    markers = geo.point_features(mk, ("kind", "title", "severity"))
    b = geo.bounds(con, list(kids["unit_code"])) or geo.bounds(con, [scope])
    if target_datum != datum:
        b = geo.convert_bounds(b, datum, target_datum)
    scope_name = data.site_name(cfg.lang) if whole else name_of({"name_zh": unit.name_zh, "name_en": unit.name_en},
                                                                 cfg.lang)
    return MapView(scope=scope, scope_name=scope_name,
                   level=level, parent=unit.parent if unit.parent and cfg.unit != scope else None,
                   units=geo.feature_collection(feats), markers=markers, bounds=b, breaks=breaks,
                   colors=PALETTE, approximate=bool(kids["approximate"].any()) if not kids.empty else False,
                   level_label=level_text(level, cfg.lang), skipped=skipped, indicator=indicator,
                   labels=unit_labels(feats))


def map_indicator(cfg: ScreenConfig) -> str:
    """The screen's map indicator; the default (open cases) becomes open hotline orders where no grid
    cases are loaded but hotline orders are (a 311-only city's map would be one colour of zeros)."""
    if cfg.indicator == "open_cases" and data.data_start("cases") is None and data.data_start("hotline"):
        return "open_hotline"
    return cfg.indicator


def level_text(slot: str, lang: str) -> str:
    """A level's name on the wall: the one the data declares, else the standard (plural) name."""
    return data.level_name(slot, lang) or t(f"level.{slot}", lang)


MAX_MARKERS = 400  # newest first; more is noise on a wall and weight on every refresh
MAP_FIGURES = ("open_cases", "overdue_cases", "open_urgent", "active_alarms", "on_duty", "open_hotline")
