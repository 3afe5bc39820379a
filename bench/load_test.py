"""50 users at once: walls refreshing every 60 s and analysts changing filters, against gunicorn.

    .venv/bin/python bench/load_test.py --warehouse DIR_OR_FILE [--duration 300] [--walls 10]
        [--analysts 40] [--workers 4] [--soak]

1. Serves the warehouse with ``vitals serve --server gunicorn`` (real WSGI, ``--workers`` processes,
   auth off as the demo serves it, the site clock pinned at the data's ``data_now``) on a free
   loopback port.
2. Records what the browser really posts: Debian's Chromium (Playwright) opens the wall at
   ``/screen?refresh=5`` and keeps the ``/_dash-update-component`` bodies of its first refresh (the
   tick's callback and the ones it triggers), then opens each analyst page at several filter URLs and
   keeps every callback the page fired. Opening a page at a filter URL fires the same server work as a
   filter change (the filter bar sets the URL, ``refresh="callback-nav"``; Dash's router renders the
   page from it), plus the page's follow-up callbacks (rows, map points).
3. Replays them from ``--walls`` + ``--analysts`` threads for ``--duration`` seconds: a wall posts its
   refresh every 60 s (staggered start), an analyst picks a recorded filter view every 5–10 s. Each
   user posts its callbacks one after another with the cookies the browser had.
4. Prints p50/p95/p99/max latency per user kind and per callback, errors (transport errors and HTTP
   ≥ 400), requests per second, and each gunicorn worker's RSS at the start and the end (``--soak``:
   30 minutes, RSS sampled every minute).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = Path(os.environ.get("VITALS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage",
                 "--no-first-run"]
ANALYST_VIEWS = ("", "period=week", "period=quarter", "urgency=urgent")
ANALYST_PAGES = ("cases", "hotline", "rankings", "stations")
WALL_PERIOD_S = 60.0
CALLBACK_URL = "/_dash-update-component"


@dataclass(frozen=True)
class Post:
    name: str   # the callback's output key, shortened: what the report groups by
    path: str   # as the browser posted it (Dash 4 adds an ``endId`` query)
    body: bytes


@dataclass(frozen=True)
class Recording:
    wall_refresh: tuple[Post, ...]
    analyst_views: tuple[tuple[Post, ...], ...]
    headers: dict[str, str]


@dataclass
class Sample:
    kind: str
    name: str
    ms: float
    error: str | None


@dataclass
class Results:
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, s: Sample) -> None:
        with self.lock:
            self.samples.append(s)


# --- serving -------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _data_now(warehouse: Path) -> str | None:
    from etl.snapshots import open_readonly

    con = open_readonly(warehouse)
    try:
        row = con.execute("SELECT value FROM warehouse_meta WHERE key = 'data_now'").fetchone()
    finally:
        con.close()
    return None if row is None else str(row[0])[:16].replace(" ", "T")


def start_server(warehouse: Path, workers: int, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    config = workdir / "vitals.toml"
    now = _data_now(warehouse)
    config.write_text(f'[site]\nnow = "{now}"\n' if now else "", encoding="utf-8")
    env = {**os.environ, "VITALS_WAREHOUSE": str(warehouse), "VITALS_CONFIG": str(config), "VITALS_AUTH": "off",
           "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
    port = _free_port()
    log = (workdir / "server.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "dashboard.cli", "serve", "--server", "gunicorn", "--port",
                             str(port), "--workers", str(workers)], cwd=str(ROOT), env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {(workdir / 'server.log').read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(url + "/", timeout=5) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("server did not start within 180 s")


def _workers(master: int) -> list[int]:
    return [int(pid) for task in Path(f"/proc/{master}/task").iterdir()
            for pid in (task / "children").read_text().split()]


def worker_rss_mb(master: int) -> dict[int, float]:
    """RSS of each gunicorn worker (the master's children), from /proc."""
    out: dict[int, float] = {}
    for pid in _workers(master):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
        out[pid] = kb / 1024
    return out


def worker_cpu_s(master: int) -> float:
    """CPU seconds (user + system) the workers have used so far: on a shared machine, what the load
    cost the server regardless of how much of the CPUs others took meanwhile."""
    total = 0
    for pid in _workers(master):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


# --- recording -----------------------------------------------------------------------------------

def _name(body: dict[str, Any]) -> str:
    out = str(body.get("output", "?"))
    return out if len(out) <= 60 else out[:57] + "..."


def record(url: str) -> Recording:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport={"width": 1920, "height": 1080})
        page = ctx.new_page()
        posts: list[tuple[float, str, bytes]] = []
        page.on("request", lambda r: posts.append((time.monotonic(), r.url[len(url):], r.post_data_buffer or b""))
                if r.method == "POST" and CALLBACK_URL in r.url else None)
        page.goto(url + "/screen?refresh=5", wait_until="networkidle", timeout=180_000)
        loaded = time.monotonic()
        page.wait_for_timeout(9_000)  # the 5 s tick and what it triggers
        refresh = tuple(Post(_name(json.loads(b)), path, b) for t, path, b in posts
                        if t > loaded and any(k in b for k in (b"scr-tick.n_intervals", b"scr-refreshed")))
        views: list[tuple[Post, ...]] = []
        for name in ANALYST_PAGES:
            for q in ANALYST_VIEWS:
                posts.clear()
                page.goto(f"{url}/{name}{'?' + q if q else ''}", wait_until="networkidle", timeout=180_000)
                page.wait_for_timeout(500)
                # a wall tick may still fire while the browser leaves /screen: not the analyst's
                views.append(tuple(Post(f"{name}: {_name(json.loads(b))}", path, b) for _, path, b in posts
                                   if b and b'"scr-' not in b))
        cookies = "; ".join(f"{c['name']}={c['value']}" for c in ctx.cookies())
        browser.close()
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if cookies:
        headers["Cookie"] = cookies
    return Recording(wall_refresh=refresh, analyst_views=tuple(v for v in views if v), headers=headers)


