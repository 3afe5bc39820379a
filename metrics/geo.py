"""Unit geometry and point layers for maps, as GeoJSON in a chosen datum.

Polygons come from ``unit_geometry`` (site datum; ``approximate`` marks derived shapes such as the
demo's Voronoi cells) and are simplified for display. Non-indicator reads only: values to colour the
units by come from the indicator API.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping, shape

from etl.schema import LEVELS

CHILD_LEVEL = dict(pairwise(LEVELS))  # city → district → ... → microgrid


@dataclass(frozen=True)
class Unit:
    code: str
    name_zh: str
    name_en: str | None
    level: str
    parent: str | None


def _unit(row: tuple[Any, ...]) -> Unit:
    return Unit(str(row[0]), str(row[1]), row[2], str(row[3]), row[4])


def root_unit(con: duckdb.DuckDBPyConnection) -> Unit | None:
    """The top of the hierarchy (the district for a district warehouse, the city above it in a 6-level one;
    the first of the top units of a 1-level one)."""
    row = con.execute(
        "SELECT unit_code, name_zh, name_en, level, parent_code FROM org_unit "
        "WHERE parent_code IS NULL OR parent_code NOT IN (SELECT unit_code FROM org_unit) "
        "ORDER BY CASE level WHEN 'city' THEN 0 WHEN 'district' THEN 1 WHEN 'town' THEN 2 ELSE 3 END, unit_code"
        " LIMIT 1"
    ).fetchone()
    return _unit(row) if row else None


def unit(con: duckdb.DuckDBPyConnection, code: str) -> Unit | None:
    row = con.execute(
        "SELECT unit_code, name_zh, name_en, level, parent_code FROM org_unit WHERE unit_code = ?", [code]
    ).fetchone()
    return _unit(row) if row else None


def ancestors(con: duckdb.DuckDBPyConnection, code: str) -> list[Unit]:
    """The unit and its ancestors, root first."""
    out: list[Unit] = []
    seen: set[str] = set()
    current = unit(con, code)
    while current is not None and current.code not in seen:
        out.append(current)
        seen.add(current.code)
        current = unit(con, current.parent) if current.parent else None
    return out[::-1]


def children_with_shapes(con: duckdb.DuckDBPyConnection, parent: str) -> pd.DataFrame:
    """Child units of ``parent`` that have a polygon: code, names, level, approximate, geojson, has_children."""
    return con.execute(
        """
        SELECT u.unit_code, u.name_zh, u.name_en, u.level, g.approximate, g.geojson, g.datum,
               EXISTS (SELECT 1 FROM org_unit c JOIN unit_geometry cg USING (unit_code)
                       WHERE c.parent_code = u.unit_code) AS has_children
        FROM org_unit u JOIN unit_geometry g USING (unit_code)
        WHERE u.parent_code = ?
        ORDER BY u.unit_code
        """,
        [parent],
    ).df()


def top_units_with_shapes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The units at the top of the hierarchy (no parent, or one not loaded) that have a polygon, same
    columns as ``children_with_shapes``: a 1-level hierarchy (sibling units, no root above them) is
    drawn as they are."""
    return con.execute(
        """
        SELECT u.unit_code, u.name_zh, u.name_en, u.level, g.approximate, g.geojson, g.datum,
               EXISTS (SELECT 1 FROM org_unit c JOIN unit_geometry cg USING (unit_code)
                       WHERE c.parent_code = u.unit_code) AS has_children
        FROM org_unit u JOIN unit_geometry g USING (unit_code)
        WHERE u.parent_code IS NULL OR u.parent_code NOT IN (SELECT unit_code FROM org_unit)
        ORDER BY u.unit_code
        """
    ).df()


def first_shaped_below(con: duckdb.DuckDBPyConnection, parent: str) -> pd.DataFrame:
    """The first generation of ``parent``'s descendants that has polygons, same columns as
    ``children_with_shapes``: a city → borough → community district hierarchy whose boroughs have no
    boundaries is drawn by community district. Empty when no descendant has a polygon."""
    return con.execute(
        """
        WITH RECURSIVE d(unit_code, depth) AS (
            SELECT unit_code, 1 FROM org_unit WHERE parent_code = $p
            UNION ALL
            SELECT o.unit_code, d.depth + 1 FROM org_unit o JOIN d ON o.parent_code = d.unit_code
            WHERE d.depth < 8
        ), shaped AS (SELECT d.unit_code, d.depth FROM d JOIN unit_geometry USING (unit_code))
        SELECT u.unit_code, u.name_zh, u.name_en, u.level, g.approximate, g.geojson, g.datum,
               EXISTS (SELECT 1 FROM org_unit c JOIN unit_geometry cg USING (unit_code)
                       WHERE c.parent_code = u.unit_code) AS has_children
        FROM shaped s JOIN org_unit u USING (unit_code) JOIN unit_geometry g USING (unit_code)
        WHERE s.depth = (SELECT min(depth) FROM shaped)
        ORDER BY u.unit_code
        """,
        {"p": parent},
    ).df()


def unit_shape(con: duckdb.DuckDBPyConnection, code: str) -> dict[str, Any] | None:
    row = con.execute("SELECT geojson FROM unit_geometry WHERE unit_code = ?", [code]).fetchone()
    return json.loads(row[0]) if row else None


