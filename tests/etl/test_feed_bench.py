"""bench/feed_bench.py on the tiny demo: the 5-minute feed written from the warehouse's own rows loads
completely through the watch's path, feed after feed, and readers see exactly the feed's rows."""

from __future__ import annotations

from pathlib import Path

from bench.feed_bench import STEP, FeedShape, data_now, run
from etl.settings import Settings
from etl.snapshots import open_readonly
from tests.dashboard.minimal_warehouse import copy_warehouse

SHAPE = FeedShape(cases=12, updates=3, orders=7, readings=9)


def counts(warehouse: Path) -> dict[str, int]:
    with open_readonly(warehouse) as con:
        return {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0])  # type: ignore[index]
                for t in ("cases", "hotline_orders", "sensor_readings")} | {
            "closed": int(con.execute("SELECT count(*) FROM cases WHERE status = 'closed'").fetchone()[0])}  # type: ignore[index]


def test_feeds_load_whole_and_visible(tiny_warehouse: Path, tmp_path: Path) -> None:
    warehouse = copy_warehouse(tiny_warehouse, tmp_path / "wh")
    before = counts(warehouse)
    with open_readonly(warehouse) as con:
        now = data_now(con)
    results = run(warehouse, 2, tmp_path / "feeds", SHAPE, Settings(warehouse=warehouse), echo=False)

    # each load read and loaded the feed's rows (run() also checks rows read = loaded and what readers see)
    assert [[t.rows for t in r] for r in results] == [[12, 3, 7, 9]] * 2
    after = counts(warehouse)
    assert after["cases"] - before["cases"] == 2 * 12  # updates change rows, add none
    assert after["hotline_orders"] - before["hotline_orders"] == 2 * 7
    assert after["sensor_readings"] - before["sensor_readings"] == 2 * 9
    assert after["closed"] - before["closed"] == 2 * 3  # new cases are open; each feed closes 3 others
    with open_readonly(warehouse) as con:
        span = con.execute("SELECT min(reported_at), max(reported_at) FROM cases"
                           " WHERE source_id LIKE 'feed%'").fetchone()
        assert span == (now, now + 2 * STEP - (STEP / 12))  # 12 cases, 25 s apart, over two feeds
    # the feeds were published as deltas on the untouched base, no compaction
    assert all(not t.compacted for r in results for t in r)