# --- replay --------------------------------------------------------------------------------------

def _post(url: str, post: Post, headers: dict[str, str]) -> tuple[float, str | None]:
    req = urllib.request.Request(url + post.path, data=post.body, headers=headers, method="POST")
    t0 = time.perf_counter()
    error = None
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            r.read()
    except urllib.error.HTTPError as exc:
        error = f"HTTP {exc.code}"
    except OSError as exc:
        error = type(exc).__name__
    return 1000 * (time.perf_counter() - t0), error


def _user(kind: str, url: str, rec: Recording, stop: float, results: Results, rng: random.Random) -> None:
    if kind == "wall":
        # walls were switched on at different moments
        time.sleep(max(0.0, min(rng.uniform(0, WALL_PERIOD_S), stop - time.monotonic())))
    while time.monotonic() < stop:
        t0 = time.monotonic()
        seq = rec.wall_refresh if kind == "wall" else rng.choice(rec.analyst_views)
        for p in seq:
            if time.monotonic() >= stop:
                return
            ms, err = _post(url, p, rec.headers)
            results.add(Sample(kind, p.name, ms, err))
        pause = WALL_PERIOD_S - (time.monotonic() - t0) if kind == "wall" else rng.uniform(5, 10)
        time.sleep(max(0.0, min(pause, stop - time.monotonic())))


def _pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, round(p * (len(s) - 1)))]


def _row(label: str, xs: list[float], errors: int) -> str:
    return (f"{label[:58]:<58}{len(xs):>7}{statistics.median(xs):>9.0f}{_pct(xs, 0.95):>9.0f}"
            f"{_pct(xs, 0.99):>9.0f}{max(xs):>9.0f}{errors:>7}")


