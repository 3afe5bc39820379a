"""What the big screen shows, gathered per refresh: plain values, no components.

Every read passes the access gate (``scoped`` for queries, ``mask_rows`` for row tables). Indicator
values come from the ``metrics`` indicator API; live counts and rows from ``metrics.feed``,
``metrics.geo`` and ``metrics.status``. Each gatherer raises on failure; the callback decides what
to keep on screen.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

import metrics
from dashboard import access, data
from dashboard.i18n import name_of
from dashboard.screen.config import ScreenConfig
from metrics import feed, geo, status
from metrics.query import Period, Query

STATION_TARGET = 0.85


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    score: float | None
    status: str  # good | warn | bad | none
    delta: float | None  # against the previous period


@dataclass(frozen=True)
class VitalsView:
    overall: float | None
    status: str
    delta: float | None
    dimensions: tuple[Dimension, ...]


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
    target: float = STATION_TARGET


@dataclass(frozen=True)
class RankingView:
    top: tuple[tuple[str, float | None], ...]
    bottom: tuple[tuple[str, float | None], ...]
    level: str


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


def now(cfg: ScreenConfig) -> datetime:
    return data.site_now()


def base_query(cfg: ScreenConfig, at: datetime, unit: str | None = None) -> Query:
    """Today, at the screen's unit (or the given one), through the access gate."""
    return access.scoped(Query(period=Period.containing("day", at.date()), unit=unit or cfg.unit))


def rolling_query(cfg: ScreenConfig, at: datetime, days: int = 30) -> Query:
    """The last ``days`` days (today included): the period indicators and ranks are judged on."""
    return access.scoped(Query(period=Period.custom(at.date() - timedelta(days=days - 1), at.date()), unit=cfg.unit))


# --- header -------------------------------------------------------------------------------------


def freshness(cfg: ScreenConfig, at: datetime) -> tuple[status.Freshness, ...]:
    extents = data.per_snapshot("status.extents", status.source_extents)
    shown = {"cases", "hotline", "readings", "alarms", "staffing"}
    return tuple(f for f in status.freshness(extents, at, data.settings().section("freshness")) if f.key in shown)


# --- indicator API (metrics branch) -------------------------------------------------------------


class NotAvailable(LookupError):
    """The indicator API this panel needs is not installed (shown as a calm note, not a failure)."""


def _api(name: str) -> Any:
    fn = getattr(metrics, name, None)
    if fn is None:
        raise NotAvailable(f"metrics.{name} is not available")
    return fn


