"""Server time per filter change on the leader/analyst pages: p50 and p95 per page (ms).

    .venv/bin/python bench/pages_bench.py [WAREHOUSE_DIR]

Without a warehouse it builds the tests' minimal warehouse (tiny scale). Each measurement is one
page render from a URL (what a filter change costs the server) or one 100-row block of the table.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import metrics
from dashboard.app import create_app
from dashboard.components import cases_view, rankings_view, stations_view
from dashboard.components.page import context_from_search, rows_page, run
from etl.settings import Settings


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
    results: dict[str, list[float]] = {}
    cpu_results: dict[str, list[float]] = {}
    with app.server.test_request_context("/"):
        units = context_from_search("").units
        towns = list(units.loc[units["level"] == "town", "unit_code"])
        grids = list(units.loc[units["level"] == "grid", "unit_code"])
        variants: list[dict[str, Any]] = [{}, {"period": "week"}, {"period": "quarter"}, {"urgency": "urgent"}]
        variants += [{"unit": u} for u in towns + grids[:6]]
        month = context_from_search("").query.period.start.strftime("%Y-%m")
        jobs = {
            "cases": lambda q: run("cases", q, cases_view.render),
            "rankings": lambda q: run("rankings", {**q, "level": "grid"}, rankings_view.render),
            "rankings village": lambda q: run("rankings", {**q, "level": "village", "measure": "closure_rate"},
                                              rankings_view.render),
            "stations": lambda q: run("stations", q, stations_view.render),
            "stations month drill": lambda q: run("stations", {**q, "drill": f"due_month:{month}"},
                                                  stations_view.render),
            # the page keeps the trend per snapshot; this is its cost on a first view
            "station_trend uncached": lambda q: metrics.station_trend(
                (c := context_from_search("?" + "&".join(f"{k}={v}" for k, v in q.items()))).con, c.query, 12),
            "cases rows (100)": lambda q: rows_page("cases", "?" + "&".join(f"{k}={v}" for k, v in q.items()),
                                                    0, 100, []),
        }
        for name, job in jobs.items():
            job({})  # warm
            times, cpu = [], []
            for _ in range(3):
                for q in variants:
                    t0, c0 = time.perf_counter(), time.process_time()
                    job(q)
                    times.append(1000 * (time.perf_counter() - t0))
                    cpu.append(1000 * (time.process_time() - c0))
            results[name] = times
            cpu_results[name] = cpu
    print(f"{'page':<22}{'n':>5}{'p50 ms':>10}{'p95 ms':>10}{'CPU p50':>10}{'CPU p95':>10}")
    for name, xs in results.items():
        cs = cpu_results[name]
        print(f"{name:<22}{len(xs):>5}{statistics.median(xs):>10.1f}{_pct(xs, 0.95):>10.1f}"
              f"{statistics.median(cs):>10.1f}{_pct(cs, 0.95):>10.1f}")


if __name__ == "__main__":
    main()
