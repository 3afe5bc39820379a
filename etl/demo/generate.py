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
import pyarrow as pa
import pyarrow.parquet as pq

from etl import schema
from etl.demo.cases import generate_facts
from etl.demo.categories import COLUMNS as CATEGORY_COLUMNS
from etl.demo.categories import categories
from etl.demo.geography import load_geography
from etl.demo.organisation import build_organisation
from etl.demo.scales import get_scale
from etl.demo.sensors import build_sensors, finish_alarms, readings_and_alarms
from etl.demo.staffing import generate_staffing
from etl.demo.timebase import Window

# Load order: reference tables first so facts find their units, stations and departments.
KINDS = ("units", "stations", "departments", "categories", "sensors", "readings", "alarms", "cases", "hotline",
         "staffing")
PATH = (*schema.PATH_COLUMNS, "load_run_id")
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


def _columns(table: str) -> list[str]:
    return [c for c in schema.TABLE_BY_NAME[table].column_names if c not in PATH]


def _write(df: pd.DataFrame, path: Path, row_group: int = 250_000) -> int:
    t = pa.Table.from_pandas(df, preserve_index=False)
    pq.write_table(t, path, row_group_size=row_group, compression="zstd")
    return len(df)


def generate(out_dir: Path, scale: str = "district", seed: int = 20260, now: datetime | None = None) -> DemoFiles:
    """Generate the demo dataset into ``out_dir`` (one Parquet file per kind); deterministic in seed+now."""
    t0 = time.perf_counter()
    sc = get_scale(scale)
    now = (now or default_now()).replace(tzinfo=None, microsecond=0)
    win = Window(now=now, days=sc.days)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # Independent streams per part: changing one generator leaves the others' output unchanged.
    ss = np.random.SeedSequence(seed)
    r_geo, r_org, r_sen, r_read, r_facts, r_staff = (np.random.default_rng(s) for s in ss.spawn(6))

    geo = load_geography(r_geo, sc.towns)
    org = build_organisation(geo, r_org)
    cats = categories()
    files: dict[str, tuple[Path, ...]] = {}
    rows: dict[str, int] = {}

    def put(kind: str, df: pd.DataFrame) -> None:
        p = out_dir / f"{kind}.parquet"
        rows[kind] = _write(df, p)
        files[kind] = (p,)

    put("units", geo.units)
    put("stations", org.stations[_columns("station")])
    put("departments", org.departments[_columns("department")])
    put("categories", cats[CATEGORY_COLUMNS])

    sensors = build_sensors(geo, org, sc.sensors, win, r_sen)
    # the demo's devices declare no direction, band or baseline (their thresholds read the default way)
    put("sensors", sensors[[c for c in _columns("sensors") if c in sensors]])
    alarm_parts: list[pd.DataFrame] = []
    rschema = pa.schema([("sensor_id", pa.dictionary(pa.int32(), pa.string())), ("ts", pa.timestamp("us")),
                         ("value", pa.float64())])
    # One file per chunk of ≤250 sensors (≤2.2M rows): the ETL stages a file at a time, so its memory
    # stays bounded; a single 40M-row file needed >15 GB to stage at district scale.
    rfiles: list[Path] = []
    n_read = 0
    for i, ch in enumerate(readings_and_alarms(sensors, win, r_read, alarm_parts), start=1):
        sid = pa.array(ch.sensor_ids, pa.string()).dictionary_encode()
        t = pa.table({"sensor_id": sid, "ts": pa.array(ch.ts), "value": pa.array(ch.value)}, schema=rschema)
        rp = out_dir / f"readings-{i:03d}.parquet"
        pq.write_table(t, rp, row_group_size=500_000, compression="zstd")
        rfiles.append(rp)
        n_read += len(ch.value)
    files["readings"], rows["readings"] = tuple(rfiles), n_read
    alarms = finish_alarms(alarm_parts)

    facts = generate_facts(geo, org, cats, win, round(sc.cases_per_year * sc.days / 365),
                           round(sc.hotline_per_year * sc.days / 365), alarms, r_facts)
    put("alarms", facts.alarms[_columns("sensor_alarms")])
    put("cases", facts.cases)
    put("hotline", facts.hotline)
    staff = generate_staffing(geo, org, win, r_staff)
    staff["duty_date"] = pd.Series(staff.duty_date.to_numpy().astype("datetime64[D]")).dt.date
    put("staffing", staff)
    return DemoFiles(out_dir=out_dir, scale=scale, seed=seed, now=now,
                     files=MappingProxyType({k: files[k] for k in KINDS}),
                     rows=MappingProxyType({k: rows[k] for k in KINDS}), seconds=time.perf_counter() - t0)
