from __future__ import annotations

import numpy as np
import pytest

from etl.datum import bd09_to_gcj02, convert, gcj02_to_bd09, gcj02_to_wgs84, wgs84_to_gcj02

# Reference outputs published with wandergis/coordtransform (test/app.js) for input (116.404, 39.915).
REF = {
    "wgs84_to_gcj02": (116.41024449916938, 39.91640428150164),
    "gcj02_to_bd09": (116.41036949371029, 39.92133699351021),
    "bd09_to_gcj02": (116.39762729119315, 39.90865673957631),
}
# coordtransform's gcj02towgs84 is a one-step approximation; our iteration must be within a metre of it.
REF_GCJ_TO_WGS_APPROX = (116.39775550083061, 39.91359571849836)


def metres(lon1, lat1, lon2, lat2):
    lat = np.radians((np.asarray(lat1) + np.asarray(lat2)) / 2)
    dx = (np.asarray(lon1) - np.asarray(lon2)) * 111_320 * np.cos(lat)
    dy = (np.asarray(lat1) - np.asarray(lat2)) * 110_574
    return np.hypot(dx, dy)


@pytest.mark.parametrize("fn", [wgs84_to_gcj02, gcj02_to_bd09, bd09_to_gcj02])
def test_reference_pairs(fn):
    lon, lat = fn(116.404, 39.915)
    assert (float(lon), float(lat)) == pytest.approx(REF[fn.__name__], abs=1e-9)


def test_gcj_to_wgs_by_iteration():
    lon, lat = gcj02_to_wgs84(116.404, 39.915)
    assert metres(lon, lat, *REF_GCJ_TO_WGS_APPROX) < 1.0
    back = wgs84_to_gcj02(lon, lat)
    assert metres(*back, 116.404, 39.915) < 0.001


def test_round_trips_over_qingpu_are_below_a_metre():
    rng = np.random.default_rng(7)
    lon = rng.uniform(120.85, 121.35, 10_000)  # Qingpu and surroundings
    lat = rng.uniform(30.95, 31.30, 10_000)
    for a, b in [("WGS-84", "GCJ-02"), ("WGS-84", "BD-09"), ("GCJ-02", "BD-09")]:
        x, y = convert(lon, lat, a, b)
        # The offsets are real: a few hundred metres between datums in Shanghai.
        assert 100 < np.median(metres(x, y, lon, lat)) < 1500
        x2, y2 = convert(x, y, b, a)
        assert metres(x2, y2, lon, lat).max() < 1.0


def test_outside_china_wgs_gcj_is_identity_and_nan_stays_nan():
    lon, lat = convert([-73.98, np.nan], [40.75, 1.0], "WGS-84", "GCJ-02")
    assert lon[0] == -73.98 and lat[0] == 40.75 and np.isnan(lon[1])
    with pytest.raises(ValueError, match="unknown datum"):
        convert([1.0], [1.0], "WGS84", "GCJ-02")
