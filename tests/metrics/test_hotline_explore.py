"""Hotline page reads: categories, hotspots and their drills, by hand and against an independent query."""

from __future__ import annotations

import math
import random
from dataclasses import replace
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from metrics import Period, Query, QueryError, repeat_complaints
from metrics.explore import Drill, rows
from metrics.hotline import METRES_PER_DEGREE_LAT, REFERENCE_LAT
from metrics.hotline_explore import HotspotRule, category_counts, filter_options, hotspots
from tests.metrics.warehouse import PATH, insert, new_warehouse, ts, with_path

MARCH = Query(Period.containing("month", date(2026, 3, 10)))


def order(con, oid, unit="V1", **kw):
    row = {"order_id": oid, "source_system": "t", "source_id": oid, "received_at": ts("2026-03-03 10:00"),
           "category": "噪音", "channel": "12345", "status": "closed",
           **{k: (ts(v) if k.endswith("_at") else v) for k, v in kw.items()}}
    insert(con, "hotline_orders", with_path(row, unit))


@pytest.fixture
def wh(tmp_path):
    return new_warehouse(tmp_path)


def test_category_counts_by_hand(wh):
    order(wh, "a", subcategory="夜间施工")
    order(wh, "b", subcategory="夜间施工")
    order(wh, "c", subcategory="广场舞")
    order(wh, "d", category="占道", subcategory=None)  # category row only: no NULL subcategory row
    order(wh, "e", category="占道", received_at="2026-02-27 10:00")  # February: out of the period
    order(wh, "f", "V2", subcategory="广场舞", channel="app")
    df = category_counts(wh, MARCH)
    cats = df[df.subcategory.isna()]
    assert list(zip(cats.category, cats.orders, strict=True)) == [("噪音", 4), ("占道", 1)]
    subs = df[df.subcategory.notna()]
    assert sorted(zip(subs.subcategory, subs.orders, strict=True)) == [("夜间施工", 2), ("广场舞", 2)]
    t1 = category_counts(wh, replace(MARCH, unit="T1", source="12345"))
    assert t1.loc[t1.subcategory == "广场舞", "orders"].tolist() == [1]  # f is in T2 and from the app
    # the subcategory drill lists exactly the counted rows
    page, total = rows(wh, "hotline_orders", replace(MARCH, category="噪音"), Drill.parse("subcategory:广场舞"))
    assert total == 2 and sorted(page.order_id) == ["c", "f"]
    opts = filter_options(wh)
    assert opts["category"] == [("占道", "占道"), ("噪音", "噪音")] and opts["source"] == [("12345", "12345"),
                                                                                       ("app", "app")]


def test_hotspot_drills_list_exactly_the_orders_in_period(wh):
    for i, day in enumerate(("2026-02-20", "2026-03-02", "2026-03-12")):  # 3 within 30 days, 2 in March
        order(wh, f"r{i}", received_at=f"{day} 09:00", lon=121.1, lat=31.15)
    order(wh, "far", received_at="2026-03-05 09:00", lon=121.11, lat=31.15)  # V1 too, ~950 m east
    order(wh, "other", category="占道", received_at="2026-03-05 09:00", lon=121.1, lat=31.15)
    units = hotspots(wh, MARCH, HotspotRule(place="unit"))
    assert list(zip(units.place, units.category, units.max_in_window, units.orders_in_period, strict=True)) == \
        [("V1", "噪音", 4, 3)]  # Feb 20 → Mar 12: r0, r1, far, r2; r1, r2, far in March
    assert units.drill.tolist() == ["place:V1"]
    cells = hotspots(wh, MARCH)
    dlon = 100 / (METRES_PER_DEGREE_LAT * math.cos(math.radians(REFERENCE_LAT)))
    dlat = 100 / METRES_PER_DEGREE_LAT
    assert cells.drill.tolist() == [f"cell:{math.floor(121.1 / dlon)}:{math.floor(31.15 / dlat)}:100"]
    assert cells.orders_in_period.tolist() == [2]
    for df, expect in ((units, {"r1", "r2", "far"}), (cells, {"r1", "r2"})):
        q = replace(MARCH, category=df.category.iloc[0])
        page, total = rows(wh, "hotline_orders", q, Drill.parse(df.drill.iloc[0]))
        assert total == df.orders_in_period.iloc[0] and set(page.order_id) == expect
    with pytest.raises(QueryError):
        rows(wh, "hotline_orders", MARCH, Drill.parse("cell:1:2:0"))
    with pytest.raises(QueryError):
        rows(wh, "hotline_orders", MARCH, Drill.parse("cell:x:2:100"))


