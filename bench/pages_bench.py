"""Server time per filter change on the leader/analyst pages: p50 and p95 per page (ms).

    .venv/bin/python bench/pages_bench.py [WAREHOUSE_DIR] [PAGE,...]

The optional second argument keeps only the named jobs (prefix match: ``hotline`` runs "hotline",
"hotline, unit hotspots", "hotline drilled" and "hotline rows (100)").

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
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import metrics
from dashboard.app import create_app
from dashboard.components import cases_view, hotline_view, rankings_view, stations_view
from dashboard.components.page import context_from_search, rows_page, run
from etl.settings import Settings


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p * (len(xs) - 1)))]


Timings = dict[str, list[float]]

# issue 19's headline view: the cases page over a whole year of the whole district, rendered again and
# again (the page keeps no result per URL, only option lists and unit names per snapshot: each render scans)
CASES_YEAR = "cases district × year"


def _is_error(page: Any) -> bool:
    """A page that rendered its error message instead of its body (a bench must not time that)."""
    return "cv-message" in str(page)


def measure(root: Path, only: list[str] | None = None, rounds: int = 3) -> tuple[Timings, Timings, Timings]:
    """(wall ms, process CPU ms, the first round's wall ms) per job over the pages' filter variants."""
    app = create_app(Settings(warehouse=root / "vitals.duckdb"))
    only = only or []
    results: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    first: dict[str, list[float]] = {}
    with app.server.test_request_context("/"):
        units = context_from_search("").units
        towns = list(units.loc[units["level"] == "town", "unit_code"])
        grids = list(units.loc[units["level"] == "grid", "unit_code"])
        variants: list[dict[str, Any]] = [{}, {"period": "week"}, {"period": "quarter"}, {"urgency": "urgent"}]
        variants += [{"unit": u} for u in towns + grids[:6]]
        month = context_from_search("").query.period.start.strftime("%Y-%m")
        jobs = {
            "cases": lambda q: run("cases", q, cases_view.render),
            CASES_YEAR: lambda q: run("cases", {"period": "year"}, cases_view.render),
            "rankings": lambda q: run("rankings", {**q, "level": "grid"}, rankings_view.render),
            "rankings village": lambda q: run("rankings", {**q, "level": "village", "measure": "closure_rate"},
                                              rankings_view.render),
            "stations": lambda q: run("stations", q, stations_view.render),
            "stations month drill": lambda q: run("stations", {**q, "drill": f"due_month:{month}"},
                                                  stations_view.render),
            # the page keeps the trend per snapshot; this is its cost on a first view
            "station_trend uncached": lambda q: metrics.station_trend(
                (c := context_from_search("?" + "&".join(f"{k}={v}" for k, v in q.items()))).con, c.query, 12),
            "cases rows (100)": lambda q: rows_page("cases", "?" + urlencode(q), 0, 100, []),
        }
        # hotline: the shared variants plus its own (a hotline category, unit hotspots, a drilled view)
        con = context_from_search("").con
        cats = [r[0] for r in con.execute("SELECT category FROM hotline_orders WHERE category IS NOT NULL "
                                          "GROUP BY 1 ORDER BY count(*) DESC LIMIT 3").fetchall()]
        hot_variants = variants + [{"category": c} for c in cats] + [{"category": cats[0], "period": "quarter"}]
        drilled = hotline_view.HX.hotspots(con, context_from_search("").query).head(5)
        drill_variants = [{"category": r.category, "drill": r.drill} for r in drilled.itertuples()] or [{}]
        jobs.update({
            "hotline": lambda q: run("hotline", q, hotline_view.render),
            "hotline, unit hotspots": lambda q: run("hotline", {**q, "sel": "unit"}, hotline_view.render),
            "hotline drilled": lambda q: run("hotline", q, hotline_view.render),
            "hotline rows (100)": lambda q: rows_page("hotline_orders", "?" + urlencode(q), 0, 100, []),
        })
        job_variants = {"hotline": hot_variants, "hotline, unit hotspots": variants[:4] + [{"unit": u} for u in towns],
                        "hotline drilled": drill_variants, "hotline rows (100)": hot_variants + drill_variants,
                        CASES_YEAR: [{}] * 8}
        for name, job in jobs.items():
            if only and not any(name.startswith(o) for o in only):
                continue
            if _is_error(job({})):  # warm
                raise RuntimeError(f"{name}: the page rendered an error message")
            times, cpus = [], []
            for r in range(rounds):
                for q in job_variants.get(name, variants):
                    t0, c0 = time.perf_counter(), time.process_time()
                    job(q)
                    times.append(1000 * (time.perf_counter() - t0))
                    cpus.append(1000 * (time.process_time() - c0))
                if r == 0:
                    first[name] = list(times)
            results[name], cpu[name] = times, cpus
    return results, cpu, first


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1]:
        root = Path(sys.argv[1])
    else:
        from tests.dashboard.minimal_warehouse import build_warehouse

        root = Path(tempfile.mkdtemp())
        build_warehouse(root)
    only = [x for x in (sys.argv[2].split(",") if len(sys.argv) > 2 else []) if x]
    results, cpu, first = measure(root, only)
    # "1st p95": the first round alone (each variant's first view). Per-snapshot caches (unit outlines,
    # code names per scope, past as-of readings) make later rounds cheaper than a first view.
    print(f"{'page':<24}{'n':>5}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}{'CPU p50':>10}{'CPU p95':>10}"
          f"{'1st p95':>10}")
    for name, xs in results.items():
        cs = cpu[name]
        print(f"{name:<24}{len(xs):>5}{statistics.median(xs):>10.1f}{pct(xs, 0.95):>10.1f}{max(xs):>10.1f}"
              f"{statistics.median(cs):>10.1f}{pct(cs, 0.95):>10.1f}{pct(first[name], 0.95):>10.1f}")


if __name__ == "__main__":
    main()
