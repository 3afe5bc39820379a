"""Big-screen callbacks: one refresh for the panels, one for the map, and clientside clock,
rotation, mode switch, drill and size unit.

Refresh rules: the tick interval is disabled while a refresh runs (no pile-up); each panel's output
is fingerprinted and sent only when it changed (``no_update`` otherwise); a panel whose read fails
keeps what it shows and the header shows a small warning.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dash
from dash import ClientsideFunction, Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from dashboard.components import markup
from dashboard.i18n import t, t_or
from dashboard.pages.screen_ids import ScreenIds as S
from dashboard.screen import model, panels, urgent
from dashboard.screen.config import ScreenConfig
from metrics import feed

log = logging.getLogger(__name__)

# (output id, property) of every panel the refresh fills, in callback output order.
PANEL_OUTPUTS: tuple[tuple[str, str], ...] = (
    (S.FRESHNESS, "children"),
    (S.VITALS, "children"),
    (S.STATIONS, "children"),
    (S.STATIONS_SUMMARY, "children"),
    (S.RANKING, "children"),
    (S.FEED, "children"),
    (S.URGENT, "children"),
    (S.HOURLY, "children"),
    (S.BACKLOG, "children"),
    (S.HOTLINE, "children"),
    (S.HOTLINE_KPIS, "children"),
    (S.WATER, "children"),
    (S.DUTY, "children"),
)


def _plain(obj: Any) -> Any:
    to_json = getattr(obj, "to_plotly_json", None)  # Dash components
    if callable(to_json):
        return to_json()
    item = getattr(obj, "item", None)  # numpy scalars
    return item() if callable(item) else str(obj)


def fingerprint(value: Any) -> str:
    # A plain json.dumps: plotly's encoder re-parses its output to clean NaNs, which made hashing
    # the ~90 KB of panels a large share of a refresh; a hash only needs a stable serialisation.
    raw = json.dumps(value, default=_plain, sort_keys=True, ensure_ascii=False)
    return hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()


def build_panels(cfg: ScreenConfig) -> tuple[dict[str, Any], list[str]]:
    """Every panel's new content keyed by output id, and the ids whose read failed."""
    out, failed, _ = _build(cfg)
    return out, failed


def _build(cfg: ScreenConfig) -> tuple[dict[str, Any], list[str], dict[str, str]]:
    """``build_panels`` and the fingerprints already known: of the panels drawn once per day or hour."""
    at = model.now(cfg)
    lang = cfg.lang
    out: dict[str, Any] = {}
    failed: list[str] = []
    known: dict[str, str] = {}

    def run(ids: tuple[str, ...], fn: Callable[[], tuple[Any, ...]]) -> None:
        try:
            values = fn()
        except model.NotAvailable:
            note = panels.empty_note(t("scr.no_metrics", lang))
            for i in ids:
                out[i] = [note]
            return
        except Exception:  # a panel never breaks the screen: keep the last data, warn
            log.exception("screen panel %s failed", ids)
            failed.extend(ids)
            return
        out.update(zip(ids, values, strict=True))

    Drawn = tuple[tuple[Any, ...], tuple[str, ...]]  # panels and their fingerprints

    def keep(ids: tuple[str, ...], fn: Callable[[], tuple[Any, ...]],
             kept: Callable[[Callable[[], Drawn]], Drawn]) -> None:
        """Panels drawn and fingerprinted once per ``kept`` (a day's or hour's view, a live stretch)."""
        def draw() -> Drawn:
            values = fn()
            return values, tuple(fingerprint(v) for v in values)

        def get() -> tuple[Any, ...]:
            values, fps = kept(draw)
            known.update(zip(ids, fps, strict=True))
            return values
        run(ids, get)

    def kept(ids: tuple[str, ...], name: str, bucket: str, fn: Callable[[], tuple[Any, ...]]) -> None:
        keep(ids, fn, lambda draw: model.drawn(name, bucket, cfg, draw))

    run((S.FRESHNESS,), lambda: (panels.freshness(model.freshness(cfg, at), lang, model.data_ended()),))
    day, hour = model.day_bucket(at), model.hour_bucket(at)
    kept((S.VITALS,), "vitals", day, lambda: (panels.vitals(model.vitals(cfg, at), lang),))

    def stations() -> tuple[Any, ...]:
        view = model.stations(cfg, at)
        return panels.stations_bars(view, lang), panels.stations_summary(view, lang)

    kept((S.STATIONS, S.STATIONS_SUMMARY), "stations", day, stations)
    kept((S.RANKING,), "ranking", day, lambda: (panels.ranking(model.ranking(cfg, at), lang),))
    run((S.FEED,), lambda: (panels.feed(model.live_feed(cfg, at), lang),))
    run((S.URGENT,), lambda: (urgent.panel(urgent.view(cfg, at), cfg),))
    def hourly(ids: tuple[str, ...], source: str) -> None:
        keep(ids, lambda: (panels.hourly_bars(model.hourly(cfg, at, source), lang),),
             lambda draw: model.live(f"hourly.{source}", cfg, at, lambda r: feed.hourly_changes(r, source), draw))

    hourly((S.HOURLY,), "cases")

    def backlog() -> tuple[Any, ...]:
        b, instant = model.backlog(cfg, at), model.data_instant(at)
        return (panels.backlog(b, lang, at=instant),
                panels.backlog(b, lang, ("hotline_open", "hotline_overdue"), at=instant))

    run((S.BACKLOG, S.HOTLINE_KPIS), backlog)
    hourly((S.HOTLINE,), "hotline")
    kept((S.WATER,), "water", hour, lambda: (panels.water_bars(model.water(cfg, at), lang),))
    run((S.DUTY,), lambda: (panels.duty(model.duty(cfg, at), lang),))
    return out, failed, known


