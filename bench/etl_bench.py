"""`vitals etl load cases` of a CSV against DuckDB's bare read of the same file (issue 19's ETL target).

    nice .venv/bin/python bench/etl_bench.py --rows 200000 [--rows 1000000] [--dir /tmp/etlbench]
        [--code /path/to/other/checkout]   # also time that checkout's loader (before/after in one run)

Generates an N-row cases CSV shaped like the demo's (``etl.demo`` generators: district geography,
lifecycle times, categories; written by DuckDB as plain text) plus the district's units, then runs,
each in a child process timed by its wall clock and measured by its own peak RSS (``os.wait4``):

* ``bare``   DuckDB ``CREATE TABLE AS SELECT * FROM read_csv(file)`` into a new database file (and
  ``bare 1 thread``, the same with ``SET threads = 1``);
* ``fresh``  ``vitals etl load cases FILE`` into a warehouse holding only the units;
* ``upsert`` the same command again into that warehouse, which now holds every row (nothing changes).

Prints one table: wall seconds, ratio to ``bare``, CPU seconds (user + system, every thread) and
peak RSS (``/usr/bin/time``). On a shared machine the wall clock mostly measures the queue for a core; CPU seconds are
the steadier figure. Not a timed test: figures go into docs/etl.md by hand. Run it under ``nice``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 12, 7, 7, 0)  # a pinned instant: every run generates the same file
BARE = """
import sys, duckdb
con = duckdb.connect(sys.argv[2])
if len(sys.argv) > 3:
    con.execute(f"SET threads = {int(sys.argv[3])}")
con.execute("CREATE TABLE cases AS SELECT * FROM read_csv(?)", [sys.argv[1]])
"""


@dataclass(frozen=True)
class Run:
    name: str
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float


def generate(out: Path, rows: int, seed: int = 20260) -> tuple[Path, Path]:
    """(cases CSV, units Parquet) for ``rows`` cases over the demo district's year."""
    from etl.demo.cases import generate_facts
    from etl.demo.categories import categories
    from etl.demo.geography import load_geography
    from etl.demo.organisation import build_organisation
    from etl.demo.sink import Sink
    from etl.demo.timebase import Window

    csv = out / f"cases-{rows}.csv"
    units = out / "units.parquet"
    if csv.exists() and units.exists():
        return csv, units
    r_geo, r_org, r_facts = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))
    geo = load_geography(r_geo, None)
    org = build_organisation(geo, r_org)
    Sink(out).put("units", geo.units)
    # No sensor alarms: every case comes from the main body (alarm-derived ones are a few percent).
    alarms = pd.DataFrame({"sensor_type": pd.Series(dtype=str), "severity": pd.Series(dtype=str),
                           "started_at": pd.Series(dtype="datetime64[us]"), "unit_code": pd.Series(dtype=str),
                           "alarm_id": pd.Series(dtype=str)})
    facts = generate_facts(geo, org, categories(), Window(now=NOW, days=365), rows, 1, alarms, r_facts)
    import duckdb

    con = duckdb.connect()
    con.register("cases_df", facts.cases)
    con.execute(f"COPY (SELECT * FROM cases_df) TO '{csv}' (HEADER, DELIMITER ',')")  # our own path
    con.close()
    return csv, units


def timed(name: str, cmd: list[str], env: dict[str, str], cwd: Path = ROOT) -> Run:
    """Wall seconds, CPU seconds and peak RSS of one command, measured by /usr/bin/time: a child forked
    from this process would inherit its high-water RSS (Linux folds the parent's into the child's
    ``ru_maxrss`` at exec), which after generating a 1M-row frame is gigabytes."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        t0 = time.perf_counter()
        # ``python -m`` puts the working directory first on sys.path, before PYTHONPATH: the child runs
        # in the checkout it times (before this, ``--code`` timed the current checkout twice)
        proc = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "-o", out.name, *cmd], env=env, cwd=cwd,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        seconds = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr.decode()}")
        kb, user, system = out.read().split()[-3:]
    return Run(name, seconds, float(user) + float(system), int(kb) / 1024)


def bench(rows: int, out: Path, code: dict[str, Path]) -> list[Run]:
    out.mkdir(parents=True, exist_ok=True)
    csv, units = generate(out, rows)
    py = sys.executable
    mapping = out / "cases_csv.toml"
    mapping.write_text((ROOT / "etl/mappings/demo_cases.toml").read_text(encoding="utf-8")
                       .replace('format = "parquet"', 'format = "csv"'), encoding="utf-8")
    bare_db = out / f"bare-{rows}.duckdb"
    bare_db.unlink(missing_ok=True)
    cli = [py, "-m", "dashboard.cli", "etl", "load"]
    runs = [timed("bare", [py, "-c", BARE, str(csv), str(bare_db)], {**os.environ, "PYTHONPATH": str(ROOT)})]
    bare_db.unlink(missing_ok=True)
    # the same read in one thread: DuckDB's parallel CSV reader spends about twice the CPU of one thread
    runs.append(timed("bare 1 thread", [py, "-c", BARE, str(csv), str(bare_db), "1"],
                      {**os.environ, "PYTHONPATH": str(ROOT)}))
    bare_db.unlink(missing_ok=True)
    for label, root in code.items():
        env = {**os.environ, "PYTHONPATH": str(root)}
        wh = out / f"wh-{rows}-{label}" / "vitals.duckdb"
        if wh.parent.exists():
            subprocess.run(["rm", "-rf", str(wh.parent)], check=True)
        timed("units", [*cli, "units", str(units), "-m", "demo_units", "-w", str(wh)], env, root)
        runs += [timed(f"{label} {name}", [*cli, "cases", str(csv), "-m", str(mapping), "-w", str(wh)], env, root)
                 for name in ("fresh", "upsert")]
        subprocess.run(["rm", "-rf", str(wh.parent)], check=True)
    return runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, action="append", help="cases per file (repeatable; default 200000)")
    ap.add_argument("--code", type=Path, help="another checkout whose loader to time too (e.g. main)")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/etlbench"), help="scratch directory (files are reused)")
    args = ap.parse_args()
    code = {"this": ROOT, **({"other": args.code.resolve()} if args.code else {})}
    print(f"VITALS_ETL_THREADS={os.environ.get('VITALS_ETL_THREADS', '')!r}"
          f" VITALS_ETL_MEMORY={os.environ.get('VITALS_ETL_MEMORY', '')!r}")
    print(f"{'rows':>9} {'run':<14} {'seconds':>8} {'× bare':>7} {'CPU s':>7} {'× bare':>7} {'peak RSS MB':>12}")
    for rows in args.rows or [200_000]:
        runs = bench(rows, args.dir, code)
        bare = runs[0]
        for r in runs:
            print(f"{rows:>9,} {r.name:<14} {r.seconds:>8.2f} {r.seconds / bare.seconds:>7.2f} {r.cpu_seconds:>7.2f}"
                  f" {r.cpu_seconds / bare.cpu_seconds:>7.2f} {r.peak_rss_mb:>12,.0f}", flush=True)


if __name__ == "__main__":
    main()
