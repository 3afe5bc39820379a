"""大屏 / Command-hall big screen (/screen): the whole jurisdiction on one screen (一屏观全域).

A fixed skeleton of panels, drawn with the first data already in it (``first_paint``: the refresh
and the map computed while the layout is built, so the first paint needs no second round-trip);
``dashboard/callbacks/screen.py`` updates them on every refresh tick. Views (overview, stations,
hotline, sensors, emergency) only re-arrange the panels with
CSS, so rotating between them costs no request. See ``dashboard/screen/config.py`` for URL options.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_leaflet as dl
from dash import dcc, html

from dashboard import data
from dashboard.callbacks.screen import FirstPaint, first_paint
from dashboard.i18n import t
from dashboard.pages.screen_ids import ScreenIds as S
from dashboard.screen.config import MODES, VIEWS, ScreenConfig, parse

dash.register_page(__name__, path="/screen", order=5, nav_key="nav.screen", title="城运体征 · 大屏")

def _chart(id_: str, first: FirstPaint) -> html.Div:
    """A box the refresh fills with HTML bars (see ``dashboard/screen/panels.py``)."""
    return html.Div(first.panels.get(id_), id=id_, className="scr-chart")


def _panel(name: str, title: str, *body: Any) -> html.Section:
    return html.Section([html.H2(title, className="scr-panel-title"), html.Div(list(body), className="scr-panel-body")],
                        className=f"scr-panel scr-p-{name}", id=f"scr-panel-{name}")


def _map(cfg: ScreenConfig, first: FirstPaint) -> dl.MapContainer:
    layers: list[Any] = []
    if cfg.tile_url:
        layers.append(dl.TileLayer(url=cfg.tile_url, attribution=cfg.tile_attribution or None))
    layers += [
        dl.GeoJSON(data=first.map.get("units"), id=S.MAP_UNITS, style={"variable": "cityVitals.unitStyle"},
                   hoverStyle={"variable": "cityVitals.unitHover"}),
        # unit names, drawn as DOM text (assets/screen.js unitLabel: textContent, never HTML)
        dl.GeoJSON(data=first.map.get("labels"), id=S.MAP_LABELS, pointToLayer={"variable": "cityVitals.unitLabel"}),
        dl.GeoJSON(data=first.map.get("markers"), id=S.MAP_MARKERS, cluster=True, zoomToBoundsOnClick=True,
                   pointToLayer={"variable": "cityVitals.markerPoint"},
                   superClusterOptions={"radius": 48, "maxZoom": 16}),
    ]
    bounds = (first.map.get("viewport") or {}).get("bounds")
    # Fitted to the jurisdiction from the start (no jump from a default centre once data arrives).
    # Centred on the jurisdiction; the clientside ``fitOnce`` then fits its bounds (S.MAP_BOUNDS) once the
    # grid has sized the map (Leaflet's own ``bounds`` at creation fits a zero-sized box: zoomed far out).
    place: dict[str, Any] = {"center": [31.15, 121.12], "zoom": 10}
    if bounds:
        (s, w), (n, e) = bounds
        place["center"] = [(s + n) / 2, (w + e) / 2]
    return dl.MapContainer(layers, id=S.MAP, **place, zoomControl=False,
                           attributionControl=bool(cfg.tile_url), zoomSnap=0.25, keyboard=False,
                           className="scr-leaflet", style={"height": "100%", "width": "100%"})


def layout(**query: Any) -> html.Div:
    cfg = parse(query, data.settings())
    lang = cfg.lang
    store = cfg.to_store()
    first = first_paint(store)

    def box(id_: str, cls: str) -> html.Div:
        return html.Div(first.panels.get(id_), id=id_, className=cls)

    labels = {"view": {v: t(f"scr.view.{v}", lang) for v in VIEWS},
              "mode": {m: t(f"scr.mode.{m}", lang) for m in MODES}}
    header = html.Header([
        html.Div([html.Div(data.site_name(lang), className="scr-site", id=S.TITLE),
                  html.Div(t("scr.title", lang), className="scr-subtitle")], className="scr-brand"),
        html.Div([html.Span(id=S.VIEW_LABEL, className="scr-view"),
                  html.Span(t(f"scr.mode.{cfg.mode}", lang), id=S.MODE_LABEL, className="scr-mode-badge")],
                 className="scr-viewbox"),
        box(S.FRESHNESS, "scr-freshness"),
        html.Div(first.warning, id=S.WARNING, className="scr-warning", role="status"),
        html.Button(t("scr.mode.toggle", lang), id=S.MODE, className="scr-mode-toggle", n_clicks=0),
        html.Div(id=S.CLOCK, className="scr-clock"),
    ], className="scr-header")
    map_panel = html.Section([
        html.H2([html.Span(t("scr.map", lang)),
                 html.Span(first.map.get("title"), id=S.MAP_TITLE, className="scr-map-scope")],
                className="scr-panel-title"),
        html.Div([
            _map(cfg, first),
            html.Div(first.map.get("legend"), id=S.MAP_LEGEND, className="scr-legend"),
            html.Button("↑ " + t("scr.map.back", lang), id=S.MAP_BACK, className="scr-map-back", n_clicks=0,
                        style=first.map.get("back", {"display": "none"})),
        ], className="scr-panel-body scr-map-body"),
    ], className="scr-panel scr-p-map", id="scr-panel-map")
    panels = [
        _panel("vitals", t("scr.vitals", lang), box(S.VITALS, "scr-vitals")),
        map_panel,
        _panel("stations", t("scr.stations", lang), box(S.STATIONS_SUMMARY, "scr-stations-summary"),
               html.Div(_chart(S.STATIONS, first), className="scr-graph-box")),
        _panel("ranking", t("scr.ranking", lang), box(S.RANKING, "scr-ranking")),
        _panel("feed", t("scr.feed", lang), box(S.URGENT, "scr-urgent"), box(S.FEED, "scr-feed")),
        _panel("hourly", t("scr.hourly", lang), html.Div(_chart(S.HOURLY, first), className="scr-graph-box")),
        _panel("backlog", t("scr.backlog", lang), box(S.BACKLOG, "scr-kpis")),
        _panel("hotline", t("scr.hotline", lang, name=data.hotline_name(lang)),
               box(S.HOTLINE_KPIS, "scr-kpis is-compact"),
               html.Div(_chart(S.HOTLINE, first), className="scr-graph-box")),
        _panel("water", t("scr.water", lang), html.Div(_chart(S.WATER, first), className="scr-graph-box")),
        _panel("duty", t("scr.duty", lang), box(S.DUTY, "scr-duty-box")),
    ]
    stores = [
        dcc.Store(id=S.CONFIG, data={**store, "labels": labels}),
        dcc.Store(id=S.FINGERPRINTS, data=first.fingerprints),
        dcc.Store(id=S.MAP_FINGERPRINTS, data=first.map_fingerprints),
        dcc.Store(id=S.MAP_SCOPE, data=cfg.unit),
        dcc.Store(id=S.MAP_PARENT, data=first.map.get("parent")),
        dcc.Store(id=S.MAP_BOUNDS, data=(first.map.get("viewport") or {}).get("bounds")),
        dcc.Store(id=S.REFRESHED, data=0),
        dcc.Store(id=S.MODE_STORE, data=cfg.mode),
        dcc.Interval(id=S.TICK, interval=cfg.refresh_seconds * 1000),
        dcc.Interval(id=S.CLOCK_TICK, interval=1000),
        dcc.Interval(id=S.ROTATION_TICK, interval=max(cfg.dwell_seconds, 1) * 1000,
                     disabled=cfg.dwell_seconds <= 0 or len(cfg.playlist) < 2),
        # armed while the map is drilled (assets/screen.js armReturn); its tick drills back up
        dcc.Interval(id=S.MAP_RETURN_TICK, interval=max(cfg.drill_return_seconds, 1) * 1000, disabled=True),
    ]
    # the new-urgent-case banner and chime, driven by assets/urgent.js (kiosk autoplay: docs/screen.md)
    alert = [html.Div(id=S.URGENT_BANNER, className="scr-urgent-banner", role="alert"),
             html.Audio(id=S.URGENT_SOUND, src=dash.get_asset_url("urgent.wav"), preload="auto")]
    return html.Div(
        [*stores, header, html.Div(panels, className="scr-grid"), *alert],
        id=S.ROOT,
        className=f"cv-screen view-{cfg.playlist[0]} mode-{cfg.mode}" + (" is-kiosk" if cfg.kiosk else ""),
        style={"--cv-scale": str(cfg.scale)},
        **{"data-lang": lang},
    )
