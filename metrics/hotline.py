"""12345 hotline: the rate indicators are declared in the catalog; this module adds repeat
complaints (顽症): the same place and category recurring at least N times within M days."""

from __future__ import annotations

import math
from typing import Literal

import duckdb
import pandas as pd

from .compiler import scope_sql
from .indicators import unit_level
from .predicates import HOTLINE
from .query import Query, QueryError

METRES_PER_DEGREE_LAT = 111_320.0
REFERENCE_LAT = 31.2  # Shanghai; cells are ~cell_m square near it


def cell_size(cell_m: float) -> tuple[float, float]:
    """(dlon, dlat) in degrees of a ~``cell_m`` metre cell near Shanghai."""
    dlat = cell_m / METRES_PER_DEGREE_LAT
    return cell_m / (METRES_PER_DEGREE_LAT * math.cos(math.radians(REFERENCE_LAT))), dlat


def cell_sql(cell_m: float) -> tuple[str, str, dict[str, float]]:
    """SQL for a row's cell indices (ix, iy) and its parameters: the one rule the hotspots and the
    drill into a cell share, so a drilled cell lists exactly the orders its hotspot counted."""
    dlon, dlat = cell_size(cell_m)
    return ("CAST(floor(lon / $dlon) AS BIGINT)", "CAST(floor(lat / $dlat) AS BIGINT)",
            {"dlon": dlon, "dlat": dlat})


def repeat_complaints(con: duckdb.DuckDBPyConnection, query: Query, min_count: int = 3, within_days: int = 30,
                      place: Literal["unit", "cell"] = "unit", cell_m: float = 100.0) -> pd.DataFrame:
    """Hotspots: (place, category) with at least ``min_count`` orders within any ``within_days``
    window ending in the query period. ``place`` is the unit (unit_code) or a ~``cell_m`` metre grid
    cell of the coordinates. Columns: place, category, town_code, orders_in_period, max_in_window,
    first_at, last_at, lon, lat; most recurrent first."""
    if min_count < 2 or within_days < 1 or cell_m <= 0:
        raise QueryError("repeat complaints need min_count ≥ 2, within_days ≥ 1 and a positive cell size")
    where, params = scope_sql(HOTLINE, query, unit_level(con, query.unit))
    if place == "unit":
        keys, key_sql, place_sql = ["k1"], "unit_code AS k1", "k1"
        where.append("unit_code IS NOT NULL")
    elif place == "cell":
        ix, iy, cell_params = cell_sql(cell_m)
        # integer cell keys while grouping and partitioning (strings cost ~2× there); the "ix:iy" text
        # only for the few rows that come out
        keys, key_sql, place_sql = ["k1", "k2"], f"{ix} AS k1, {iy} AS k2", "k1 || ':' || k2"
        params.update(cell_params)
        where.append("lon IS NOT NULL AND lat IS NOT NULL")
    else:
        raise QueryError(f"unknown place kind {place!r}")
    where += ["category IS NOT NULL", "received_at >= $lookback", "received_at < $e"]
    params.update(s=query.period.start, e=query.period.end,
                  lookback=query.period.start - pd.Timedelta(days=within_days))
    key_list = ", ".join(keys)
    # The window width is an int we validated, rendered as a literal: DuckDB frames take no parameters.
    # Only (place, category) pairs with at least min_count orders in [lookback, e), one of them in the
    # period, can be a hotspot: for cells the semi-join keeps the window function (a sort per partition)
    # off the ~75 % of rows that cannot be. Per unit nearly every (unit, category) pair passes (few, large
    # partitions): there the prefilter only costs (measured ~15 % slower), so it applies to cells only.
    # The prefilter, the semi-join, the window and the result groups all key on one 64-bit hash of the
    # pair, computed once per row, instead of (keys, category text): cells of a district quarter
    # ≈ 63 → 54 ms CPU (single thread). Each result group reports whether it mixed two pairs (a hash
    # collision, never seen but possible; a collision only merges pairs, so the prefilter still passes
    # every candidate): then the query runs again keyed by the pair itself, so the result is exact either
    # way. town_code is the smallest of the pair's towns (a cell can straddle two): any_value was not
    # deterministic, the label could change between two renders of the same view.
    params["min_count"] = int(min_count)
    for hashed in (True, False):
        pair = "h" if hashed else f"{key_list}, category"  # the fallback: exact
        firsts = ", ".join(f"min({k}) AS {k}" for k in keys)
        mixed = " OR ".join(f"min({c}) IS DISTINCT FROM max({c})" for c in [*keys, "category"])
        prefilter, semi = ("", "") if place == "unit" else (
            f", k AS (SELECT {pair} FROM o GROUP BY ALL "
            "HAVING count(*) >= $min_count AND count(*) FILTER (WHERE received_at >= $s) > 0)",
            f"SEMI JOIN k USING ({pair})")
        sql = f"""
        WITH r AS (
          SELECT {key_sql}, category, town_code, received_at, lon, lat
          FROM hotline_orders WHERE {' AND '.join(where)}
        ), o AS (
          SELECT *{f", hash({key_list}, category) AS h" if hashed else ""} FROM r
        ){prefilter}, w AS (
          SELECT o.*, count(*) OVER (PARTITION BY {pair} ORDER BY received_at
                                     RANGE BETWEEN INTERVAL {int(within_days)} DAYS PRECEDING AND CURRENT ROW) AS n
          FROM o {semi}
        ), g AS (
          SELECT {firsts}, min(category) AS category, ({mixed}) AS mixed, min(town_code) AS town_code,
                 count(*) FILTER (WHERE received_at >= $s) AS orders_in_period,
                 max(n) FILTER (WHERE received_at >= $s) AS max_in_window,
                 min(received_at) FILTER (WHERE received_at >= $s) AS first_at,
                 max(received_at) AS last_at, avg(lon) AS lon, avg(lat) AS lat
          FROM w GROUP BY {pair}
        )
        SELECT {place_sql} AS place, category, mixed, town_code, orders_in_period, max_in_window, first_at,
               last_at, lon, lat
        FROM g WHERE max_in_window >= $min_count OR mixed
        ORDER BY max_in_window DESC, orders_in_period DESC, place, category
        """
        df = con.execute(sql, params).df()
        if not df["mixed"].any():
            break
    return df[~df["mixed"].astype(bool)].drop(columns=["mixed"]).reset_index(drop=True)
