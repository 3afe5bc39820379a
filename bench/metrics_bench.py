"""Benchmark of the metrics layer at district scale (not a timed test).

    .venv/bin/python bench/metrics_bench.py [--warehouse PATH] [--demo] [--month YYYY-MM] [--write-doc]

Builds a synthetic district warehouse of the size in domain.md §7 (Qingpu: 11 街镇, 351 村居,
43 stations, ~1M cases and ~0.5M hotline orders a year) unless ``--warehouse`` names an existing
one (``--demo`` builds it with ``etl.demo.build_demo`` when the demo generator is available), then
times, cold (fresh connection) and warm (median of 7):

- the big-screen set: every vital-sign indicator plus the counts, district scope, one month with
  the previous month (one statement per fact table);
- a full ranking table: every 村居 on closure rate with previous-period ranks;
- vital_signs (the CityScore of the scored set), and with ``rolling=True`` (+ 7/30/90-day windows);

against the floor: one raw DuckDB query per fact table that scans the same rows and columns and
aggregates each column once; and the compiled statements run raw (no Python around them), which
splits the layer's cost into DuckDB evaluating the declared predicates and the layer's own work.
``--write-doc`` writes the table into docs/metrics.md.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from etl.schema import TABLE_BY_NAME, ddl
from metrics import VITAL_SIGNS, Period, Query, indicator_values, ranking, vital_signs
from metrics.catalog import resolve
from metrics.compiler import as_of, compile_scan
from metrics.config import measure_params
from metrics.doc import BENCH_MARK, DOC, render
from metrics.indicators import data_now
from metrics.scores import ROLLING_DAYS

BIG_SCREEN = (*VITAL_SIGNS, "registered", "due", "closed", "open_backlog", "overdue_backlog", "hotline_orders",
              "hotline_backlog", "handling_p50")


def build_synthetic(path: Path, cases: int = 1_000_000, orders: int = 500_000) -> None:
    """A district-sized warehouse generated in SQL (seeded, so reruns build the same data)."""
    con = duckdb.connect(str(path))
    con.execute(ddl())
    con.execute("SELECT setseed(0.42)")
    con.execute("""
    INSERT INTO org_unit (unit_code, parent_code, level, name_zh, peer_group, district_code)
      VALUES ('D', NULL, 'district', '青浦区', NULL, 'D');
    INSERT INTO org_unit (unit_code, parent_code, level, name_zh, peer_group, district_code, town_code)
      SELECT 'T' || lpad(i::VARCHAR, 2, '0'), 'D', 'town', '街镇' || i, CASE WHEN i < 3 THEN 'street' ELSE 'town' END,
             'D', 'T' || lpad(i::VARCHAR, 2, '0') FROM range(11) t(i);
    INSERT INTO org_unit (unit_code, parent_code, level, name_zh, district_code, town_code, grid_code)
      SELECT 'G' || lpad(g::VARCHAR, 2, '0'), 'T' || lpad((g // 5)::VARCHAR, 2, '0'), 'grid', '网格' || g, 'D',
             'T' || lpad((g // 5)::VARCHAR, 2, '0'), 'G' || lpad(g::VARCHAR, 2, '0') FROM range(51) t(g);
    INSERT INTO org_unit (unit_code, parent_code, level, name_zh, peer_group, district_code, town_code, grid_code,
                          village_code)
      SELECT 'V' || lpad(v::VARCHAR, 3, '0'), 'G' || lpad((v // 7)::VARCHAR, 2, '0'), 'village', '村居' || v,
             CASE WHEN v % 3 = 0 THEN 'urban' ELSE 'rural' END, 'D', 'T' || lpad((v // 35)::VARCHAR, 2, '0'),
             'G' || lpad((v // 7)::VARCHAR, 2, '0'), 'V' || lpad(v::VARCHAR, 3, '0') FROM range(351) t(v);
    INSERT INTO station (station_code, name_zh, station_type, district_code, town_code)
      SELECT 'S' || lpad(i::VARCHAR, 2, '0'), '工作站' || i, 'liaison', 'D', 'T' || lpad((i // 4)::VARCHAR, 2, '0')
      FROM range(43) t(i);
    """)
    con.execute(f"""
    INSERT INTO cases (case_id, source_system, source_id, source, proactive, urgency, category_code, status,
      reported_at, registered_at, dispatched_at, arrived_at, first_result_at, disposed_at, closed_at, deadline_at,
      cancelled, rework_count, escalated, supervision_report, station_code, dept_code,
      district_code, town_code, grid_code, village_code, unit_code)
    WITH b AS (
      SELECT i, (i % 351) AS v, TIMESTAMP '2026-01-01' + to_seconds((random() * 365 * 86400)::BIGINT) AS rep,
             random() AS r1, random() AS r2, random() AS r3
      FROM range({cases}) t(i)
    ), c AS (
      SELECT *, rep + INTERVAL 10 MINUTE AS reg,
             to_hours(CASE WHEN r1 < 0.3 THEN 24 WHEN r1 < 0.8 THEN 72 ELSE 168 END) AS lim FROM b
    )
    SELECT 'c' || i, 'syn', i::VARCHAR, CASE WHEN r2 < 0.8 THEN 'patrol' ELSE 'hotline_12345' END, r2 < 0.8,
           CASE WHEN r3 < 0.05 THEN 'urgent' ELSE 'general' END, 'E01' || lpad((i % 40)::VARCHAR, 3, '0'),
           CASE WHEN r1 < 0.93 THEN 'closed' ELSE 'dispatched' END,
           rep, reg, reg + INTERVAL 5 MINUTE,
           reg + INTERVAL 5 MINUTE + to_seconds((r2 * 1500)::BIGINT),
           reg + INTERVAL 5 MINUTE + to_seconds((r3 * 5400)::BIGINT),
           CASE WHEN r1 < 0.93 THEN reg + to_seconds((r3 * 1.2 * epoch(lim))::BIGINT) END,
           CASE WHEN r1 < 0.93 THEN reg + to_seconds((r3 * 1.3 * epoch(lim))::BIGINT) + INTERVAL 1 HOUR END,
           reg + lim, i % 100 = 0, (i % 25 = 0)::INTEGER, i % 50 = 0, i % 33 = 0,
           CASE WHEN i % 10 < 3 THEN 'S' || lpad((i % 43)::VARCHAR, 2, '0') END, 'P' || (i % 30),
           'D', 'T' || lpad((v // 35)::VARCHAR, 2, '0'), 'G' || lpad((v // 7)::VARCHAR, 2, '0'),
           'V' || lpad(v::VARCHAR, 3, '0'), 'V' || lpad(v::VARCHAR, 3, '0')
    FROM c
    """)
    con.execute(f"""
    INSERT INTO hotline_orders (order_id, source_system, source_id, channel, received_at, category, urgency,
      agency, dept_code, status, first_contact, due_at, closed_at, resolution, satisfaction,
      district_code, town_code, grid_code, village_code, unit_code)
    WITH b AS (SELECT i, i % 351 AS v, TIMESTAMP '2026-01-01' + to_seconds((random() * 365 * 86400)::BIGINT) AS rec,
                      random() AS r1, random() AS r2 FROM range({orders}) t(i))
    SELECT 'h' || i, 'syn', i::VARCHAR, '12345', rec, '类别' || (i % 30), 'general', '部门' || (i % 30),
           'P' || (i % 30), CASE WHEN r1 < 0.97 THEN 'closed' ELSE 'open' END,
           CASE WHEN r2 < 0.1 THEN NULL ELSE r2 < 0.95 END, rec + INTERVAL 5 DAY,
           CASE WHEN r1 < 0.97 THEN rec + to_seconds((r2 * 6 * 86400)::BIGINT) END,
           CASE WHEN r2 < 0.8 THEN 'resolved' ELSE 'explained' END,
           CASE WHEN r1 < 0.9 THEN 'satisfied' WHEN r1 < 0.95 THEN 'basic' WHEN r1 < 0.97 THEN 'unsatisfied' END,
           'D', 'T' || lpad((v // 35)::VARCHAR, 2, '0'), 'G' || lpad((v // 7)::VARCHAR, 2, '0'),
           'V' || lpad(v::VARCHAR, 3, '0'), 'V' || lpad(v::VARCHAR, 3, '0')
    FROM b
    """)
    con.execute("CHECKPOINT")
    con.close()


def periods_of(query: Query, rolling: bool, now: datetime | None) -> list[Period]:
    """The periods one scan evaluates: the query's and the previous one (+ the 7/30/90-day windows)."""
    out = [query.period, query.period.previous()]
    if rolling:
        end = as_of(query.period, now)
        out += [Period(end - timedelta(days=d), end, "custom") for d in ROLLING_DAYS]
    return out


Statement = tuple[str, dict]


def floor_sql(con: duckdb.DuckDBPyConnection, ids: tuple[str, ...], by: str | None, query: Query,
              rolling: bool = False) -> tuple[list[Statement], list[Statement]]:
    """Per fact table: (the floor: one raw query scanning the same rows and columns as the compiled
    statement, the compiled statement itself). Timing the statements alone splits the layer's cost
    into DuckDB evaluating them and the Python around them."""
    inds = resolve(list(ids), {})
    now = data_now(con)
    out, stmts = [], []
    for table in dict.fromkeys(i.table for i in inds):
        comp = compile_scan(table, [i for i in inds if i.table == table], periods_of(query, rolling, now),
                            by, query, None, now, measure_params({}))
        used = [c for c in TABLE_BY_NAME[table].column_names if re.search(rf"\b{c}\b", comp.sql)]
        aggs = ", ".join(f"count({c})" for c in used)
        # the same rows: the statement's WHERE clause (base filter, scope, row window), no predicates
        where = comp.sql[comp.sql.index("\n  WHERE ") + 3:comp.sql.rindex(")")].split(" GROUP BY")[0]
        params = {k: v for k, v in comp.params.items() if f"${k}" in where}
        out.append((f"SELECT {aggs} FROM {table} {where}", params))
        stmts.append((comp.sql, comp.params))
    return out, stmts


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """(cold wall, warm wall median, warm CPU median) in ms. CPU = this process's time on all DuckDB
    threads: far steadier than wall time on a machine other jobs share."""
    t0 = time.perf_counter()
    fn()
    cold = time.perf_counter() - t0
    runs, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        runs.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return cold * 1000, statistics.median(runs) * 1000, statistics.median(cpu) * 1000


Row = tuple[str, float, float, float, float, float, float, float]


def run(path: Path, query: Query, repeat: int = 7) -> list[Row]:
    rows = []
    con = duckdb.connect(str(path), read_only=True)
    n_cases = con.execute("SELECT count(*) FROM cases").fetchone()[0]  # type: ignore[index]
    n_orders = con.execute("SELECT count(*) FROM hotline_orders").fetchone()[0]  # type: ignore[index]
    n_vil = con.execute("SELECT count(*) FROM org_unit WHERE level = 'village'").fetchone()[0]  # type: ignore[index]
    con.close()
    cases = [
        (f"big-screen set ({len(BIG_SCREEN)} indicators)",
         lambda c: indicator_values(c, BIG_SCREEN, query, overrides={}), BIG_SCREEN, None, False),
        (f"ranking: {n_vil} 村居 on closure_rate", lambda c: ranking(c, "village", "closure_rate", query, overrides={}),
         ("closure_rate",), "village", False),
        (f"vital_signs ({len(VITAL_SIGNS)} scored)", lambda c: vital_signs(c, query, overrides={}),
         VITAL_SIGNS, None, False),
        ("vital_signs rolling=True (+7/30/90 d)", lambda c: vital_signs(c, query, rolling=True, overrides={}),
         VITAL_SIGNS, None, True),
    ]
    for label, fn, ids, by, rolling in cases:
        con = duckdb.connect(str(path), read_only=True)  # cold: a fresh connection
        cold, warm, cpu = timed(lambda: fn(con), repeat)  # noqa: B023
        con.close()
        con = duckdb.connect(str(path), read_only=True)
        sqls, stmts = floor_sql(con, ids, by, query, rolling)
        fcold, fwarm, fcpu = timed(lambda: [con.execute(s, p).fetchall() for s, p in sqls], repeat)  # noqa: B023
        *_, scpu = timed(lambda: [con.execute(s, p).fetchall() for s, p in stmts], repeat)  # noqa: B023
        con.close()
        rows.append((label, cold, warm, cpu, fcold, fwarm, fcpu, scpu))
    print(f"warehouse: {path} ({n_cases:,} cases, {n_orders:,} hotline orders); period {query.period.start:%Y-%m}")
    return rows


def table(rows: list[Row]) -> str:
    lines = ["| workload | cold ms | warm ms | warm CPU ms | floor cold ms | floor warm ms | floor CPU ms "
             "| warm / floor | CPU / floor CPU | statements CPU ms | CPU / statements CPU |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for label, cold, warm, cpu, fcold, fwarm, fcpu, scpu in rows:
        lines.append(f"| {label} | {cold:.0f} | {warm:.0f} | {cpu:.0f} | {fcold:.0f} | {fwarm:.0f} | {fcpu:.0f} "
                     f"| {warm / fwarm:.2f}× | {cpu / fcpu:.2f}× | {scpu:.0f} | {cpu / scpu:.2f}× |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--warehouse", type=Path)
    ap.add_argument("--demo", action="store_true", help="build with etl.demo.build_demo (district scale)")
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--write-doc", action="store_true")
    ap.add_argument("--label", help="what the warehouse is, for the doc (default: the synthetic one)")
    ap.add_argument("--append", action="store_true", help="add to the doc's benchmark section, not replace it")
    ap.add_argument("--month", default="2026-10", help="the period benchmarked (YYYY-MM, default 2026-10)")
    args = ap.parse_args()
    query = Query(Period.containing("month", date.fromisoformat(args.month + "-01")))
    path = args.warehouse or Path(tempfile.mkdtemp()) / "bench.duckdb"
    path = Path(os.path.realpath(path))  # an ETL warehouse path is a symlink to its current snapshot
    if not path.exists():
        if args.demo:
            from etl.demo import build_demo  # type: ignore[import-not-found]

            build_demo(path, scale="district")
        else:
            t0 = time.perf_counter()
            build_synthetic(path, args.cases, args.cases // 2)
            print(f"built synthetic warehouse in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    t0 = time.perf_counter()
    rows = run(path, query)
    md = table(rows)
    print(md)
    if args.write_doc:
        import platform

        label = args.label or (f"a synthetic district warehouse ({args.cases:,} cases, {args.cases // 2:,} hotline"
                               " orders, 351 村居)")
        load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
        block = "\n".join([
            f"On {label}: {query.period.start:%Y-%m} with the previous month; cold = first call on a fresh"
            f" connection, warm = median of 7 (wall and process CPU). Machine: {platform.machine()},"
            f" {os.cpu_count()} CPUs, DuckDB {duckdb.__version__}, load average {load} (1/5/15 min) at the end"
            f" of the {time.perf_counter() - t0:.0f} s run.", "", md, ""])
        text = DOC.read_text(encoding="utf-8") if DOC.exists() else render()
        old = text[text.index(BENCH_MARK):] if BENCH_MARK in text else ""
        if args.append and old:
            section = old.rstrip() + "\n\n" + block
        else:
            section = "\n".join([
                BENCH_MARK, "",
                "`bench/metrics_bench.py`. Floor = one raw DuckDB query per fact table reading the same columns of",
                "the same rows (the statement's WHERE clause) with one trivial aggregate per column.", "", block])
        DOC.write_text(render(section), encoding="utf-8")


if __name__ == "__main__":
    main()
