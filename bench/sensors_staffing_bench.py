"""Server time per filter change on /sensors and /staffing: p50 and p95 per page (ms).

    .venv/bin/python bench/sensors_staffing_bench.py [WAREHOUSE_DIR]    # e.g. /work/district

Without a warehouse it builds the tests' tiny one. Each measurement is one page render from a URL (what
a filter change costs the server: the pages router re-renders from the new URL). Variants: period
grains, every town, some grids, each sensor type (``sel=``), picked sensors (``sensor=``). Past periods
are timed apart, and their first views (the readings scan at the period's as-of instant runs) apart
from their repeat views (the page keeps that scan per snapshot for the last few as-of instants). Wall time
and process CPU time (all DuckDB threads) are both reported: on a shared machine the wall time mostly
measures the other tenants.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("VITALS_AUTH", "off")

from dashboard import data
from dashboard.app import create_app
from dashboard.components import sensors_view, staffing_view
from dashboard.components.page import context_from_search, run
from etl.settings import Settings
from metrics import sensors_explore


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p * (len(xs) - 1)))]


def main() -> None:
    if len(sys.argv) > 1:
        root = Path(sys.argv[1])
    else:
        from tests.dashboard.minimal_warehouse import build_warehouse

        root = Path(tempfile.mkdtemp())
        build_warehouse(root)
    app = create_app(Settings(warehouse=root / "vitals.duckdb"))
    rows: list[tuple[str, int, float, float, float, float, float]] = []
    with app.server.test_request_context("/"):
        units = context_from_search("").units
        con = data.connection()
        towns = list(units.loc[units["level"] == "town", "unit_code"])
        grids = list(units.loc[units["level"] == "grid", "unit_code"])
        types = sensors_explore.sensor_types(con)
        sensors = [r[0] for r in
                   con.execute("SELECT sensor_id FROM sensors ORDER BY hash(sensor_id) LIMIT 6").fetchall()]
        old = (data.site_now().date().replace(day=1) - timedelta(days=20)).isoformat()
        common: list[dict[str, Any]] = [{}, {"period": "week"}, {"period": "day"}, {"period": "quarter"},
                                        {"period": "year"}]
        common += [{"unit": u} for u in towns[:8] + grids[:6]]
        jobs: dict[str, tuple[Callable[[dict[str, Any]], Any], list[dict[str, Any]]]] = {
            "sensors": (lambda q: run("sensors", q, sensors_view.render),
                        common + [{"sel": t} for t in types] + [{"sensor": s} for s in sensors]),
            "sensors, past month": (lambda q: run("sensors", q, sensors_view.render),
                                    [{"date": old}, {"date": old, "unit": towns[0]}, {"date": old, "sel": types[0]}]),
            "staffing": (lambda q: run("staffing", q, staffing_view.render), common),
            "staffing, past month": (lambda q: run("staffing", q, staffing_view.render),
                                     [{"date": old}, {"date": old, "unit": towns[0]}]),
        }
        for name, (job, variants) in jobs.items():
            job({})  # warm: process caches (units, snapshot memo) as a running server has them
            rounds: list[tuple[list[float], list[float]]] = []
            for _ in range(3):
                times, cpu = [], []
                for q in variants:
                    t0, c0 = time.perf_counter(), time.process_time()
                    out = job(q)
                    times.append(1000 * (time.perf_counter() - t0))
                    cpu.append(1000 * (time.process_time() - c0))
                    assert "cv-message" not in str(out.to_plotly_json()), (name, q)
                rounds.append((times, cpu))
            # past periods: round 1 holds the month's first view (its readings scan runs) then filter changes in it,
            # rounds 2-3 repeat views (the scan is kept per snapshot): reported apart, and all together
            parts = [("", rounds)]
            if "past" in name:
                parts += [(" (round 1)", rounds[:1]), (" (rounds 2-3)", rounds[1:])]
            for suffix, rs in parts:
                times = [t for r in rs for t in r[0]]
                cpu = [c for r in rs for c in r[1]]
                rows.append((name + suffix, len(times), statistics.median(times), _pct(times, 0.95), max(times),
                             statistics.median(cpu), _pct(cpu, 0.95)))
        app.server.do_teardown_appcontext()
    print(f"warehouse: {root}  ({date.today()}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print("| page | n | p50 ms | p95 ms | max ms | CPU p50 ms | CPU p95 ms |\n|---|---|---|---|---|---|---|")
    for name, n, p50, p95, mx, c50, c95 in rows:
        print(f"| {name} | {n} | {p50:.1f} | {p95:.1f} | {mx:.1f} | {c50:.1f} | {c95:.1f} |")


if __name__ == "__main__":
    main()
