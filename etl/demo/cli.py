"""Non-interactive entry point: `python -m etl.demo.cli [--scale S] [--seed N] [--now ISO] [--generate-only]`.

The lead wires the same options into `vitals demo`; this module only parses and reports.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import datetime
from pathlib import Path

from etl.demo.build import build_demo
from etl.demo.generate import generate
from etl.settings import DATA_DIR, load_settings


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="vitals-demo", description="Generate (and load) the Qingpu demo data.")
    ap.add_argument("--scale", default="district", choices=["tiny", "town", "district", "city"])
    ap.add_argument("--seed", type=int, default=20260)
    ap.add_argument("--now", type=datetime.fromisoformat, default=None, help="data 'now' (local time); default: now")
    ap.add_argument("--out", type=Path, default=None, help="directory for the Parquet files")
    ap.add_argument("--warehouse", type=Path, default=None)
    ap.add_argument("--generate-only", action="store_true")
    a = ap.parse_args(argv)
    try:
        if a.generate_only:
            files = generate(a.out or DATA_DIR / "demo", a.scale, a.seed, a.now)
            for k, n in files.rows.items():
                print(f"{k:12s} {n:>12,d}")
            print(f"generated in {files.seconds:.1f}s into {files.out_dir}; peak memory {_peak_mb():,.0f} MB")
            return 0
        t0 = time.perf_counter()
        s = build_demo(a.warehouse or load_settings().warehouse, a.scale, a.seed, a.now, a.out,
                       progress=lambda k: print(f"loading {k} ...", file=sys.stderr))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{'kind':12s} {'read':>12s} {'loaded':>12s} {'rejected':>9s}")
    for k, r in s.reports.items():
        print(f"{k:12s} {r.rows_read:>12,d} {r.rows_loaded:>12,d} {r.rows_rejected:>9,d}")
    print(f"generate {s.generate_seconds:.1f}s, load {s.load_seconds:.1f}s, total {time.perf_counter() - t0:.1f}s, "
          f"peak memory {_peak_mb():,.0f} MB")
    return 0 if s.rejected == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
