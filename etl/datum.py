"""WGS-84 ↔ GCJ-02 ↔ BD-09 conversions, vectorized over numpy arrays.

GCJ-02 is China's obfuscated datum (AMap, Tencent); BD-09 is Baidu's further offset of GCJ-02.
These are the widely published formulas (the ``eviltransform`` / ``coordtransform`` family). The
GCJ-02 offset applies only inside mainland China: outside it the published algorithm is the
identity, which is what lets NYC data pass through untouched. GCJ→WGS has no closed form; we invert
by fixed-point iteration, which converges to well under a centimetre.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

DATUMS = ("WGS-84", "GCJ-02", "BD-09")
_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0

F = NDArray[np.float64]


def _arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[F, F]:
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    lo, la = _arrays(lon, lat)
    return ~((lo >= 72.004) & (lo <= 137.8347) & (la >= 0.8293) & (la <= 55.8271))


def _transform_lat(x: F, y: F) -> F:
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    r += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    r += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    r += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return r


def _transform_lon(x: F, y: F) -> F:
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    r += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    r += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    r += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return r


def _gcj_delta(lon: F, lat: F) -> tuple[F, F]:
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    outside = out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[F, F]:
    lo, la = _arrays(lon, lat)
    dlon, dlat = _gcj_delta(lo, la)
    return lo + dlon, la + dlat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike, iterations: int = 10) -> tuple[F, F]:
    """Invert by iteration: find w with wgs84_to_gcj02(w) == g."""
    glon, glat = _arrays(lon, lat)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(iterations):
        tlon, tlat = wgs84_to_gcj02(wlon, wlat)
        wlon, wlat = wlon - (tlon - glon), wlat - (tlat - glat)
    return wlon, wlat


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[F, F]:
    x, y = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[F, F]:
    bx, by = _arrays(lon, lat)
    x, y = bx - 0.0065, by - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def convert(lon: ArrayLike, lat: ArrayLike, source: str, target: str) -> tuple[F, F]:
    """Convert coordinates between any two of :data:`DATUMS` (NaN stays NaN)."""
    for d in (source, target):
        if d not in DATUMS:
            raise ValueError(f"unknown datum {d!r}; expected one of {', '.join(DATUMS)}")
    lo, la = _arrays(lon, lat)
    if source == target:
        return lo.copy(), la.copy()
    # Route through GCJ-02, the hub both other datums are defined against.
    if source == "WGS-84":
        lo, la = wgs84_to_gcj02(lo, la)
    elif source == "BD-09":
        lo, la = bd09_to_gcj02(lo, la)
    if target == "WGS-84":
        return gcj02_to_wgs84(lo, la)
    if target == "BD-09":
        return gcj02_to_bd09(lo, la)
    return lo, la
