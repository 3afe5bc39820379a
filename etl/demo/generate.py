"""`generate`: write the whole demo dataset as Parquet files in the canonical demo format."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from etl.demo.cases import generate_facts
from etl.demo.categories import COLUMNS as CATEGORY_COLUMNS
from etl.demo.categories import categories
from etl.demo.city import generate_city
from etl.demo.geography import load_geography
from etl.demo.organisation import build_organisation
from etl.demo.scales import get_scale
from etl.demo.sensors import build_sensors, finish_alarms, readings_and_alarms
from etl.demo.sink import Sink, columns
from etl.demo.staffing import generate_staffing, with_dates
from etl.demo.timebase import Window

# Load order: reference tables first so facts find their units, stations and departments.
KINDS = ("units", "stations", "departments", "categories", "sensors", "readings", "alarms", "cases", "hotline",
         "staffing")
TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class DemoFiles:
    out_dir: Path
    scale: str
    seed: int
    now: datetime
    files: Mapping[str, tuple[Path, ...]] = field(default_factory=lambda: MappingProxyType({}))
    rows: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    seconds: float = 0.0


def default_now() -> datetime:
    """The current local time (Asia/Shanghai, naive, whole minutes), so the big screen looks live."""
    return datetime.now(TZ).replace(tzinfo=None, second=0, microsecond=0)


def generate(out_dir: Path, scale: str = "district", seed: int = 20260, now: datetime | None = None,
             size: float = 1.0, days: int | None = None) -> DemoFiles:
    """Generate the demo dataset into ``out_dir`` (Parquet files per kind); deterministic in seed+now.

    ``size`` multiplies the scale's case, order and sensor counts and ``days`` replaces its window
    (tests build a small city with them).
    """
    t0 = time.perf_counter()
    sc = get_scale(scale).sized(size, days)
    now = (now or default_now()).replace(tzinfo=None, microsecond=0)
    win = Window(now=now, days=sc.days)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sink = Sink(out_dir)
    cats = categories()
    sink.put("categories", cats[CATEGORY_COLUMNS])
    if sc.name == "city":
        generate_city(sink, sc, win, seed)
    else:
        _generate_district(sink, sc.towns, sc.cases_per_year * sc.days / 365, sc.hotline_per_year * sc.days / 365,
                           sc.sensors, win, seed, cats)
    return DemoFiles(out_dir=out_dir, scale=scale, seed=seed, now=now,
                     files=MappingProxyType({k: tuple(sink.files[k]) for k in KINDS}),
                     rows=MappingProxyType({k: sink.rows[k] for k in KINDS}), seconds=time.perf_counter() - t0)


def _generate_district(sink: Sink, towns: tuple[str, ...] | None, cases_n: float, hotline_n: float,
                       sensors_n: int, win: Window, seed: int, cats: pd.DataFrame) -> None:
    # Independent streams per part: changing one generator leaves the others' output unchanged.
    ss = np.random.SeedSequence(seed)
    r_geo, r_org, r_sen, r_read, r_facts, r_staff = (np.random.default_rng(s) for s in ss.spawn(6))
    geo = load_geography(r_geo, towns)
    org = build_organisation(geo, r_org)
    sink.put("units", geo.units)
    sink.put("stations", org.stations[columns("station")])
    sink.put("departments", org.departments[columns("department")])
    sensors = build_sensors(geo, org, sensors_n, win, r_sen)
    # the demo's devices declare no direction, band or baseline (their thresholds read the default way)
    sink.put("sensors", sensors[[c for c in columns("sensors") if c in sensors]])
    alarm_parts: list[pd.DataFrame] = []
    sink.readings(readings_and_alarms(sensors, win, r_read, alarm_parts))
    alarms = finish_alarms(alarm_parts)
    facts = generate_facts(geo, org, cats, win, round(cases_n), round(hotline_n), alarms, r_facts)
    sink.put("alarms", facts.alarms[columns("sensor_alarms")])
    sink.put("cases", facts.cases)
    sink.put("hotline", facts.hotline)
    sink.put("staffing", with_dates(generate_staffing(geo, org, win, r_staff)))
