"""Rollups against rows: the same metrics calls on one warehouse, read from its rollups and from rows.

    .venv/bin/python bench/rollups_bench.py --warehouse DIR_OR_FILE [--repeat 5]

The warehouse (e.g. ``vitals demo --scale town --no-serve --warehouse /tmp/x/vitals.duckdb``) is copied
to a scratch file whose ``warehouse_meta.rollups`` is cleared, so there every call reads rows
(``metrics.rollups.ready`` is false); the original reads the additive indicators from its rollups. Each
call is timed cold (first call on a fresh connection) and warm (median of ``--repeat``), and both
answers are compared (equal to 1e-9). Not a timed test: figures go into docs/architecture.md by hand.
"""

from __future__ import annotations

import argparse
import math
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from metrics import VITAL_SIGNS, Period, Query, indicator_table, indicator_values, monthly_trend, vital_signs
from metrics.catalog import INDICATORS
from metrics.indicators import data_now
from metrics.rollups import ROLLUPS, additive

ADDITIVE = tuple(i.id for i in INDICATORS if additive(i))


def scenarios(con: duckdb.DuckDBPyConnection) -> list[tuple[str, Callable[[duckdb.DuckDBPyConnection], Any]]]:
    now = data_now(con)
    assert now is not None, "the warehouse records no data 'now'"
    month = Query(Period.containing("month", now.date()))
    year = Query(Period.containing("year", now.date()))
    days30 = Query(Period.custom(now.date() - timedelta(days=29), now.date()))
    town = con.execute("SELECT unit_code FROM org_unit WHERE level = 'town' ORDER BY unit_code LIMIT 1").fetchone()
    cat = con.execute("SELECT left(category_code, 3) FROM cases GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()
    assert town is not None and cat is not None
    filtered = Query(year.period, category=str(cat[0]), urgency="general")
    return [
        ("KPI tiles, additive set, month", lambda c: indicator_values(c, ADDITIVE, month)),
        ("KPI tiles, additive set, year", lambda c: indicator_values(c, ADDITIVE, year)),
        ("KPI tiles, additive set, year, one town", lambda c: indicator_values(
            c, ADDITIVE, Query(year.period, unit=str(town[0])))),
        ("KPI tiles, additive set, year, category + urgency", lambda c: indicator_values(c, ADDITIVE, filtered)),
        ("ranking table by village, additive set, 30 days", lambda c: indicator_table(c, ADDITIVE, days30, "village")),
        ("trend 12 months, additive set", lambda c: monthly_trend(c, ADDITIVE, month)),
        ("trend 12 months by town, additive set", lambda c: monthly_trend(c, ADDITIVE, month, by="town")),
        ("wall: vital signs, 30 days (mixed)", lambda c: vital_signs(c, days30)),
        ("big-screen set, month (mixed)", lambda c: indicator_values(c, (*VITAL_SIGNS, "registered", "alarms"),
                                                                     month)),
    ]


def same(a: Any, b: Any) -> bool:
    if isinstance(a, pd.DataFrame):
        return a.shape == b.shape and all(same(x, y) for x, y in zip(a.to_numpy().ravel(), b.to_numpy().ravel(),
                                                                     strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None or (isinstance(a, float) and math.isnan(a)):
            return (a is None or math.isnan(a)) and (b is None or math.isnan(b))
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if hasattr(a, "__dataclass_fields__"):
        return all(same(getattr(a, f), getattr(b, f)) for f in a.__dataclass_fields__)
    if isinstance(a, tuple | list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def timed(path: Path, fn: Callable[[duckdb.DuckDBPyConnection], Any], repeat: int) -> tuple[float, float, Any]:
    con = duckdb.connect(str(path), read_only=True)
    t0 = time.perf_counter()
    out = fn(con)
    cold = time.perf_counter() - t0
    warm = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(con)
        warm.append(time.perf_counter() - t0)
    con.close()
    return cold * 1000, statistics.median(warm) * 1000, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", type=Path, required=True)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    link = args.warehouse / "vitals.duckdb" if args.warehouse.is_dir() else args.warehouse
    fast = link.resolve()
    with tempfile.TemporaryDirectory(prefix="vitals-rollup-bench-") as tmp:
        raw = Path(tmp) / "raw.duckdb"
        shutil.copyfile(fast, raw)
        with duckdb.connect(str(raw)) as w:
            w.execute("DELETE FROM warehouse_meta WHERE key = 'rollups'")
        with duckdb.connect(str(fast), read_only=True) as c:
            sizes = {t: c.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
                     for t in ("cases", "hotline_orders", "sensor_alarms", *(r.name for r in ROLLUPS))}
            plan = scenarios(c)
        print("rows: " + ", ".join(f"{t} {n:,}" for t, n in sizes.items()))
        print("\n| call | rows: cold / warm ms | rollups: cold / warm ms | warm ratio | equal |")
        print("|---|---|---|---|---|")
        ratios = []
        for name, fn in plan:
            rc, rw, rout = timed(raw, fn, args.repeat)
            fc, fw, fout = timed(fast, fn, args.repeat)
            ratios.append(fw / rw)
            print(f"| {name} | {rc:.0f} / {rw:.0f} | {fc:.0f} / {fw:.0f} | {fw / rw:.2f} | "
                  f"{'yes' if same(fout, rout) else 'NO'} |", flush=True)
        print(f"\ngeomean warm ratio (rollups / rows): {statistics.geometric_mean(ratios):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
