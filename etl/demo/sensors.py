"""IoT sensors, their hourly readings (vectorised, chunk by chunk) and the alarms derived from them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from etl.demo.frames import NONE
from etl.demo.geography import Geography
from etl.demo.organisation import Organisation
from etl.demo.timebase import Window, season_codes


@dataclass(frozen=True)
class SensorType:
    code: str
    abbr: str
    name: str
    metric: str
    uom: str
    warning: float
    alarm: float
    pmin: float
    pmax: float
    share: float
    decimals: int


TYPES = (
    SensorType("water_level", "WL", "积水监测", "积水深度", "cm", 15, 25, 0, 300, 0.15, 1),
    SensorType("air_pm25", "P2", "空气质量PM2.5", "PM2.5", "µg/m³", 75, 115, 0, 1000, 0.07, 0),
    SensorType("air_pm10", "P1", "空气质量PM10", "PM10", "µg/m³", 150, 250, 0, 2000, 0.07, 0),
    SensorType("manhole_tilt", "MH", "智能井盖", "倾角", "°", 5, 15, 0, 90, 0.30, 2),
    SensorType("smoke", "SM", "独立烟感", "烟雾浓度", "%obs/m", 5, 10, 0, 100, 0.25, 2),
    SensorType("noise", "NS", "噪声监测", "等效声级", "dB(A)", 70, 80, 20, 140, 0.10, 1),
    SensorType("gas", "GS", "燃气监测", "可燃气体浓度", "%LEL", 10, 25, 0, 100, 0.06, 1),
)
TYPE_BY_CODE = {t.code: t for t in TYPES}
CHUNK = 250  # sensors per row group: 250 × 8,760 h ≈ 2.2M readings, ~20 MB of floats


def build_sensors(geo: Geography, org: Organisation, n: int, win: Window,
                  rng: np.random.Generator) -> pd.DataFrame:
    vil = geo.villages
    shares = np.array([t.share for t in TYPES])
    counts = np.floor(shares / shares.sum() * n).astype(int)
    counts[0] += n - counts.sum()
    type_idx = np.repeat(np.arange(len(TYPES)), counts)
    v = rng.choice(len(vil), n, p=(vil.weight / vil.weight.sum()).to_numpy())
    lon = np.clip(vil.lon.to_numpy()[v] + rng.normal(0, 0.004, n), vil.min_lon.to_numpy()[v], vil.max_lon.to_numpy()[v])
    lat = np.clip(vil.lat.to_numpy()[v] + rng.normal(0, 0.004, n), vil.min_lat.to_numpy()[v], vil.max_lat.to_numpy()[v])
    abbr = np.array([t.abbr for t in TYPES])[type_idx]
    seq = pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(5).to_numpy()
    source_id = pd.Series(abbr).str.cat(seq.astype(str).tolist(), sep="-")
    names = pd.Series(vil.name_zh.to_numpy()[v]).str.replace("社区居委会", "").str.replace("村委会", "村")
    stn = pd.Series(vil.grid_code.to_numpy()[v]).map(org.grid_station).to_numpy()
    # Most devices predate the window; a tenth were installed during it (readings start then).
    span = (win.now64() - win.start64()).astype(int)
    installed = np.where(rng.random(n) < 0.9,
                         win.start64() - rng.integers(30 * 86400, 3 * 365 * 86400, n).astype("timedelta64[s]"),
                         win.start64() + (rng.random(n) * span * 0.8).astype("timedelta64[s]"))
    return pd.DataFrame({
        "sensor_id": "demo:" + source_id, "source_system": "demo", "source_id": source_id,
        "name": names + pd.Series(np.array([t.name for t in TYPES])[type_idx]) + "-" + pd.Series(seq),
        "sensor_type": np.array([t.code for t in TYPES])[type_idx],
        "metric": np.array([t.metric for t in TYPES])[type_idx], "uom": np.array([t.uom for t in TYPES])[type_idx],
        "threshold_warning": np.array([t.warning for t in TYPES], float)[type_idx],
        "threshold_alarm": np.array([t.alarm for t in TYPES], float)[type_idx],
        "physical_min": np.array([t.pmin for t in TYPES], float)[type_idx],
        "physical_max": np.array([t.pmax for t in TYPES], float)[type_idx],
        "expected_interval_min": np.int32(60), "installed_at": installed.astype("datetime64[us]"),
        "station_code": np.where(rng.random(n) < 0.3, stn, NONE),
        "unit_code": vil.unit_code.to_numpy()[v], "lon": lon, "lat": lat,
        # every demo type is bad when high (water level, PM2.5, tilt...): the declared direction, no band,
        # no baseline (the demo's readings are the measured quantity itself)
        "threshold_direction": "above", "threshold_low_warning": np.nan, "threshold_low_alarm": np.nan,
        "baseline": np.nan,
    })


@dataclass(frozen=True)
class Climate:
    """District-wide hourly drivers shared by all sensors."""
    hours: np.ndarray       # datetime64[h]
    rain: np.ndarray        # mm/h, smoothed into ponding
    pm: np.ndarray          # district PM2.5 baseline µg/m³
    hour_of_day: np.ndarray


def climate(win: Window, rng: np.random.Generator) -> Climate:
    hours = win.hours()
    days = hours.astype("datetime64[D]")
    day_list, day_idx = np.unique(days, return_inverse=True)
    season = season_codes(day_list)
    # Rain days and amounts: drizzle in winter, long wet spells in 梅雨, rare violent typhoon days.
    p_rain = np.array([0.25, 0.7, 0.35])[season]
    amount = rng.gamma(np.array([1.2, 2.0, 1.5])[season], np.array([4.0, 12.0, 20.0])[season])
    amount = amount * (rng.random(len(day_list)) < p_rain)
    typhoon_day = (season == 2) & (rng.random(len(day_list)) < 0.05)
    amount = np.where(typhoon_day, rng.uniform(80, 180, len(day_list)), amount)
    start = rng.integers(0, 20, len(day_list))
    dur = rng.integers(3, 9, len(day_list))
    hod = (hours - days).astype(int)
    inside = (hod >= start[day_idx]) & (hod < start[day_idx] + dur[day_idx])
    rain_h = np.where(inside, amount[day_idx] / dur[day_idx], 0.0)
    ponding = lfilter([1.0], [1.0, -0.6], rain_h)  # water drains with a ~2 h time constant
    # PM2.5: winter high, summer low, with multi-day episodes (AR(1) on days) and a morning peak.
    month = days.astype("datetime64[M]").astype(int) % 12
    seasonal = 32 + 14 * np.cos(2 * np.pi * month / 12)
    episode = lfilter([1.0], [1.0, -0.8], rng.normal(0, 0.18, len(day_list)))
    diurnal = 1 + 0.15 * np.cos(2 * np.pi * (hod - 8) / 24)
    pm = seasonal * np.exp(episode[day_idx]) * diurnal
    return Climate(hours=hours, rain=ponding, pm=pm, hour_of_day=hod)


def _events(vals: np.ndarray, rng: np.random.Generator, per_sensor_year: float, years: float,
            dur: tuple[int, int], mag: tuple[float, float]) -> None:
    """Add rare incident bumps (a tilted cover, smoke, a gas leak) in place, vectorised."""
    n, t = vals.shape
    k = rng.poisson(per_sensor_year * years * n)
    if k == 0:
        return
    rows = rng.integers(0, n, k)
    starts = rng.integers(0, t, k)
    lens = rng.integers(dur[0], dur[1] + 1, k)
    m = rng.uniform(mag[0], mag[1], k)
    r = np.repeat(rows, lens)
    offs = np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens)
    c = np.repeat(starts, lens) + offs
    ok = c < t
    np.add.at(vals, (r[ok], c[ok]), np.repeat(m, lens)[ok])


def _values(st: SensorType, n: int, cl: Climate, rng: np.random.Generator) -> np.ndarray:
    t = len(cl.hours)
    years = t / 8760
    if st.code == "water_level":
        k = rng.lognormal(0.3, 0.6, n)[:, None]  # low-lying spots pond more
        v = k * cl.rain[None, :] * 1.2 + rng.gamma(1.0, 0.4, (n, t))
    elif st.code in ("air_pm25", "air_pm10"):
        f = 1.0 if st.code == "air_pm25" else 1.6
        v = f * cl.pm[None, :] * rng.lognormal(0, 0.12, n)[:, None] * rng.lognormal(0, 0.08, (n, t))
    elif st.code == "noise":
        day = (cl.hour_of_day >= 7) & (cl.hour_of_day < 22)
        v = np.where(day, 60.0, 47.0)[None, :] + rng.normal(0, 3, n)[:, None] + rng.normal(0, 2.0, (n, t))
        _events(v, rng, 3.0, years, (2, 8), (12, 25))
    elif st.code == "manhole_tilt":
        v = np.abs(rng.normal(0.4, 0.3, (n, t)))
        _events(v, rng, 1.0, years, (2, 30), (6, 30))
    elif st.code == "smoke":
        v = np.abs(rng.normal(0.3, 0.2, (n, t)))
        _events(v, rng, 0.5, years, (1, 3), (6, 40))
    else:  # gas
        v = np.abs(rng.normal(0.5, 0.4, (n, t)))
        _events(v, rng, 0.3, years, (1, 4), (12, 60))
    clipped: np.ndarray = np.clip(v, st.pmin, st.pmax).round(st.decimals)
    return clipped


def _runs(above: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, start, end) of each run of True per row; end is exclusive (== width when ongoing)."""
    n, t = above.shape
    padded = np.zeros((n, t + 2), dtype=np.int8)
    padded[:, 1:-1] = above
    d = np.diff(padded, axis=1)
    sr, sc = np.nonzero(d == 1)
    _, ec = np.nonzero(d == -1)
    return sr, sc, ec


