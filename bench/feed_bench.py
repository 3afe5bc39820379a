"""The issue's 5-minute feed loaded into a real demo warehouse (issue 19: ≤ 2 s at district, ≤ 5 s at city).

    nice -n -10 python -m bench.feed_bench --warehouse /work/copy-of-a-demo [--feeds 5]

Each feed is written from the warehouse's own rows (read-only) as the demo's export files (Parquet in the
canonical demo format, ``etl/mappings/demo_*.toml``): 500 new cases (new ids, reported in the feed's five
minutes after the data's now, units/categories/addresses copied from recent cases), 50 late updates of
open cases (closed now), 300 new hotline orders, 5,000 readings of existing sensors in the next 5-minute
slot (stamped at the slot's end, a sensor with more than one reading a minute earlier each time).
They are loaded in that order, one load per kind, through ``etl.watch.load_one`` — what
``vitals etl watch`` runs per file (``load_writer`` + ``load_into``, plus ``derive_alarms`` for readings,
as ``vitals etl load readings``). Feed i covers [now + 5 i min, now + 5 (i + 1) min) with now the
warehouse's ``data_now``: neither the watch nor ``etl load`` moves ``data_now``, so the bench does not either
(it would take a load of its own).

Per load: wall and process CPU seconds, the published file's size after it (the delta, or the whole
snapshot when the load compacted), whether it compacted. Every feed is checked: rows read = loaded, the
new cases and orders visible with their ids, the updated cases closed, the readings of the slot stored.
The warehouse is WRITTEN: run it on a copy. A bench, not a test (tests/etl/test_feed_bench.py runs the
builder and the checks on the tiny demo).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from etl.demo.build import mapping_for
from etl.demo.sink import columns
from etl.overlay import base_of
from etl.settings import Settings, load_settings
from etl.snapshots import current_snapshot, open_readonly
from etl.watch import load_one

STEP = timedelta(minutes=5)
KINDS = ("cases", "updates", "hotline", "readings")  # file order within a feed
MAPPING_KIND = {"cases": "cases", "updates": "cases", "hotline": "hotline", "readings": "readings"}
# Recent rows to copy from: a window the stored order lets DuckDB prune to a few row groups.
RECENT = timedelta(days=7)
CASE_MILESTONES = ("registered_at", "dispatched_at", "arrived_at", "first_result_at", "disposed_at", "closed_at")
ORDER_LATER = ("contacted_at", "closed_at", "resolution", "satisfaction", "callback_at", "case_id")


@dataclass(frozen=True)
class FeedShape:
    cases: int = 500
    updates: int = 50
    orders: int = 300
    readings: int = 5000


@dataclass(frozen=True)
class Feed:
    index: int
    start: datetime  # the feed's five minutes: [start, start + STEP)
    files: dict[str, Path]
    new_case_ids: tuple[str, ...]
    closed_case_ids: tuple[str, ...]
    new_order_ids: tuple[str, ...]
    sensors: tuple[str, ...]  # one per reading, in the file's order


@dataclass(frozen=True)
class KindTiming:
    kind: str
    rows: int
    wall_s: float
    cpu_s: float
    published_bytes: int
    compacted: bool


def data_now(con: duckdb.DuckDBPyConnection) -> datetime:
    row = con.execute("SELECT value FROM warehouse_meta WHERE key IN ('now', 'data_now')"
                      " ORDER BY key = 'now' DESC LIMIT 1").fetchone()
    if row is None:
        raise SystemExit("the warehouse has no data_now: run on a demo warehouse")
    return datetime.fromisoformat(row[0])


def _spread(start: datetime, n: int) -> list[datetime]:
    """n instants spread over the feed's five minutes (whole seconds, as an export has them)."""
    return [start + timedelta(seconds=int(i * STEP.total_seconds() / max(n, 1))) for i in range(n)]


def _write(df: pd.DataFrame, table: str, path: Path) -> Path:
    df[columns(table)].to_parquet(path, index=False)
    return path


def _sample(con: duckdb.DuckDBPyConnection, sql: str, params: list[object], n: int) -> pd.DataFrame:
    df = con.execute(sql, params).fetchdf()
    if len(df) < n:
        raise SystemExit(f"only {len(df)} rows to copy from where {n} are needed: {sql}")
    return df.head(n).reset_index(drop=True)


