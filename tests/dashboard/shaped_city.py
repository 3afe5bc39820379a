"""Small warehouses of a chosen hierarchy shape and time span, built through the real ETL (the canonical
demo mappings, Parquet): a 6-level city (市 → 区 → 街镇 → 网格 → 村居 → 微网格), a 1-level one (units
with no parent), historical data ending on a month's last day or in the middle of a month.

Every order is placed at the LOWEST level's units (round robin), so each level above counts them through
the unit path the ETL fills; only one level (``shaped``) has polygons, so the wall map has to find it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from etl.load import load_files
from etl.settings import Settings

SITE_NOW = "2026-12-01T09:00:00"  # years after every span below: the data is historical


@dataclass(frozen=True)
class Shape:
    levels: tuple[str, ...]  # slots, top first
    fanout: int = 2  # children per unit
    shaped: str | None = None  # the level with polygons (None: none)


SIX = Shape(("city", "district", "town", "grid", "village", "microgrid"), fanout=2, shaped="town")
ONE = Shape(("town",), fanout=4, shaped="town")


def settings(warehouse: Path, now: str = SITE_NOW) -> Settings:
    return Settings(warehouse=warehouse, site_name_zh="样例市", site_name_en="Sample City",
                    sections=MappingProxyType({"site": {"now": now}}))


def _square(i: int) -> str:
    x, y = 121.0 + 0.01 * (i % 50), 31.0 + 0.01 * (i // 50)
    ring = [[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def units(shape: Shape) -> pd.DataFrame:
    """The tree: one root for a multi-level shape (a 1-level shape: ``fanout`` roots), then ``fanout``
    children per unit; codes spell the path (``U``, ``U.1``, ``U.1.2`` ...)."""
    rows: list[dict[str, object]] = []
    tops = ["U"] if len(shape.levels) > 1 else [f"U{i}" for i in range(1, shape.fanout + 1)]
    layer = [(code, None) for code in tops]
    for depth, level in enumerate(shape.levels):
        for code, parent in layer:
            rows.append({"unit_code": code, "parent_code": parent, "level": level,
                         "name_zh": f"{level}{code}", "name_en": f"{level} {code}"})
        if depth + 1 < len(shape.levels):
            layer = [(f"{code}.{k}", code) for code, _ in layer for k in range(1, shape.fanout + 1)]
    df = pd.DataFrame(rows)
    df["geojson"] = [_square(i) if lv == shape.shaped else None for i, lv in enumerate(df["level"])]
    df["approximate"] = [False if g else None for g in df["geojson"]]
    return df


def leaves(shape: Shape) -> list[str]:
    df = units(shape)
    return df.loc[df["level"] == shape.levels[-1], "unit_code"].tolist()


def orders(start: datetime, end: datetime, every: timedelta, at: Sequence[str]) -> pd.DataFrame:
    """One order per ``every`` from ``start`` to ``end`` inclusive, at the units ``at`` in turn; every
    third stays open, the others close 5 hours after they arrive."""
    times = []
    t = start
    while t <= end:
        times.append(t)
        t += every
    n = len(times)
    return pd.DataFrame({
        "order_id": [f"demo:{i}" for i in range(n)], "source_system": ["demo"] * n,
        "source_id": [str(i) for i in range(n)], "received_at": pd.to_datetime(times),
        "closed_at": pd.to_datetime([None if i % 3 == 2 else times[i] + timedelta(hours=5) for i in range(n)]),
        "unit_code": [at[i % len(at)] for i in range(n)], "category": ["噪声"] * n,
    })


def build(root: Path, shape: Shape, hotline: pd.DataFrame) -> Path:
    """Load the units and the orders into ``root``/vitals.duckdb; returns the warehouse link."""
    root.mkdir(parents=True, exist_ok=True)
    wh = root / "vitals.duckdb"
    s = settings(wh)
    units(shape).to_parquet(root / "units.parquet")
    hotline.to_parquet(root / "hotline.parquet")
    load_files(wh, "units", [root / "units.parquet"], "demo_units", settings=s)
    rep = load_files(wh, "hotline", [root / "hotline.parquet"], "demo_hotline", settings=s)
    assert rep.rows_rejected == 0, rep.reasons
    return wh
