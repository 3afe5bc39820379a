"""The metrics layer on a published base + delta (issue 19) gives what it gives on the same rows in one
full snapshot: the tiny demo, a feed of late updates and new cases loaded as a delta, indicators read
through the views, then read again after the delta is folded into a new base."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

from etl.load import load_files
from etl.overlay import base_of
from etl.snapshots import current_snapshot, writer
from metrics.connection import open_readonly
from metrics.indicators import data_now, indicator_table
from metrics.query import Period, Query
from tests.dashboard.minimal_warehouse import copy_warehouse

IDS = ["registered", "due", "closed", "closure_rate", "ontime_closure_rate"]
PATH = ("district_code", "town_code", "grid_code", "village_code", "load_run_id")


def table(link: Path) -> pd.DataFrame:
    con = open_readonly(link)
    try:
        q = Query(Period(datetime(2000, 1, 1), datetime(2100, 1, 1)))
        return indicator_table(con, IDS, q, by="town", overrides={}).sort_values(["key", "metric_id"],
                                                                                  ignore_index=True)
    finally:
        con.close()


def feed(link: Path, path: Path) -> int:
    """The 40 oldest open cases closed an hour after registration (late updates; the oldest, so the
    closing lies before the data's now) and 20 new ones copied from the next oldest."""
    con = open_readonly(link)
    try:
        now = data_now(con)
        rows = con.execute("SELECT * FROM cases WHERE closed_at IS NULL AND registered_at IS NOT NULL"
                           " AND NOT coalesce(cancelled, false) ORDER BY registered_at, case_id LIMIT 60").df()
    finally:
        con.close()
    rows = rows.drop(columns=list(PATH))
    late, new = rows.iloc[:40].copy(), rows.iloc[40:].copy()
    late["status"], late["closed_at"] = "closed", late["registered_at"] + timedelta(hours=1)
    new["case_id"] = "demo:feed-" + new["source_id"].astype(str)
    new["source_id"] = "feed-" + new["source_id"].astype(str)
    pd.concat([late, new]).to_parquet(path)
    # 结案数 counts due cases closed: due = a deadline before min(period end, the data's now)
    return int((late.deadline_at < pd.Timestamp(now)).sum())


def test_indicators_on_a_delta_equal_the_compacted_snapshot(tiny_warehouse, tmp_path):
    link = copy_warehouse(tiny_warehouse, tmp_path / "wh")
    before = table(link)
    due = feed(link, tmp_path / "feed.parquet")
    assert due > 10
    report = load_files(link, "cases", [tmp_path / "feed.parquet"], "demo_cases")
    assert (report.files[0].inserted, report.files[0].updated) == (20, 40)
    assert base_of(current_snapshot(link)) is not None  # type: ignore[arg-type]  # a pair is published
    on_pair = table(link)
    closed = lambda df: df[df.metric_id == "closed"].numerator.sum()  # noqa: E731
    registered = lambda df: df[df.metric_id == "registered"].numerator.sum()  # noqa: E731
    assert closed(on_pair) == closed(before) + due
    assert registered(on_pair) == registered(before) + 20
    with writer(link):
        pass  # folds the delta into a new full snapshot
    assert base_of(current_snapshot(link)) is None  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(on_pair, table(link))