# The query before the (place, category) prefilter: the reference the faster one must match.
REFERENCE = """
WITH o AS (
  SELECT {place} AS place, category, town_code, received_at, lon, lat FROM hotline_orders
  WHERE category IS NOT NULL AND received_at >= $lookback AND received_at < $e {extra}
), w AS (
  SELECT *, count(*) OVER (PARTITION BY place, category ORDER BY received_at
                           RANGE BETWEEN INTERVAL {days} DAYS PRECEDING AND CURRENT ROW) AS n
  FROM o WHERE place IS NOT NULL
)
SELECT place, category, count(*) FILTER (WHERE received_at >= $s) AS orders_in_period,
       max(n) FILTER (WHERE received_at >= $s) AS max_in_window
FROM w GROUP BY place, category HAVING max(n) FILTER (WHERE received_at >= $s) >= $min_count
ORDER BY max_in_window DESC, orders_in_period DESC, place, category
"""


def test_prefiltered_hotspots_equal_the_unfiltered_window(wh):
    rng = random.Random(7)
    units = [u for u in PATH if u.startswith("V")]
    frame = []
    for i in range(3000):
        unit = rng.choice(units)
        frame.append(with_path({
            "order_id": f"o{i}", "source_system": "t", "source_id": str(i),
            "received_at": datetime(2026, 1, 20) + timedelta(minutes=rng.randrange(70 * 24 * 60)),
            "category": rng.choice(["噪音", "占道", "积水", "油烟", None]),
            "lon": 121.1 + rng.randrange(40) * 0.0004, "lat": 31.15 + rng.randrange(40) * 0.0004}, unit))
    df = pd.DataFrame(frame)  # noqa: F841 - read by the INSERT below
    wh.execute("INSERT INTO hotline_orders BY NAME SELECT * FROM df")
    cell = ("CAST(floor(lon / $dlon) AS BIGINT) || ':' || CAST(floor(lat / $dlat) AS BIGINT)",
            "AND lon IS NOT NULL AND lat IS NOT NULL")
    checked = 0
    for place, (place_sql, extra) in (("unit", ("unit_code", "")), ("cell", cell)):
        for n, days in ((2, 7), (3, 30), (5, 30)):
            got = repeat_complaints(wh, MARCH, min_count=n, within_days=days, place=place)
            params = {"s": MARCH.period.start, "e": MARCH.period.end, "min_count": n,
                      "lookback": MARCH.period.start - timedelta(days=days)}
            if place == "cell":
                params.update(dlat=100 / METRES_PER_DEGREE_LAT,
                              dlon=100 / (METRES_PER_DEGREE_LAT * math.cos(math.radians(REFERENCE_LAT))))
            ref = wh.execute(REFERENCE.format(place=place_sql, extra=extra, days=days), params).df()
            cols = ["place", "category", "orders_in_period", "max_in_window"]
            assert len(ref) > 0
            pd.testing.assert_frame_equal(got[cols].reset_index(drop=True), ref[cols], check_dtype=False)
            checked += len(ref)
    assert checked > 50


def test_rate_trend_equals_monthly_trend(wh):
    rng = random.Random(11)
    frame = []
    for i in range(1500):
        got = datetime(2025, 10, 1) + timedelta(minutes=rng.randrange(200 * 24 * 60))
        due = got + timedelta(days=rng.choice([1, 3, 7, 15]))
        closed = rng.choice([None, got + timedelta(days=rng.randrange(20))])
        frame.append(with_path({
            "order_id": f"o{i}", "source_system": "t", "source_id": str(i), "received_at": got, "due_at": due,
            "closed_at": closed, "category": rng.choice(["噪音", "占道"]), "channel": rng.choice(["12345", "app"]),
            "first_contact": rng.choice([True, False, None]),
            "resolution": rng.choice(["resolved", "explained", None]),
            "satisfaction": rng.choice(["satisfied", "basic", "unsatisfied", None])}, rng.choice(["V1", "V2", "T3"])))
    df = pd.DataFrame(frame)  # noqa: F841 - read by the INSERT below
    wh.execute("INSERT INTO hotline_orders BY NAME SELECT * FROM df")
    from metrics import monthly_trend
    from metrics.hotline_explore import RATE_IDS, rate_trend
    for q in (MARCH, replace(MARCH, unit="T1"), replace(MARCH, category="噪音", source="app")):
        fast = rate_trend(wh, q, 8)
        ref = monthly_trend(wh, list(RATE_IDS), q, 8, overrides={})
        merged = fast.merge(ref, on=["month", "metric_id"], suffixes=("", "_ref"))
        assert len(merged) == len(ref) == 8 * 4
        assert merged["value_ref"].notna().sum() > 20
        for col in ("value", "denominator"):
            a, b = merged[col].astype(float).fillna(-1), merged[f"{col}_ref"].astype(float).fillna(-1)
            b = b.where(merged["denominator_ref"] > 0, -1) if col == "denominator" else b
            a = a.where(merged["denominator"].fillna(0) > 0, -1) if col == "denominator" else a
            assert (a - b).abs().max() < 1e-9, (q, col)
    empty = rate_trend(wh, replace(MARCH, category="无此类"), 3)
    assert len(empty) == 12 and empty["value"].isna().all()


