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

from dashboard.app import create_app
from dashboard.components import cases_view, rankings_view
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
    with app.server.test_request_context("/"):
        units = context_from_search("").units
        towns = list(units.loc[units["level"] == "town", "unit_code"])
        grids = list(units.loc[units["level"] == "grid", "unit_code"])
        variants: list[dict[str, Any]] = [{}, {"period": "week"}, {"period": "quarter"}, {"urgency": "urgent"}]
        variants += [{"unit": u} for u in towns + grids[:6]]
        jobs = {
            "cases": lambda q: run("cases", q, cases_view.render),
            "rankings": lambda q: run("rankings", {**q, "level": "grid"}, rankings_view.render),
            "cases rows (100)": lambda q: rows_page("cases", "?" + "&".join(f"{k}={v}" for k, v in q.items()),
                                                    0, 100, []),
        }
        for name, job in jobs.items():
            job({})  # warm
            times = []
            for _ in range(3):
                for q in variants:
                    t0 = time.perf_counter()
                    job(q)
                    times.append(1000 * (time.perf_counter() - t0))
            results[name] = times
    print(f"{'page':<20}{'n':>5}{'p50 ms':>10}{'p95 ms':>10}")
    for name, xs in results.items():
        print(f"{name:<20}{len(xs):>5}{statistics.median(xs):>10.1f}{_pct(xs, 0.95):>10.1f}")


if __name__ == "__main__":
    main()
