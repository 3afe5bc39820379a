"""The wall's choropleth normalisation (``metrics.geo.area_km2`` / ``per_km2``) against hand computations."""

from __future__ import annotations

import math

import pytest

from metrics import geo

R = 6371.0088  # km


def _box(w: float, s: float, e: float, n: float) -> dict[str, object]:
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def test_area_of_a_lon_lat_box_is_the_spherical_zone_formula():
    # a 0.1° × 0.1° box at Qingpu: R² · Δλ · (sin φn − sin φs) on the sphere, by hand
    by_hand = R ** 2 * math.radians(0.1) * (math.sin(math.radians(31.1)) - math.sin(math.radians(31.0)))
    assert by_hand == pytest.approx(105.9, abs=0.1)  # ≈ 9.53 km × 11.12 km
    assert geo.area_km2(_box(121.0, 31.0, 121.1, 31.1)) == pytest.approx(by_hand, rel=1e-6)
    # the same box at the equator is larger (meridians converge), and a hole is subtracted
    assert geo.area_km2(_box(121.0, 0.0, 121.1, 0.1)) == pytest.approx(
        R ** 2 * math.radians(0.1) * math.sin(math.radians(0.1)), rel=1e-6)
    ring = {"type": "Polygon", "coordinates": [_box(121.0, 31.0, 121.1, 31.1)["coordinates"][0],
                                                _box(121.02, 31.02, 121.07, 31.07)["coordinates"][0]]}
    hole = R ** 2 * math.radians(0.05) * (math.sin(math.radians(31.07)) - math.sin(math.radians(31.02)))
    assert geo.area_km2(ring) == pytest.approx(by_hand - hole, rel=1e-6)
    multi = {"type": "MultiPolygon", "coordinates": [_box(121.0, 31.0, 121.1, 31.1)["coordinates"],
                                                     _box(121.2, 31.0, 121.3, 31.1)["coordinates"]]}
    assert geo.area_km2(multi) == pytest.approx(2 * by_hand, rel=1e-6)


def test_per_km2_divides_each_unit_by_its_own_area():
    # a big quiet town and a small busy one: raw counts rank them the other way round
    got = geo.per_km2({"big": 120, "small": 30, "dot": 5}, {"big": 60.0, "small": 2.5, "dot": 0.0})
    assert got == {"big": 2.0, "small": 12.0, "dot": None}  # 120/60, 30/2.5; no area → no value
    assert geo.per_km2({"gone": 3}, {}) == {"gone": None}
