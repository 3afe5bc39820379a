"""metrics.geo.outlines: the map's unit polygons with the bounding boxes the load stored, which equal
the extent of each polygon's own coordinates (what the dashboard used to recompute per snapshot)."""

from __future__ import annotations

import json
from typing import Any

import duckdb
import pytest

from metrics import geo
from tests.dashboard.minimal_warehouse import read_only_warehouse

con = pytest.fixture(scope="module", name="con")(read_only_warehouse)


def coordinates(obj: Any) -> list[tuple[float, float]]:
    if obj and isinstance(obj[0], int | float):
        return [(float(obj[0]), float(obj[1]))]
    return [p for c in obj for p in coordinates(c)]


def test_outlines_carry_each_units_geometry_name_and_extent(con: duckdb.DuckDBPyConnection) -> None:
    got = geo.outlines(con)
    rows = con.execute("SELECT g.unit_code, u.name_zh, g.geojson FROM unit_geometry g "
                       "JOIN org_unit u USING (unit_code)").fetchall()
    assert rows and set(got) == {r[0] for r in rows}
    for code, name, gj in rows:
        pts = coordinates(json.loads(gj)["coordinates"])
        lons, lats = [p[0] for p in pts], [p[1] for p in pts]
        o = got[code]
        assert o.name_zh == name and o.geometry == json.loads(gj)
        assert o.extent == pytest.approx((min(lons), max(lons), min(lats), max(lats)), abs=1e-9), code
