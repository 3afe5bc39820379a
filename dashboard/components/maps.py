"""dash-leaflet maps without a basemap: unit choropleth (click → cross-filter) and clustered points."""

from __future__ import annotations

import json
from typing import Any

import dash_leaflet as dl
import pandas as pd

PALETTE = ("#edf4fb", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")


def _color(v: float, vmax: float) -> str:
    if vmax <= 0:
        return PALETTE[0]
    return PALETTE[min(len(PALETTE) - 1, int(len(PALETTE) * v / (vmax + 1e-9)))]


def unit_map(page: str, shapes: pd.DataFrame, counts: dict[str, int], points: pd.DataFrame | None = None,
             height: str = "360px") -> dl.Map:
    vmax = max(counts.values(), default=0)
    features = []
    lons: list[float] = []
    lats: list[float] = []
    for r in shapes.itertuples():
        geom = json.loads(r.geojson)
        _extent(geom["coordinates"], lons, lats)
        n = int(counts.get(r.unit_code, 0))
        features.append({"type": "Feature", "geometry": geom, "properties": {
            "unit": r.unit_code, "tooltip": f"{r.name_zh}: {n:,}",
            "style": {"fillColor": _color(n, vmax), "color": "#34495e", "weight": 1, "fillOpacity": 0.75}}})
    layers: list[Any] = [dl.GeoJSON(id={"type": "cv-map", "page": page}, data={"type": "FeatureCollection",
                                                                                 "features": features})]
    if points is not None and len(points):
        pts = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(p.lon), float(p.lat)]},
                "properties": {"tooltip": f"{p.case_id} {p.category_code}"}} for p in points.itertuples()]
        layers.append(dl.GeoJSON(data={"type": "FeatureCollection", "features": pts}, cluster=True,
                                 zoomToBoundsOnClick=True, superClusterOptions={"radius": 60}))
    center = [(min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2] if lons else [31.15, 121.1]
    span = max(max(lats) - min(lats), max(lons) - min(lons)) if lons else 0.3
    zoom = 13 if span < 0.05 else 12 if span < 0.12 else 11 if span < 0.25 else 10
    return dl.Map(layers, center=center, zoom=zoom, style={"height": height, "width": "100%", "background": "#f4f6f8"},
                  attributionControl=False, className="cv-map")


def _extent(coords: Any, lons: list[float], lats: list[float]) -> None:
    if coords and isinstance(coords[0], (int, float)):
        lons.append(float(coords[0]))
        lats.append(float(coords[1]))
        return
    for c in coords:
        _extent(c, lons, lats)
