"""Every benchmark in one go (``make bench``): metrics layer, big screen, analyst pages, 50 users.

    .venv/bin/python bench/run.py [--warehouse DIR_OR_FILE] [--scale district|town|tiny]

Without ``--warehouse`` it builds the Qingpu demo at ``--scale`` (default district: ~2 min on a quiet
2-core machine, 636 MB) into a scratch directory, then runs each bench script on that one warehouse so
the figures describe the same data. Each script prints its own table; this runner only sequences them
and reports a script that failed, so one broken bench does not hide the others' figures.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))


def _warehouse_file(path: Path) -> Path:
    return path / "vitals.duckdb" if path.is_dir() else path


def _build(scale: str) -> Path:
    from etl.demo import build_demo

    target = Path(tempfile.mkdtemp(prefix="vitals-bench-")) / "vitals.duckdb"
    print(f"building the {scale} demo in {target.parent} ...", flush=True)
    t0 = time.perf_counter()
    build_demo(target, scale=scale)
    print(f"built in {time.perf_counter() - t0:.0f} s", flush=True)
    return target


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", type=Path, help="an existing warehouse (directory or vitals.duckdb)")
    ap.add_argument("--scale", default="district", choices=["tiny", "town", "district"])
    ap.add_argument("--runs", type=int, default=5, help="first-render runs of the screen bench")
    ap.add_argument("--load-seconds", type=int, default=120, help="50-user load test length (0: skip it)")
    args = ap.parse_args()
    warehouse = _warehouse_file(args.warehouse) if args.warehouse else _build(args.scale)
    if not warehouse.exists():
        print(f"no warehouse at {warehouse}", file=sys.stderr)
        return 2
    runs = [
        # issue 19's read-side targets in one table (wall and CPU time, met or not)
        ("read-side targets", [str(HERE / "targets.py"), "--warehouse", str(warehouse)]),
        ("metrics", [str(HERE / "metrics_bench.py"), "--warehouse", str(warehouse)]),
        ("screen", [str(HERE / "screen_bench.py"), "--warehouse", str(warehouse), "--runs", str(args.runs)]),
        ("pages", [str(HERE / "pages_bench.py"), str(warehouse.parent)]),
        ("sensors and staffing pages", [str(HERE / "sensors_staffing_bench.py"), str(warehouse.parent)]),
    ]
    if args.load_seconds > 0:
        runs.append(("50 users at once", [str(HERE / "load_test.py"), "--warehouse", str(warehouse),
                                          "--duration", str(args.load_seconds)]))
    failed = []
    for name, argv in runs:
        print(f"\n=== {name} ===", flush=True)
        if subprocess.run([sys.executable, *argv], cwd=ROOT).returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