@dataclass(frozen=True)
class ReadingChunk:
    sensor_ids: np.ndarray  # per row
    ts: np.ndarray          # datetime64[us]
    value: np.ndarray


def readings_and_alarms(sensors: pd.DataFrame, win: Window, rng: np.random.Generator,
                        alarms_out: list[pd.DataFrame]) -> Iterator[ReadingChunk]:
    """Yield readings chunk by chunk (memory stays ~100 MB); append the chunk's alarms to ``alarms_out``."""
    cl = climate(win, rng)
    t = len(cl.hours)
    hours_us = cl.hours.astype("datetime64[us]")
    now_h = t - 1
    for st in TYPES:
        idx = np.flatnonzero(sensors.sensor_type.to_numpy() == st.code)
        for lo in range(0, len(idx), CHUNK):
            sel = idx[lo:lo + CHUNK]
            n = len(sel)
            v = _values(st, n, cl, rng)
            # Missing data: before installation, after a device dies (some in the last days, so the
            # online rate is below 100% now), and scattered dropped packets.
            inst = sensors.installed_at.to_numpy()[sel].astype("datetime64[h]")
            first = np.clip(((inst - cl.hours[0]).astype(int)), 0, t)
            dead = rng.random(n) < 0.06
            stop = np.where(dead, now_h - rng.integers(1, 24 * 60, n), t)
            col = np.arange(t)[None, :]
            missing = (col < first[:, None]) | (col >= stop[:, None]) | (rng.random((n, t)) < 0.005)
            v = np.where(missing, np.nan, v)
            above = v >= st.warning  # NaN compares False: a silent device raises no alarm
            r, s, e = _runs(above)
            if len(r):
                flat = np.where(np.isnan(v), -np.inf, v)
                peaks = np.array([flat[ri, si:ei].max() for ri, si, ei in zip(r, s, e, strict=True)]) \
                    if len(r) < 64 else _run_max(flat, r, s, e)
                sid = sensors.sensor_id.to_numpy()[sel][r]
                alarms_out.append(pd.DataFrame({
                    "sensor_id": sid, "severity": np.where(peaks >= st.alarm, "alarm", "warning"),
                    "started_at": hours_us[s],
                    "ended_at": np.where(e < t, hours_us[np.minimum(e, t - 1)], np.datetime64("NaT", "us")),
                    "peak_value": peaks, "unit_code": sensors.unit_code.to_numpy()[sel][r],
                    "sensor_type": st.code,
                }))
            ok = ~missing
            rows, cols = np.nonzero(ok)
            yield ReadingChunk(sensors.sensor_id.to_numpy()[sel][rows], hours_us[cols], v[rows, cols])


def _run_max(flat: np.ndarray, r: np.ndarray, s: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Max of flat[r, s:e] for many runs at once with one reduceat over the raveled matrix."""
    w = flat.shape[1]
    lin = flat.ravel()
    starts = r * w + s
    ends = r * w + e
    bounds = np.empty(2 * len(r), dtype=np.int64)
    bounds[0::2], bounds[1::2] = starts, ends
    ext = np.append(lin, -np.inf)  # an end may equal the total length
    return np.maximum.reduceat(ext, bounds)[0::2]


def finish_alarms(parts: list[pd.DataFrame]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame(columns=["alarm_id", "sensor_id", "severity", "started_at", "ended_at", "peak_value",
                                     "case_id", "unit_code", "sensor_type"])
    a = pd.concat(parts, ignore_index=True).sort_values(["started_at", "sensor_id"], kind="stable")
    a = a.reset_index(drop=True)
    a.insert(0, "alarm_id", "AL" + pd.Series(np.arange(1, len(a) + 1)).astype(str).str.zfill(9))
    a["case_id"] = None
    return a