def _num(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _get(obj: Any, *names: str) -> Any:
    for n in names:
        if isinstance(obj, dict) and n in obj:
            return obj[n]
        if hasattr(obj, n):
            return getattr(obj, n)
    return None


def vitals(cfg: ScreenConfig, at: datetime) -> VitalsView:
    vs = _api("vital_signs")(data.connection(), rolling_query(cfg, at))
    dims = []
    for d in _get(vs, "dimensions") or ():
        label = _get(d, "name_en" if cfg.lang == "en" else "name_zh", "label", "name", "key") or ""
        dims.append(Dimension(str(_get(d, "key", "code", "name") or label), str(label),
                              _num(_get(d, "score", "value")), str(_get(d, "status") or "none"),
                              _num(_get(d, "delta", "trend", "change"))))
    return VitalsView(_num(_get(vs, "overall", "score")), str(_get(vs, "status") or "none"),
                      _num(_get(vs, "delta", "trend", "change")), tuple(dims))


def stations(cfg: ScreenConfig, at: datetime) -> StationsView:
    df = _api("station_closure")(data.connection(), rolling_query(cfg, at))
    rows = []
    for r in df.to_dict("records"):
        rows.append(StationRow(name_of(r, cfg.lang), _num(r.get("rate", r.get("closure_rate"))),
                               int(r.get("closed", 0) or 0), int(r.get("due", 0) or 0)))
    rated = [r for r in rows if r.rate is not None]
    rows.sort(key=lambda r: (r.rate is None, r.rate if r.rate is not None else 0.0))
    return StationsView(tuple(rows), sum(1 for r in rated if r.rate >= STATION_TARGET), len(rated))


def ranking(cfg: ScreenConfig, at: datetime, level: str = "town") -> RankingView:
    df = _api("ranking")(data.connection(), rolling_query(cfg, at), level=level)
    score_col = next((c for c in ("composite", "score", "value") if c in df.columns), None)
    df = df.sort_values(score_col, ascending=False, na_position="last") if score_col else df
    items = [(name_of(r, cfg.lang), _num(r.get(score_col)) if score_col else None) for r in df.to_dict("records")]
    rated = [i for i in items if i[1] is not None]
    return RankingView(tuple(rated[:5]), tuple(rated[-5:][::-1]) if len(rated) > 5 else (), level)


# --- live reads ---------------------------------------------------------------------------------


def live_feed(cfg: ScreenConfig, at: datetime, limit: int = 16) -> pd.DataFrame:
    return access.mask_rows(feed.live_feed(data.connection(), base_query(cfg, at), at, limit=limit))


def hourly(cfg: ScreenConfig, at: datetime, source: str = "cases") -> pd.DataFrame:
    return feed.hourly_volume(data.connection(), base_query(cfg, at), at, source=source)


def backlog(cfg: ScreenConfig, at: datetime) -> feed.Backlog:
    return feed.backlog(data.connection(), base_query(cfg, at), at)


def water(cfg: ScreenConfig, at: datetime) -> pd.DataFrame:
    return access.mask_rows(feed.water_levels(data.connection(), base_query(cfg, at), at, limit=8))


def duty(cfg: ScreenConfig, at: datetime) -> pd.DataFrame:
    return access.mask_rows(feed.on_duty_by_grid(data.connection(), base_query(cfg, at), at))


# --- map ----------------------------------------------------------------------------------------

# Sequential palette (light → dark red): more open work is worse.
PALETTE = ("#1b3a57", "#2f6690", "#d9a441", "#e0702f", "#c8312a")
NO_VALUE = "#3a4654"


def _breaks(values: list[float]) -> tuple[float, ...]:
    """Four class breaks (quantile-like, integer, strictly increasing) for five colour classes."""
    vals = sorted(v for v in values if v is not None)
    if not vals:
        return (1, 2, 3, 4)
    hi = max(vals[-1], 4)
    qs = [vals[min(len(vals) - 1, int(len(vals) * q))] for q in (0.2, 0.4, 0.6, 0.8)]
    out: list[float] = []
    for q in qs:
        b = max(math.ceil(q), (out[-1] + 1) if out else 1)
        out.append(min(b, hi))
    for i in range(1, 4):
        if out[i] <= out[i - 1]:
            out[i] = out[i - 1] + 1
    return tuple(out)


def _colour(value: float | None, breaks: tuple[float, ...]) -> str:
    if value is None:
        return NO_VALUE
    for i, b in enumerate(breaks):
        if value < b:
            return PALETTE[i]
    return PALETTE[-1]


def _children(con: Any, scope: str) -> pd.DataFrame:
    kids = geo.children_with_shapes(con, scope)
    kids["shape"] = [geo.simplify(json.loads(g)) for g in kids["geojson"]]
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
    unit, kids = _scope_units(scope)
    if unit is None:
        raise LookupError(f"unknown unit {scope}")
    if kids.empty:  # a leaf: show the unit itself
        parent = unit.parent
        kids = _scope_units(parent)[1] if parent else kids
        kids = kids[kids["unit_code"] == scope] if not kids.empty else kids
    level = str(kids["level"].iloc[0]) if not kids.empty else unit.level
    q = base_query(cfg, at, scope)
    counts = feed.counts_by_unit(con, q, level, at).set_index("unit_code")
    values = {code: float(counts.at[code, cfg.indicator]) if code in counts.index else 0.0
              for code in kids["unit_code"]}
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
                "unit_code": code, "name": name, "level": r["level"], "value": values[code],
                "fill": _colour(values[code], breaks), "drill": bool(r["has_children"]),
                "approximate": bool(r["approximate"]), **figures,
            },
        })
    mk = access.mask_rows(feed.markers(con, q, at))
    if target_datum != datum:
        mk = geo.convert_points(mk, datum, target_datum)
    markers = geo.point_features(mk, ("kind", "item_id", "title", "severity"))
    b = geo.bounds(con, list(kids["unit_code"])) or geo.bounds(con, [scope])
    if target_datum != datum:
        b = geo.convert_bounds(b, datum, target_datum)
    return MapView(scope=scope, scope_name=name_of({"name_zh": unit.name_zh, "name_en": unit.name_en}, cfg.lang),
                   level=level, parent=unit.parent if unit.parent and cfg.unit != scope else None,
                   units=geo.feature_collection(feats), markers=markers, bounds=b, breaks=breaks,
                   colors=PALETTE, approximate=bool(kids["approximate"].any()) if not kids.empty else False)


MAP_FIGURES = ("open_cases", "overdue_cases", "open_urgent", "active_alarms", "on_duty")
