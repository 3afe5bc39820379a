"""dash-leaflet maps without a basemap: unit choropleth (click → cross-filter) and clustered points."""

from __future__ import annotations

from typing import Any

import dash_leaflet as dl
import pandas as pd
from dash import dcc, html

from dashboard import data
from dashboard.components import markup
from metrics import geo

# The case points travel as columns (tooltips, lons, lats) in a store beside the map and become GeoJSON
# features in the browser (``POINTS_JS``, a clientside callback in ``callbacks.pages_shared``): 3,000
# point dicts built per render were ~5 ms to build, but their ~12k containers lived until the response
# was sent and set off the garbage collector's older generations, ≈ 15–30 ms a render on the district
# demo (profiled with gc.callbacks); the columns are four lists.
POINTS_JS = """function(cols) {
    if (!cols) { return window.dash_clientside.no_update; }
    var features = new Array(cols.lon.length);
    for (var i = 0; i < features.length; i++) {
        features[i] = {type: "Feature", geometry: {type: "Point", coordinates: [cols.lon[i], cols.lat[i]]},
                       properties: {tooltip: cols.tooltip[i]}};
    }
    return {type: "FeatureCollection", features: features};
}"""

PALETTE = ("#edf4fb", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")


def _color(v: float, vmax: float) -> str:
    if vmax <= 0:
        return PALETTE[0]
    return PALETTE[min(len(PALETTE) - 1, int(len(PALETTE) * v / (vmax + 1e-9)))]


Shape = tuple[str, str, dict[str, Any], tuple[float, ...]]  # code, name, geometry, extent


def unit_shapes(codes: list[str]) -> list[Shape]:
    """(code, name, geometry, extent) of the given units that have a geometry: parsed once per snapshot
    (unit outlines change only with a load; the page used to read and parse them on every render).
    The geometries are shared between requests: read-only for callers."""
    shapes = data.per_snapshot("maps.unit_shapes", geo.outlines)
    return [(c, shapes[c].name_zh, shapes[c].geometry, shapes[c].extent) for c in codes if c in shapes]


def point_columns(points: pd.DataFrame) -> dict[str, list[Any]]:
    """The case points as the store carries them: one tooltip ("case id category code"), lon and lat
    per point, in the frame's order (``POINTS_JS`` makes each a GeoJSON point feature)."""
    return {"tooltip": [markup.tooltip(i, c) for i, c in zip(points["case_id"].tolist(),
                                                              points["category_code"].tolist(), strict=True)],
            "lon": [float(x) for x in points["lon"].tolist()], "lat": [float(y) for y in points["lat"].tolist()]}


def unit_map(page: str, shapes: list[Shape], counts: dict[str, int], points: pd.DataFrame | None = None,
             height: str = "360px") -> dl.Map | html.Div:
    """The unit choropleth; with ``points``, the map and the store its clustered point layer is drawn
    from (``POINTS_JS``)."""
    vmax = max(counts.values(), default=0)
    features = []
    lons: list[float] = []
    lats: list[float] = []
    for code, name, geom, ext in shapes:
        if ext:
            lons.extend(ext[:2])
            lats.extend(ext[2:])
        n = int(counts.get(code, 0))
        features.append({"type": "Feature", "geometry": geom, "properties": {
            "unit": code, "tooltip": markup.tooltip(f"{name}: {n:,}"),
            "style": {"fillColor": _color(n, vmax), "color": "#34495e", "weight": 1, "fillOpacity": 0.75}}})
    layers: list[Any] = [dl.GeoJSON(id={"type": "cv-map", "page": page}, data={"type": "FeatureCollection",
                                                                                 "features": features})]
    store = None
    if points is not None and len(points):
        layers.append(dl.GeoJSON(id={"type": "cv-points", "page": page}, cluster=True, zoomToBoundsOnClick=True,
                                 superClusterOptions={"radius": 60}))
        store = dcc.Store(id={"type": "cv-points-data", "page": page}, data=point_columns(points))
    center = [(min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2] if lons else [31.15, 121.1]
    span = max(max(lats) - min(lats), max(lons) - min(lons)) if lons else 0.3
    zoom = 13 if span < 0.05 else 12 if span < 0.12 else 11 if span < 0.25 else 10
    leaflet = dl.Map(layers, center=center, zoom=zoom,
                     style={"height": height, "width": "100%", "background": "#f4f6f8"},
                     attributionControl=False, className="cv-map")
    return leaflet if store is None else html.Div([leaflet, store])