def refresh(cfg_data: dict[str, Any] | None, previous: dict[str, str] | None) -> tuple[Any, ...]:
    """All panel outputs (``no_update`` where unchanged or failed), the warning, fingerprints, stamp."""
    cfg = ScreenConfig.from_store(cfg_data)
    previous = dict(previous or {})
    try:
        content, failed, known = _build(cfg)
    except Exception:  # the warehouse is missing or the snapshot unreadable: keep everything
        log.exception("screen refresh failed")
        content, failed, known = {}, [i for i, _ in PANEL_OUTPUTS], {}
    outputs: list[Any] = []
    fps = dict(previous)
    for id_, _prop in PANEL_OUTPUTS:
        if id_ not in content:
            outputs.append(no_update)
            continue
        fp = known.get(id_) or fingerprint(content[id_])
        outputs.append(no_update if previous.get(id_) == fp else content[id_])
        fps[id_] = fp
    warning = t("scr.refresh_failed", cfg.lang) if failed else ""
    warning_out = no_update if previous.get("_warning") == warning else warning
    fps["_warning"] = warning
    changed = any(o is not no_update for o in outputs)
    return (*outputs, warning_out, fps, int(time.time() * 1000) if changed else no_update)


def map_refresh(scope: str | None, cfg_data: dict[str, Any] | None,
                previous: dict[str, str] | None) -> tuple[Any, ...]:
    """Units layer, markers, legend, scope title, back button, parent and (on a new scope) bounds."""
    cfg = ScreenConfig.from_store(cfg_data)
    previous = dict(previous or {})
    try:
        view = model.map_view(cfg, model.now(cfg), scope)
    except Exception:
        log.exception("screen map failed")
        return (no_update,) * 8 + (previous,)
    for f in view.units["features"]:
        f["properties"]["tooltip"] = panels.unit_tooltip(f["properties"], cfg.lang)
    for f in view.markers["features"]:
        p = f["properties"]
        label = t(f"feed.{p['kind']}", cfg.lang)
        title = t_or(f"sensor.{p['title']}", p["title"], cfg.lang) if p["kind"] == "alarm" else p["title"]
        p["tooltip"] = markup.tooltip(label, title, sep="：")
        del p["title"]  # in the tooltip already; up to 400 markers are sent with every change
    parts = {
        "units": view.units,
        "markers": view.markers,
        "legend": panels.legend(view, view.indicator, cfg.lang),
        "title": view.scope_name,
        "labels": view.labels,
    }
    out = []
    fps = dict(previous)
    for key, value in parts.items():
        fp = fingerprint(value)
        out.append(no_update if previous.get(key) == fp else value)
        fps[key] = fp
    new_scope = previous.get("_scope") != view.scope
    fps["_scope"] = view.scope
    fps["_asked"] = scope or ""
    bounds = ({"bounds": view.bounds, "transition": "fitBounds", "options": {"padding": [12, 12], "animate": False}}
              if new_scope and view.bounds else no_update)
    back = {"display": "block"} if view.parent else {"display": "none"}
    return (*out, back, view.parent, bounds, fps)


@dataclass(frozen=True)
class FirstPaint:
    """What the layout draws before any callback: panel contents, map layers and their fingerprints."""

    panels: dict[str, Any]
    warning: str
    fingerprints: dict[str, str]
    map: dict[str, Any]
    map_fingerprints: dict[str, str]


MAP_PARTS = ("units", "markers", "legend", "title", "labels", "back", "parent", "viewport")