class _CollidingHashes:
    """A connection whose SQL ``hash(…)`` is 0 for every pair: every pair 'collides'."""

    def __init__(self, con):
        self.con = con
        self.sql: list[str] = []

    def execute(self, sql, *args):
        self.sql.append(sql)
        return self.con.execute(sql.replace("hash(", "0 * hash("), *args)


def test_hash_collisions_fall_back_to_the_exact_partition(wh):
    rng = random.Random(3)
    units = [u for u in PATH if u.startswith("V")]
    frame = [with_path({"order_id": f"o{i}", "source_system": "t", "source_id": str(i),
                        "received_at": datetime(2026, 2, 10) + timedelta(hours=rng.randrange(45 * 24)),
                        "category": rng.choice(["噪音", "占道", "积水"]),
                        "lon": 121.1 + rng.randrange(6) * 0.001, "lat": 31.15 + rng.randrange(6) * 0.001},
                       rng.choice(units)) for i in range(600)]
    df = pd.DataFrame(frame)  # noqa: F841 - read by the INSERT below
    wh.execute("INSERT INTO hotline_orders BY NAME SELECT * FROM df")
    for place in ("unit", "cell"):
        for n, days in ((2, 3), (4, 10)):
            good = repeat_complaints(wh, MARCH, min_count=n, within_days=days, place=place)
            spy = _CollidingHashes(wh)
            got = repeat_complaints(spy, MARCH, min_count=n, within_days=days, place=place)  # type: ignore[arg-type]
            assert len(good) > 0
            # the hashed try, then the exact one
            assert sum("PARTITION BY h " in s and "hash(" in s for s in spy.sql) == 1
            assert any("PARTITION BY k1" in s for s in spy.sql)
            pd.testing.assert_frame_equal(good, got)


def _pandas_hotspots(df: pd.DataFrame, q: Query, n: int, days: int, place: str) -> pd.DataFrame:
    """Repeat complaints row by row in pandas: for each order in the period, the orders of its (place,
    category) within the ``days`` before it (inclusive, ties included); every output column."""
    s, e = q.period.start, q.period.end
    d = df[df.category.notna() & (df.received_at >= s - timedelta(days=days)) & (df.received_at < e)].copy()
    if q.unit:
        d = d[(d[["district_code", "town_code", "grid_code", "village_code", "unit_code"]] == q.unit).any(axis=1)]
    if q.source:
        d = d[d.channel == q.source]
    if place == "cell":
        d = d[d.lon.notna() & d.lat.notna()]
        dlat = 100 / METRES_PER_DEGREE_LAT
        dlon = 100 / (METRES_PER_DEGREE_LAT * math.cos(math.radians(REFERENCE_LAT)))
        d["place"] = [f"{math.floor(x / dlon)}:{math.floor(y / dlat)}" for x, y in zip(d.lon, d.lat, strict=True)]
    else:
        d = d[d.unit_code.notna()]
        d["place"] = d.unit_code
    out = []
    for (p, c), g in d.groupby(["place", "category"]):
        t = g.received_at.sort_values().to_numpy()
        inp = g[g.received_at >= s]
        if inp.empty:
            continue
        x = inp.received_at.to_numpy()  # orders in [x - days, x], ties at x included
        best = int((t.searchsorted(x, "right") - t.searchsorted(x - np.timedelta64(days, "D"), "left")).max())
        if best >= n:
            out.append({"place": p, "category": c, "town_code": min(g.town_code), "orders_in_period": len(inp),
                        "max_in_window": best, "first_at": inp.received_at.min(), "last_at": g.received_at.max(),
                        "lon": g.lon.mean(), "lat": g.lat.mean()})
    ref = pd.DataFrame(out, columns=["place", "category", "town_code", "orders_in_period", "max_in_window",
                                     "first_at", "last_at", "lon", "lat"])
    return ref.sort_values(["max_in_window", "orders_in_period", "place", "category"],
                           ascending=[False, False, True, True]).reset_index(drop=True)