def report(results: Results, seconds: float) -> None:
    s = results.samples
    print(f"\n{'requests':<58}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>7}")
    groups: dict[str, list[Sample]] = {"all": s}
    for kind in ("wall", "analyst"):
        groups[kind] = [x for x in s if x.kind == kind]
    for name in sorted({x.name for x in s}):
        groups[f"  {name}"] = [x for x in s if x.name == name]
    for label, xs in groups.items():
        if xs:
            print(_row(label, [x.ms for x in xs], sum(x.error is not None for x in xs)))
    errs: dict[str, int] = {}
    for x in s:
        if x.error:
            errs[x.error] = errs.get(x.error, 0) + 1
    print(f"\n{len(s):,} requests in {seconds:.0f} s = {len(s) / seconds:.1f} req/s; errors: {errs or 0}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", type=Path, required=True, help="a warehouse (directory or vitals.duckdb)")
    ap.add_argument("--duration", type=float, default=300.0, help="seconds of load (default 300)")
    ap.add_argument("--walls", type=int, default=10)
    ap.add_argument("--analysts", type=int, default=40)
    ap.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    ap.add_argument("--soak", action="store_true", help="30 minutes, worker RSS every minute")
    ap.add_argument("--seed", type=int, default=19)
    args = ap.parse_args()
    warehouse = args.warehouse / "vitals.duckdb" if args.warehouse.is_dir() else args.warehouse
    duration = 1800.0 if args.soak else args.duration
    work = Path(tempfile.mkdtemp(prefix="vitals-load-"))
    proc, url = start_server(warehouse, args.workers, work)
    try:
        t0 = time.perf_counter()
        rec = record(url)
        print(f"recorded in {time.perf_counter() - t0:.0f} s: wall refresh = {len(rec.wall_refresh)} callbacks "
              f"({', '.join(p.name for p in rec.wall_refresh)}); {len(rec.analyst_views)} analyst views, "
              f"{sum(map(len, rec.analyst_views))} callbacks", flush=True)
        if not rec.wall_refresh or not rec.analyst_views:
            print("nothing recorded: see the server log " + str(work / "server.log"), file=sys.stderr)
            return 1
        rss0, cpu0 = worker_rss_mb(proc.pid), worker_cpu_s(proc.pid)
        print(f"worker RSS at start (MB): {sorted(round(v) for v in rss0.values())}", flush=True)
        warm: dict[int, float] = {}
        results = Results()
        rng = random.Random(args.seed)
        stop = time.monotonic() + duration
        users = [threading.Thread(target=_user, args=(kind, url, rec, stop, results, random.Random(rng.random())),
                                  daemon=True)
                 for kind in ["wall"] * args.walls + ["analyst"] * args.analysts]
        start = time.monotonic()
        for u in users:
            u.start()
        while any(u.is_alive() for u in users):
            time.sleep(min(60.0, max(1.0, stop - time.monotonic())))
            if not warm:  # after the first minute: caches filled, the baseline for growth
                warm = worker_rss_mb(proc.pid)
            if args.soak and time.monotonic() < stop:
                rss = worker_rss_mb(proc.pid)
                print(f"  {time.monotonic() - start:5.0f} s: {len(results.samples):,} requests; worker RSS (MB) "
                      f"{sorted(round(v) for v in rss.values())}", flush=True)
        for u in users:
            u.join()
        elapsed = time.monotonic() - start
        rss1, cpu = worker_rss_mb(proc.pid), worker_cpu_s(proc.pid) - cpu0
        report(results, elapsed)
        total0, total_warm, total1 = sum(rss0.values()), sum(warm.values()), sum(rss1.values())
        same = set(rss0) & set(rss1)
        print(f"worker RSS at end (MB): {sorted(round(v) for v in rss1.values())}; total {total0:,.0f} at start, "
              f"{total_warm:,.0f} after the first minute, {total1:,.0f} at the end ({100 * (total1 / total0 - 1):+.1f}%"
              f" from start, {100 * (total1 / max(total_warm, 1) - 1):+.1f}% from the first minute)"
              + ("" if len(same) == len(rss0) else f"; {len(rss0) - len(same)} worker(s) restarted"))
        n, cpus = max(len(results.samples), 1), os.cpu_count() or 1
        print(f"server CPU: {cpu:,.0f} s for {n:,} requests = {1000 * cpu / n:.0f} ms CPU per request; on {cpus} "
              f"dedicated CPUs that caps throughput near {cpus * n / max(cpu, 1e-9):.0f} req/s")
        print(f"{args.walls} walls every {WALL_PERIOD_S:.0f} s + {args.analysts} analysts every 5-10 s, "
              f"{args.workers} gunicorn workers × 4 threads, {cpus} CPUs; load average at end "
              f"{os.getloadavg()[0]:.1f}")
        return 0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    raise SystemExit(main())