def first_paint(cfg_data: dict[str, Any]) -> FirstPaint:
    """The first refresh and map, computed while the page layout is built (server-side first paint).

    The page arrives with data instead of waiting for a second round-trip, and the fingerprints let
    the first tick send only what changed since. A failed read leaves the panel empty (the next tick
    retries) and the header shows the usual warning.
    """
    out = refresh(cfg_data, {})
    n = len(PANEL_OUTPUTS)
    panels_ = {i: v for (i, _), v in zip(PANEL_OUTPUTS, out[:n], strict=True) if v is not no_update}
    fps = out[n + 1] if isinstance(out[n + 1], dict) else {}
    mp = map_refresh(None, cfg_data, {})
    parts = {k: v for k, v in zip(MAP_PARTS, mp[:-1], strict=True) if v is not no_update}
    mfps = mp[-1] if isinstance(mp[-1], dict) else {}
    warning = out[n] if isinstance(out[n], str) else ""
    return FirstPaint(panels_, warning, fps, parts, mfps)


def warm() -> None:
    """Fill this process's per-snapshot caches for the default screen in both languages (run by the
    warm-up thread after a load, at start and at midnight), so the first viewer gets a warm screen."""
    from dashboard import data
    from dashboard.screen.config import parse

    for lang in ("zh", "en"):
        store = parse({"lang": lang}, data.settings()).to_store()
        first_paint(store)


def register(app: dash.Dash) -> None:
    from dashboard import data

    data.warehouse(app.server).add_warmer(warm)

    @app.callback(
        *[Output(i, p) for i, p in PANEL_OUTPUTS],
        Output(S.WARNING, "children"),
        Output(S.FINGERPRINTS, "data"),
        Output(S.REFRESHED, "data"),
        Input(S.TICK, "n_intervals"),
        State(S.CONFIG, "data"),
        State(S.FINGERPRINTS, "data"),
        running=[(Output(S.TICK, "disabled"), True, False)],
        prevent_initial_call=True,  # the layout already holds the first data (see first_paint)
    )
    def _refresh(_n: int | None, cfg: dict[str, Any], fps: dict[str, str]) -> tuple[Any, ...]:
        return refresh(cfg, fps)

    @app.callback(
        Output(S.MAP_UNITS, "data"),
        Output(S.MAP_MARKERS, "data"),
        Output(S.MAP_LEGEND, "children"),
        Output(S.MAP_TITLE, "children"),
        Output(S.MAP_LABELS, "data"),
        Output(S.MAP_BACK, "style"),
        Output(S.MAP_PARENT, "data"),
        Output(S.MAP, "viewport"),
        Output(S.MAP_FINGERPRINTS, "data"),
        Input(S.MAP_SCOPE, "data"),
        Input(S.REFRESHED, "data"),
        State(S.CONFIG, "data"),
        State(S.MAP_FINGERPRINTS, "data"),
        prevent_initial_call=True,
    )
    def _map(scope: str | None, _stamp: int | None, cfg: dict[str, Any], fps: dict[str, str]) -> tuple[Any, ...]:
        # Dash fires this once when the page's layout arrives although the layout already holds the map
        # (first_paint): same scope, no refresh since, nothing to do.
        trig = [t["prop_id"] for t in dash.callback_context.triggered]
        if trig == [f"{S.MAP_SCOPE}.data"] and (fps or {}).get("_asked", "") == (scope or ""):
            raise PreventUpdate
        return map_refresh(scope, cfg, fps)

    ns = "cityVitals"
    app.clientside_callback(ClientsideFunction(ns, "fitOnce"), Output(S.MAP, "viewport", allow_duplicate=True),
                            Input(S.MAP_BOUNDS, "data"), prevent_initial_call="initial_duplicate")
    app.clientside_callback(ClientsideFunction(ns, "clock"), Output(S.CLOCK, "children"),
                            Input(S.CLOCK_TICK, "n_intervals"), State(S.CONFIG, "data"))
    app.clientside_callback(
        ClientsideFunction(ns, "rotate"),
        Output(S.ROOT, "className"), Output(S.VIEW_LABEL, "children"), Output(S.MODE_LABEL, "children"),
        Input(S.ROTATION_TICK, "n_intervals"), Input(S.MODE_STORE, "data"), State(S.CONFIG, "data"),
    )
    app.clientside_callback(ClientsideFunction(ns, "toggleMode"), Output(S.MODE_STORE, "data"),
                            Input(S.MODE, "n_clicks"), State(S.MODE_STORE, "data"), prevent_initial_call=True)
    app.clientside_callback(
        ClientsideFunction(ns, "drill"), Output(S.MAP_SCOPE, "data"),
        Input(S.MAP_UNITS, "clickData"), Input(S.MAP_BACK, "n_clicks"), Input(S.MAP_RETURN_TICK, "n_intervals"),
        State(S.MAP_SCOPE, "data"), State(S.MAP_PARENT, "data"), State(S.CONFIG, "data"), prevent_initial_call=True,
    )
    app.clientside_callback(ClientsideFunction(ns, "armReturn"), Output(S.MAP_RETURN_TICK, "disabled"),
                            Input(S.MAP_SCOPE, "data"), State(S.CONFIG, "data"))