def bounds(con: duckdb.DuckDBPyConnection, codes: Iterable[str]) -> list[list[float]] | None:
    """Leaflet bounds [[south, west], [north, east]] around the units (site datum)."""
    codes = list(codes)
    if not codes:
        return None
    row = con.execute(
        "SELECT min(min_lat), min(min_lon), max(max_lat), max(max_lon) FROM unit_geometry "
        "WHERE unit_code IN (SELECT unnest(?::VARCHAR[]))",
        [codes],
    ).fetchone()
    if row is None or row[0] is None:
        return None
    return [[float(row[0]), float(row[1])], [float(row[2]), float(row[3])]]


@dataclass(frozen=True)
class Outline:
    """A unit's polygon for a map: its name, parsed GeoJSON geometry and the bounding box the load
    stored with it (min lon, max lon, min lat, max lat)."""

    name_zh: str
    geometry: dict[str, Any]
    extent: tuple[float, float, float, float]


def outlines(con: duckdb.DuckDBPyConnection) -> dict[str, Outline]:
    """unit code -> ``Outline`` of every unit with a geometry (site datum)."""
    rows = con.execute("SELECT g.unit_code, coalesce(u.name_zh, g.unit_code), g.geojson, g.min_lon, g.max_lon, "
                       "g.min_lat, g.max_lat FROM unit_geometry g LEFT JOIN org_unit u USING (unit_code)"
                       ).fetchall()
    return {str(code): Outline(str(name), json.loads(gj), (float(a), float(b), float(c), float(d)))
            for code, name, gj, a, b, c, d in rows}


EARTH_RADIUS_KM = 6371.0088  # the mean Earth radius (IUGG)


def _sinusoidal(lonlat: Any) -> Any:
    """Lon/lat degrees (an N × 2 array) to the sinusoidal projection in km: equal-area on the sphere, so a
    polygon's planar area there is its area on the globe (within 0.5% of the ellipsoid's at Shanghai)."""
    phi = np.radians(lonlat[:, 1])
    return np.column_stack([EARTH_RADIUS_KM * np.radians(lonlat[:, 0]) * np.cos(phi), EARTH_RADIUS_KM * phi])


def area_km2(geometry: Mapping[str, Any]) -> float:
    """The area of a lon/lat (Multi)Polygon in square kilometres (0 for anything without area)."""
    return float(shapely.transform(shape(geometry), _sinusoidal).area)


def per_km2(counts: Mapping[str, float], areas: Mapping[str, float]) -> dict[str, float | None]:
    """Counts normalised by area: ``counts[code] / areas[code]`` per square kilometre, None where the unit
    has no area (a point or a missing polygon): the wall's choropleth colours units by this, so a large
    rural town is not red for its size alone."""
    out: dict[str, float | None] = {}
    for code, n in counts.items():
        a = areas.get(code) or 0.0
        out[code] = float(n) / a if a > 0 else None
    return out


def simplify(geometry: Mapping[str, Any], tolerance: float = 0.0004) -> dict[str, Any]:
    """A lighter polygon for display (~40 m at Shanghai's latitude), coordinates rounded to ~1 m."""
    geom = shape(geometry)
    simple = geom.simplify(tolerance, preserve_topology=True) if tolerance > 0 else geom
    if simple.is_empty:
        simple = geom
    out: dict[str, Any] = _round(mapping(simple))
    return out


def _round(obj: Any, digits: int = 5) -> Any:
    if isinstance(obj, float):
        return round(obj, digits)
    if isinstance(obj, list | tuple):
        return [_round(v, digits) for v in obj]
    if isinstance(obj, Mapping):
        return {k: _round(v, digits) for k, v in obj.items()}
    return obj


def convert_geometry(geometry: Mapping[str, Any], source: str, target: str) -> dict[str, Any]:
    """The geometry with every coordinate converted between WGS-84 / GCJ-02 / BD-09."""
    if source == target:
        return dict(geometry)
    from etl.datum import convert  # the ETL's vectorised datum conversions

    def conv(coords: Any) -> Any:
        if coords and isinstance(coords[0], int | float):
            lon, lat = convert([coords[0]], [coords[1]], source, target)
            return [round(float(lon[0]), 6), round(float(lat[0]), 6)]
        return [conv(c) for c in coords]

    return {**geometry, "coordinates": conv(geometry["coordinates"])}


def convert_points(df: pd.DataFrame, source: str, target: str, lon: str = "lon", lat: str = "lat") -> pd.DataFrame:
    if source == target or df.empty:
        return df
    from etl.datum import convert

    x, y = convert(df[lon].to_numpy(dtype=float), df[lat].to_numpy(dtype=float), source, target)
    return df.assign(**{lon: x, lat: y})


def convert_bounds(b: list[list[float]] | None, source: str, target: str) -> list[list[float]] | None:
    if b is None or source == target:
        return b
    from etl.datum import convert

    lon, lat = convert([b[0][1], b[1][1]], [b[0][0], b[1][0]], source, target)
    return [[float(lat[0]), float(lon[0])], [float(lat[1]), float(lon[1])]]


def feature_collection(features: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def point_features(df: pd.DataFrame, props: Iterable[str], lon: str = "lon", lat: str = "lat") -> dict[str, Any]:
    """GeoJSON points from rows with coordinates (rows without coordinates are left out)."""
    keep = [p for p in props if p in df.columns]
    feats = []
    for rec in df.dropna(subset=[lon, lat]).to_dict("records"):
        feats.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(float(rec[lon]), 5), round(float(rec[lat]), 5)]},
            "properties": {k: _jsonable(rec[k]) for k in keep},
        })
    return feature_collection(feats)


def _jsonable(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value