def test_hotspots_equal_a_row_by_row_pandas_computation(wh):
    """Every column of the hashed, prefiltered statement against pandas: both place kinds, three rules,
    a town scope and a channel filter; cells straddle towns (town_code is the smallest of them)."""
    rng = random.Random(19)
    units = [u for u in PATH if u.startswith("V")]
    frame = [with_path({"order_id": f"o{i}", "source_system": "t", "source_id": str(i),
                        "received_at": datetime(2026, 2, 1) + timedelta(minutes=30 * rng.randrange(60 * 48)),
                        "category": rng.choice(["噪音", "占道", "积水", None]), "channel": rng.choice(["12345", "app"]),
                        "lon": None if i % 37 == 0 else 121.1 + rng.randrange(12) * 0.0007,
                        "lat": 31.15 + rng.randrange(12) * 0.0007}, rng.choice([*units, "T3"])) for i in range(2500)]
    df = pd.DataFrame(frame)
    wh.execute("INSERT INTO hotline_orders BY NAME SELECT * FROM df")
    checked = 0
    for q in (MARCH, replace(MARCH, unit="T1"), replace(MARCH, source="app"),
              Query(Period(datetime(2026, 2, 15), datetime(2026, 3, 20)))):
        for place in ("unit", "cell"):
            for n, days in ((2, 1), (3, 7), (6, 30)):
                got = repeat_complaints(wh, q, min_count=n, within_days=days, place=place)
                ref = _pandas_hotspots(df, q, n, days, place)
                assert list(got.columns) == list(ref.columns)
                pd.testing.assert_frame_equal(got, ref, check_dtype=False, check_exact=False, rtol=1e-9)
                checked += len(ref)
    assert checked > 200


def test_kpis_and_month_equal_indicator_values_and_rate_trend(wh):
    """The page's one scan (KPIs + the trend's live month as one more period slot) against the three
    scans it replaces: ``indicator_values`` and ``rate_trend`` for the month, over periods that contain
    the month, equal it, or lie inside it, with a scope and filters."""
    from metrics import indicator_values
    from metrics.hotline_explore import KPI_IDS, RATE_IDS, kpis_and_month, rate_trend
    rng = random.Random(23)
    frame = []
    for i in range(2000):
        got = datetime(2025, 12, 1) + timedelta(minutes=rng.randrange(150 * 24 * 60))
        due = got + timedelta(days=rng.choice([1, 3, 7, 15]))
        frame.append(with_path({
            "order_id": f"o{i}", "source_system": "t", "source_id": str(i), "received_at": got, "due_at": due,
            "closed_at": rng.choice([None, got + timedelta(days=rng.randrange(20))]),
            "category": rng.choice(["噪音", "占道"]), "channel": rng.choice(["12345", "app"]),
            "first_contact": rng.choice([True, False, None]), "resolution": rng.choice(["resolved", "explained", None]),
            "satisfaction": rng.choice(["satisfied", "basic", "unsatisfied", None])}, rng.choice(["V1", "V2", "T3"])))
    df = pd.DataFrame(frame)  # noqa: F841 - read by the INSERT below
    wh.execute("INSERT INTO hotline_orders BY NAME SELECT * FROM df")
    march = Period.containing("month", date(2026, 3, 10))
    periods = [march, Period.containing("quarter", date(2026, 3, 10)), Period.containing("week", date(2026, 3, 10)),
               Period.containing("year", date(2026, 3, 10)), Period(datetime(2026, 2, 20), datetime(2026, 3, 5))]
    checked = 0
    for p in periods:
        for q in (Query(p), Query(p, unit="T1"), Query(p, category="噪音", source="app")):
            for month in (march, None):
                vals, live = kpis_and_month(wh, q, month, overrides={})
                ref = indicator_values(wh, list(KPI_IDS), q, previous=["hotline_orders"], overrides={})
                assert vals == ref
                if month is None:
                    assert live is None
                    continue
                trend = rate_trend(wh, replace(q, period=month), 1, overrides={})
                assert live["month"].tolist() == trend["month"].tolist() == [month.start.date()] * 4
                assert live["metric_id"].tolist() == trend["metric_id"].tolist() == list(RATE_IDS)
                for a, b, den in zip(live["value"], trend["value"], trend["denominator"], strict=True):
                    assert (a is None or a != a) == (b is None or b != b)
                    if a is not None and a == a:
                        assert abs(a - b) < 1e-12 and den > 0
                        checked += 1
                have = trend["denominator"].fillna(0) > 0
                assert (live["numerator"][have] == trend["numerator"][have]).all()
                assert (live["denominator"][have] == trend["denominator"][have]).all()
    assert checked > 40
