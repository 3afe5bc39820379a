"""`build_demo`: generate, then load every kind through the ETL into ONE atomic snapshot."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from etl.demo.city import CITY_EN, CITY_ZH
from etl.demo.generate import KINDS, DemoFiles, generate

MAPPINGS = Path(__file__).resolve().parents[1] / "mappings"
# The site a scale's data describes, when it is not the configured one (vitals.toml [site], 青浦区): the
# city demo's root is 上海市, so its header and document titles name the city.
SITE_NAMES = MappingProxyType({"city": (CITY_ZH, CITY_EN)})


@dataclass(frozen=True)
class DemoSummary:
    files: DemoFiles
    reports: Mapping[str, Any]  # kind -> etl.load.LoadReport
    generate_seconds: float
    load_seconds: float

    @property
    def rejected(self) -> int:
        return sum(r.rows_rejected for r in self.reports.values())


def mapping_for(kind: str) -> Path:
    return MAPPINGS / f"demo_{kind}.toml"


def build_demo(warehouse: Path, scale: str = "district", seed: int = 20260, now: datetime | None = None,
               out_dir: Path | None = None, progress: Callable[[str], None] | None = None, size: float = 1.0,
               days: int | None = None) -> DemoSummary:
    """Generate the demo and load it; readers see either the previous snapshot or the whole demo."""
    # Imported here so generation works (and is testable) without the ETL package's heavier imports.
    from etl.load import load_into
    from etl.snapshots import writer

    with tempfile.TemporaryDirectory(prefix="vitals-demo-") as tmp:
        files = generate(Path(out_dir) if out_dir else Path(tmp), scale=scale, seed=seed, now=now, size=size,
                         days=days)
        t0 = time.perf_counter()
        reports: dict[str, Any] = {}
        # fresh: the demo is a whole dataset. Loaded over the previous demo, rows the new one no longer
        # has (rosters, readings of other hours) stayed and mixed two generations.
        with writer(Path(warehouse), fresh=True) as con:
            for kind in KINDS:
                if progress:
                    progress(kind)
                # the data describes files.now (maybe a pinned instant ahead of the wall clock)
                reports[kind] = load_into(con, kind, list(files.files[kind]), mapping_for(kind), as_of=files.now)
            meta = [("data_now", files.now.isoformat(sep=" ")), ("demo_scale", scale), ("demo_seed", str(seed))]
            if scale in SITE_NAMES:  # as `vitals site set --name` records it
                meta += [("site_name_zh", SITE_NAMES[scale][0]), ("site_name_en", SITE_NAMES[scale][1])]
            con.executemany("INSERT INTO warehouse_meta (key, value) VALUES (?, ?)"
                            " ON CONFLICT (key) DO UPDATE SET value = excluded.value", meta)
        return DemoSummary(files=files, reports=MappingProxyType(reports), generate_seconds=files.seconds,
                           load_seconds=time.perf_counter() - t0)