def build_feed(con: duckdb.DuckDBPyConnection, out: Path, index: int, now: datetime,
               shape: FeedShape = FeedShape(), tag: str = "feed") -> Feed:
    """Write feed ``index`` (the five minutes after ``now + index × 5 min``) into ``out`` from ``con``'s rows."""
    out.mkdir(parents=True, exist_ok=True)
    start = now + index * STEP
    since = now - RECENT
    prefix = f"{tag}{start:%Y%m%d%H%M}"
    ts = _spread(start, max(shape.cases, shape.orders, shape.updates))

    cases = _sample(con, "SELECT * FROM cases WHERE reported_at >= ? ORDER BY reported_at DESC, case_id LIMIT ?",
                    [since, shape.cases], shape.cases)
    ids = [f"demo:{prefix}C{j:05d}" for j in range(shape.cases)]
    taken = pd.to_timedelta(cases["deadline_at"] - cases["reported_at"])
    cases = cases.assign(case_id=ids, source_id=[i.removeprefix("demo:") for i in ids], status="reported",
                         reported_at=pd.to_datetime(ts[:shape.cases]), cancelled=False, rework_count=0,
                         escalated=False, alarm_id=None, hotline_order_id=None)
    cases["deadline_at"] = cases["reported_at"] + taken
    for c in CASE_MILESTONES:
        cases[c] = pd.NaT

    updates = _sample(con, "SELECT * FROM cases WHERE reported_at >= ? AND closed_at IS NULL AND NOT cancelled"
                      " AND status IN ('dispatched', 'arrived', 'disposed') ORDER BY reported_at, case_id LIMIT ?",
                      [since - RECENT, shape.updates], shape.updates)
    closed = pd.Series(pd.to_datetime(ts[:shape.updates]))
    updates["status"] = "closed"
    for c in ("registered_at", "dispatched_at", "arrived_at", "first_result_at", "disposed_at"):
        updates[c] = updates[c].fillna(closed)
    updates["closed_at"] = closed

    orders = _sample(con, "SELECT * FROM hotline_orders WHERE received_at >= ? ORDER BY received_at DESC, order_id"
                     " LIMIT ?", [since, shape.orders], shape.orders)
    oids = [f"demo:{prefix}R{j:05d}" for j in range(shape.orders)]
    due = pd.to_timedelta(orders["due_at"] - orders["received_at"])
    orders = orders.assign(order_id=oids, source_id=[i.removeprefix("demo:") for i in oids], status="open",
                           received_at=pd.to_datetime(ts[:shape.orders]))
    orders["due_at"] = orders["received_at"] + due
    for c in ORDER_LATER:
        orders[c] = None

    # the sensors that reported last (a 5-minute slot of a live feed), each at the slot's minutes in turn
    last = con.execute("SELECT max(ts) FROM sensor_readings").fetchone()
    latest = con.execute("SELECT sensor_id, arg_max(value, ts) AS value FROM sensor_readings WHERE ts >= ?"
                         " GROUP BY sensor_id ORDER BY sensor_id",
                         [(last[0] if last and last[0] else now) - timedelta(hours=2)]).fetchdf()
    if latest.empty:
        raise SystemExit("no recent readings to copy sensors from")
    k = len(latest)
    values = [float(v) for v in latest["value"].fillna(0.0).tolist()]
    rows = range(shape.readings)
    readings = pd.DataFrame({
        "sensor_id": [latest["sensor_id"].iat[j % k] for j in rows],
        "ts": [start + STEP - timedelta(minutes=j // k) for j in rows],
        "value": [values[j % k] * (1 + 0.01 * ((j * 7) % 5 - 2)) for j in rows],
    })
    if readings["ts"].min() <= start:
        raise SystemExit(f"{shape.readings} readings of {k} sensors do not fit one 5-minute slot")

    files = {"cases": _write(cases, "cases", out / f"demo_cases--{prefix}-new.parquet"),
             "updates": _write(updates, "cases", out / f"demo_cases--{prefix}-updates.parquet"),
             "hotline": _write(orders, "hotline_orders", out / f"demo_hotline--{prefix}.parquet"),
             "readings": _write(readings, "sensor_readings", out / f"demo_readings--{prefix}.parquet")}
    return Feed(index, start, files, tuple(ids), tuple(updates["case_id"]), tuple(oids),
                tuple(readings["sensor_id"]))


def published_bytes(warehouse: Path) -> tuple[int, bool]:
    """The published file's size and whether it is a whole snapshot (not a delta on a base)."""
    current = current_snapshot(warehouse)
    if current is None:
        return 0, True
    return current.stat().st_size, base_of(current) is None


def load_feed(warehouse: Path, feed: Feed, settings: Settings) -> list[KindTiming]:
    """Load the feed's files one by one as the watch does; raise when a load lost or rejected a row."""
    out = []
    for kind in KINDS:
        path = feed.files[kind]
        w0, c0 = time.perf_counter(), time.process_time()
        report = load_one(warehouse, settings, path, str(mapping_for(MAPPING_KIND[kind])))
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        if report.rows_read != report.rows_loaded or report.rows_rejected:
            raise AssertionError(f"{path.name}: {report.rows_read} read, {report.rows_loaded} loaded,"
                                 f" {report.rows_rejected} rejected {report.reasons}")
        size, whole = published_bytes(warehouse)
        out.append(KindTiming(kind, report.rows_read, wall, cpu, size, whole))
    return out


def check_feed(warehouse: Path, feed: Feed) -> dict[str, int]:
    """What readers of the published state see of the feed (counted independently of the load reports)."""
    end = feed.start + STEP
    with open_readonly(warehouse) as con:
        def n(sql: str, params: list[object]) -> int:
            row = con.execute(sql, params).fetchone()
            return int(row[0]) if row else 0
        seen = {
            "new cases": n("SELECT count(*) FROM cases WHERE case_id = ANY($1) AND status = 'reported'"
                           " AND reported_at >= $2 AND reported_at < $3", [list(feed.new_case_ids), feed.start, end]),
            "closed cases": n("SELECT count(*) FROM cases WHERE case_id = ANY($1) AND status = 'closed'"
                              " AND closed_at >= $2 AND closed_at < $3", [list(feed.closed_case_ids), feed.start, end]),
            "new orders": n("SELECT count(*) FROM hotline_orders WHERE order_id = ANY($1) AND received_at >= $2",
                            [list(feed.new_order_ids), feed.start]),
            "readings": n("SELECT count(*) FROM sensor_readings WHERE ts > $1 AND ts <= $2", [feed.start, end]),
        }
    want = {"new cases": len(feed.new_case_ids), "closed cases": len(feed.closed_case_ids),
            "new orders": len(feed.new_order_ids), "readings": len(feed.sensors)}
    if seen != want:
        raise AssertionError(f"feed {feed.index}: readers see {seen}, expected {want}")
    return seen


def run(warehouse: Path, feeds: int, work: Path, shape: FeedShape = FeedShape(),
        settings: Settings | None = None, echo: bool = True, first: int = 0) -> list[list[KindTiming]]:
    settings = settings or load_settings()
    with open_readonly(warehouse) as con:
        now = data_now(con)
    results = []
    for i in range(first, first + feeds):
        with open_readonly(warehouse) as con:  # the feed copies what is published now
            feed = build_feed(con, work / f"feed{i}", i, now, shape)
        timings = load_feed(warehouse, feed, settings)
        check_feed(warehouse, feed)
        results.append(timings)
        if echo:
            print_feed(feed, timings)
    return results


def _mb(n: int) -> str:
    return f"{n / 2**20:,.1f} MB"


def print_feed(feed: Feed, timings: list[KindTiming]) -> None:
    wall, cpu = sum(t.wall_s for t in timings), sum(t.cpu_s for t in timings)
    parts = [f"{t.kind} {t.rows:,}: {t.wall_s:.2f} s wall / {t.cpu_s:.2f} s cpu"
             f"{' COMPACTED' if t.compacted else ''}" for t in timings]
    print(f"feed {feed.index} ({feed.start:%H:%M}): {wall:.2f} s wall / {cpu:.2f} s cpu; " + "; ".join(parts)
          + f"; published {_mb(timings[-1].published_bytes)}; load average {os.getloadavg()[0]:.1f}"
          + "; checked", flush=True)


def summary(results: list[list[KindTiming]]) -> str:
    lines = ["| load | wall median s | wall max s | cpu median s | cpu max s |", "|---|---:|---:|---:|---:|"]
    for j, kind in enumerate(KINDS):
        walls = [r[j].wall_s for r in results]
        cpus = [r[j].cpu_s for r in results]
        lines.append(f"| {kind} | {statistics.median(walls):.2f} | {max(walls):.2f} |"
                     f" {statistics.median(cpus):.2f} | {max(cpus):.2f} |")
    walls = [sum(t.wall_s for t in r) for r in results]
    cpus = [sum(t.cpu_s for t in r) for r in results]
    lines.append(f"| whole feed | {statistics.median(walls):.2f} | {max(walls):.2f} |"
                 f" {statistics.median(cpus):.2f} | {max(cpus):.2f} |")
    sizes = [r[-1].published_bytes for r in results]
    compactions = sum(t.compacted for r in results for t in r)
    lines.append(f"\npublished file after the feeds: {', '.join(_mb(s) for s in sizes)}; compactions: {compactions}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", type=Path, required=True, help="a COPY of a demo warehouse's directory")
    ap.add_argument("--feeds", type=int, default=5)
    ap.add_argument("--first", type=int, default=0,
                    help="index of the first feed (to go on after a run that loaded feeds 0 .. FIRST - 1)")
    ap.add_argument("--work", type=Path, help="where the feed files go (default: WAREHOUSE/feeds)")
    args = ap.parse_args()
    warehouse = args.warehouse / "vitals.duckdb" if args.warehouse.is_dir() else args.warehouse
    size, _ = published_bytes(warehouse)
    print(f"{warehouse} ({_mb(size)} published), {args.feeds} feeds, load average"
          f" {' / '.join(f'{x:.1f}' for x in os.getloadavg())}, nice {os.nice(0)}", flush=True)
    results = run(warehouse, args.feeds, args.work or warehouse.parent / "feeds", first=args.first)
    print(summary(results))
    print(f"load average at the end {' / '.join(f'{x:.1f}' for x in os.getloadavg())}", file=sys.stderr)


if __name__ == "__main__":
    main()
