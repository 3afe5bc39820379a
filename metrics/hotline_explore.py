"""Reads behind the hotline page (12345 热线): filter choices, categories, repeat-complaint hotspots.

The four rates and their 12-month trend are catalog indicators (``indicator_values`` /
``monthly_trend``: one compiled scan each). Category counts and the order table share
``explore._where`` (received in the period + the page's filters), and a hotspot's drill
(``cell:ix:iy:metres`` or ``place:<unit>`` plus its category) uses the cell rule of
``metrics.hotline.cell_sql``, so a drilled table lists exactly the orders a bar or hotspot counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import duckdb
import pandas as pd

from .explore import Drill, _where
from .hotline import cell_size, repeat_complaints
from .query import Query, QueryError

RATE_IDS = ("hotline_first_contact_rate", "hotline_resolution_rate", "hotline_satisfaction_rate",
            "hotline_ontime_rate")
HOT_MIN_COUNT = 3  # 顽症: the same place and category at least N times ...
HOT_WITHIN_DAYS = 30  # ... within M days
CELL_M = 100.0
Place = Literal["unit", "cell"]


@dataclass(frozen=True)
class HotspotRule:
    min_count: int = HOT_MIN_COUNT
    within_days: int = HOT_WITHIN_DAYS
    place: Place = "cell"
    cell_m: float = CELL_M


def filter_options(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    """Choices of the filter bar on this page: hotline categories (their own Chinese text), channels,
    statuses (value, label)."""
    out = {}
    for name, col in (("category", "category"), ("source", "channel"), ("status", "status")):
        vals = con.execute(f"SELECT DISTINCT {col} FROM hotline_orders WHERE {col} IS NOT NULL ORDER BY 1").fetchall()
        out[name] = [(str(v), str(v)) for (v,) in vals]
    return out


def category_counts(con: duckdb.DuckDBPyConnection, query: Query, drill: Drill | None = None) -> pd.DataFrame:
    """Orders received in the period per category and per (category, subcategory), one scan.
    Columns category, subcategory (None on the category rows), orders; most orders first."""
    where, params = _where(con, "hotline_orders", query, drill)
    df = con.execute(
        f"SELECT category, subcategory, count(*) AS orders FROM hotline_orders WHERE {where} "
        "AND category IS NOT NULL GROUP BY GROUPING SETS ((category), (category, subcategory)) "
        "HAVING grouping(subcategory) = 1 OR subcategory IS NOT NULL "
        "ORDER BY orders DESC, category, subcategory NULLS FIRST", params).df()
    df["orders"] = df["orders"].astype("int64")
    return df


def hotspots(con: duckdb.DuckDBPyConnection, query: Query, rule: HotspotRule = HotspotRule()) -> pd.DataFrame:
    """``repeat_complaints`` with, per hotspot, the drill that lists its orders in the period
    (``drill`` column; the category goes with it as the ``category`` filter) and its cell indices."""
    if rule.cell_m > 10_000:
        raise QueryError("a hotspot cell can be at most 10 km wide")
    df = repeat_complaints(con, query, rule.min_count, rule.within_days, rule.place, rule.cell_m)
    if rule.place == "cell":
        df["drill"] = [f"cell:{p}:{rule.cell_m:g}" for p in df["place"]]
    else:
        df["drill"] = [f"place:{p}" for p in df["place"]]
    return df


def cell_centre(ix: int, iy: int, cell_m: float) -> tuple[float, float]:
    """(lon, lat) of a cell's centre."""
    dlon, dlat = cell_size(cell_m)
    return (ix + 0.5) * dlon, (iy + 0.5) * dlat


def drill_count(con: duckdb.DuckDBPyConnection, query: Query, drill: Drill) -> int:
    """Orders behind a drill (the order table's total); raises ``QueryError`` for a drill this table lacks."""
    where, params = _where(con, "hotline_orders", query, drill)
    return int(con.execute(f"SELECT count(*) FROM hotline_orders WHERE {where}", params).fetchone()[0])  # type: ignore[index]
