"""Test warehouses, all ending at the run's instant (``tests/clock.py``).

``build_warehouse(root)`` builds the tiny demo (``etl.demo.build_demo``); ``build_minimal(root)`` writes
this minimal Qingpu-like warehouse: 1 district, 3 街镇, 6 grids, 12 村居 with square
(approximate) polygons, 6 stations, ~30 days of cases/hotline ending "now", sensors with readings
and alarms, today's rosters. Published the way the ETL publishes: ``vitals.duckdb`` is a symlink to
``snapshots/vitals-<n>.duckdb``.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from etl.schema import TABLE_BY_NAME, ddl
from tests import clock

TOWNS = (
    ("310118001000", "夏阳街道", "Xiayang"),
    ("310118002000", "盈浦街道", "Yingpu"),
    ("310118003000", "香花桥街道", "Xianghuaqiao"),
)
DISTRICT = ("310118000000", "青浦区", "Qingpu District")
LON0, LAT0, CELL = 121.06, 31.10, 0.04


def site_now() -> datetime:
    """The run's instant (``tests/clock.py``): every fixture warehouse ends at it."""
    return clock.NOW


def _square(lon: float, lat: float, w: float, h: float) -> str:
    ring = [[lon, lat], [lon + w, lat], [lon + w, lat + h], [lon, lat + h], [lon, lat]]
    return json.dumps({"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]})


def _frame(table: str, rows: list[dict]) -> pd.DataFrame:
    cols = TABLE_BY_NAME[table].column_names
    return pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=list(cols))


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    if not rows:
        return
    df = _frame(table, rows)
    con.register("_rows", df)
    con.execute(f"INSERT INTO {table} SELECT * FROM _rows")
    con.unregister("_rows")


def units() -> tuple[list[dict], list[dict], list[dict]]:
    d_code, d_zh, d_en = DISTRICT
    ou = [dict(unit_code=d_code, level="district", name_zh=d_zh, name_en=d_en, lon=LON0 + 1.5 * CELL * 2,
               lat=LAT0 + CELL * 2, district_code=d_code, centroid_derived=False)]
    geo = [dict(unit_code=d_code, geojson=_square(LON0, LAT0, 6 * CELL, 4 * CELL), datum="GCJ-02", approximate=True)]
    stations = []
    for ti, (t_code, t_zh, t_en) in enumerate(TOWNS):
        tx, ty = LON0 + ti * 2 * CELL, LAT0
        ou.append(dict(unit_code=t_code, parent_code=d_code, level="town", name_zh=t_zh, name_en=t_en,
                       lon=tx + CELL, lat=ty + 2 * CELL, district_code=d_code, town_code=t_code,
                       peer_group="street", area_type="urban"))
        geo.append(dict(unit_code=t_code, geojson=_square(tx, ty, 2 * CELL, 4 * CELL), datum="GCJ-02",
                        approximate=True))
        for gi in range(2):
            g_code = f"{t_code[:9]}G0{gi + 1}"
            gx, gy = tx + gi * CELL, ty
            ou.append(dict(unit_code=g_code, parent_code=t_code, level="grid", name_zh=f"{t_zh[:2]}{gi + 1}号网格",
                           name_en=f"{t_en} grid {gi + 1}", lon=gx + CELL / 2, lat=gy + 2 * CELL,
                           district_code=d_code, town_code=t_code, grid_code=g_code))
            geo.append(dict(unit_code=g_code, geojson=_square(gx, gy, CELL, 4 * CELL), datum="GCJ-02",
                            approximate=True))
            stations.append(dict(station_code=f"ST{ti}{gi}", name_zh=f"{t_zh[:2]}{gi + 1}号联勤工作站",
                                 name_en=f"{t_en} station {gi + 1}", station_type="liaison",
                                 lon=gx + CELL / 2, lat=gy + CELL, district_code=d_code, town_code=t_code,
                                 grid_code=g_code, unit_code=g_code))
            for vi in range(2):
                v_code = f"{t_code[:9]}{gi}{vi + 1:02d}"
                vx, vy = gx, gy + vi * 2 * CELL
                ou.append(dict(unit_code=v_code, parent_code=g_code, level="village",
                               name_zh=f"{t_zh[:2]}{gi * 2 + vi + 1}居委会",
                               name_en=f"{t_en} community {gi * 2 + vi + 1}",
                               lon=vx + CELL / 2, lat=vy + CELL, district_code=d_code, town_code=t_code,
                               grid_code=g_code, village_code=v_code))
                geo.append(dict(unit_code=v_code, geojson=_square(vx, vy, CELL, 2 * CELL), datum="GCJ-02",
                                approximate=True))
    for g in geo:
        coords = json.loads(g["geojson"])["coordinates"][0]
        g.update(min_lon=min(c[0] for c in coords), max_lon=max(c[0] for c in coords),
                 min_lat=min(c[1] for c in coords), max_lat=max(c[1] for c in coords), source="test fixture")
    return ou, geo, stations


def _station_of(village: dict) -> str:
    town_index = [t[0] for t in TOWNS].index(village["town_code"])
    return f"ST{town_index}{int(village['grid_code'][-1]) - 1}"


def populate(con: duckdb.DuckDBPyConnection, now: datetime, seed: int = 7, days: int = 30) -> None:
    rng = random.Random(seed)
    con.execute(ddl())
    ou, geo, stations = units()
    _insert(con, "org_unit", ou)
    _insert(con, "unit_geometry", geo)
    _insert(con, "station", stations)
    villages = [u for u in ou if u["level"] == "village"]
    _insert(con, "warehouse_meta", [dict(key=k, value=v) for k, v in (
        ("site_name_zh", "青浦区"), ("timezone", "Asia/Shanghai"), ("datum", "GCJ-02"), ("schema_version", "1"),
        ("data_now", now.isoformat(timespec="minutes")))])
    cats = [dict(category_code="E01001", family="事件", major_code="E01", major_name="市容环境", minor_code="001",
                 minor_name="暴露垃圾", deadline_hours=24, time_basis="工作时"),
            dict(category_code="E04002", family="事件", major_code="E04", major_name="突发事件", minor_code="002",
                 minor_name="道路积水", deadline_hours=2, time_basis="紧急工作时")]
    _insert(con, "case_category", cats)
    cases = []
    start = now - timedelta(days=days)
    for i in range(days * 20):
        v = villages[i % len(villages)]
        quality = 0.75 + 0.2 * ((i % len(villages)) / len(villages))
        rep = start + timedelta(minutes=rng.randrange(int((now - start).total_seconds() // 60)))
        urgent = rng.random() < 0.06
        cat = cats[1] if urgent else cats[0]
        deadline = rep + timedelta(hours=cat["deadline_hours"])
        closed = rep + timedelta(hours=rng.lognormvariate(1.5, 1.0)) if rng.random() < quality else None
        if closed and closed > now:
            closed = None
        src = rng.choice(["patrol", "patrol", "station_patrol", "smart", "citizen_qr", "hotline_12345"])
        cases.append(dict(
            case_id=f"fx:{i}", source_system="fx", source_id=str(i), source=src,
            proactive=src in ("patrol", "station_patrol", "smart"), urgency="urgent" if urgent else "general",
            category_code=cat["category_code"], family=cat["family"], major_code=cat["major_code"],
            status="closed" if closed else "dispatched", reported_at=rep, registered_at=rep + timedelta(minutes=3),
            dispatched_at=rep + timedelta(minutes=5),
            arrived_at=rep + timedelta(minutes=rng.randrange(6, 30)) if urgent else None,
            first_result_at=rep + timedelta(minutes=rng.randrange(20, 90)) if urgent else None,
            disposed_at=closed, closed_at=closed, deadline_at=deadline, cancelled=False, rework_count=0,
            escalated=False, supervision_report=False, station_code=_station_of(v),
            district_code=v["district_code"], town_code=v["town_code"], grid_code=v["grid_code"],
            village_code=v["unit_code"], unit_code=v["unit_code"],
            lon=v["lon"] + rng.uniform(-0.01, 0.01), lat=v["lat"] + rng.uniform(-0.01, 0.01),
            address="某路 1 号", description="fixture", load_run_id=1))
    _insert(con, "cases", cases)
    hot = []
    for i in range(days * 10):
        v = villages[(i * 7) % len(villages)]
        rec = start + timedelta(minutes=rng.randrange(days * 1440))
        closed = rec + timedelta(hours=rng.randrange(2, 100))
        hot.append(dict(order_id=f"h:{i}", source_system="h", source_id=str(i), channel="12345", received_at=rec,
                        category="市容", urgency="general", status="closed" if closed < now else "open",
                        first_contact=rng.random() < 0.9, due_at=rec + timedelta(days=5),
                        closed_at=closed if closed < now else None,
                        resolution=rng.choice(["resolved", "explained"]) if closed < now else None,
                        satisfaction=rng.choice(["satisfied", "basic", "unsatisfied", None]),
                        district_code=v["district_code"], town_code=v["town_code"], grid_code=v["grid_code"],
                        village_code=v["unit_code"], unit_code=v["unit_code"], lon=v["lon"], lat=v["lat"],
                        citizen_name="张三", citizen_phone="13800000000", load_run_id=2))
    _insert(con, "hotline_orders", hot)
    sensors, readings, alarms = [], [], []
    kinds = (("water_level", "m", 0.3, 0.5), ("air_pm25", "µg/m³", 75, 150), ("manhole_tilt", "°", 10, 20))
    for i, v in enumerate(villages):
        st, uom, warn, alarm = kinds[i % 3]
        sid = f"s:{i}"
        sensors.append(dict(sensor_id=sid, source_system="s", source_id=str(i), name=f"{v['name_zh']}{st}",
                            sensor_type=st, metric=st, uom=uom, threshold_warning=warn, threshold_alarm=alarm,
                            expected_interval_min=60, district_code=v["district_code"], town_code=v["town_code"],
                            grid_code=v["grid_code"], village_code=v["unit_code"], unit_code=v["unit_code"],
                            lon=v["lon"] + 0.005, lat=v["lat"] - 0.005, load_run_id=3))
        for h in range(72):
            readings.append(dict(sensor_id=sid, ts=now.replace(minute=0, second=0) - timedelta(hours=h),
                                 value=round(rng.uniform(0, warn * 1.1), 3), load_run_id=3))
        if i % 4 == 0:
            alarms.append(dict(alarm_id=f"a:{i}", sensor_id=sid, severity="alarm" if i % 8 == 0 else "warning",
                               started_at=now - timedelta(minutes=20 + 13 * i), ended_at=None, peak_value=alarm * 1.2,
                               district_code=v["district_code"], town_code=v["town_code"], grid_code=v["grid_code"],
                               village_code=v["unit_code"], unit_code=v["unit_code"], load_run_id=3))
    _insert(con, "sensors", sensors)
    _insert(con, "sensor_readings", readings)
    _insert(con, "sensor_alarms", alarms)
    roster = []
    grids = [u for u in ou if u["level"] == "grid"]
    for d in (now.date() - timedelta(days=1), now.date()):
        for gi, g in enumerate(grids):
            for shift, start_h, n in (("day", 8, 4), ("night", 20, 1 if gi % 3 else 0)):
                for p in range(n):
                    s_at = datetime.combine(d, datetime.min.time()) + timedelta(hours=start_h)
                    roster.append(dict(roster_id=f"r:{d}:{g['unit_code']}:{shift}:{p}", source_system="r",
                                       source_id=f"{d}{gi}{shift}{p}", person_id=f"p{gi}{p}", person_name="李四",
                                       role="网格员", district_code=g["district_code"], town_code=g["town_code"],
                                       grid_code=g["unit_code"], unit_code=g["unit_code"], duty_date=d, shift=shift,
                                       start_at=s_at, end_at=s_at + timedelta(hours=12), hours=12.0, load_run_id=4))
    _insert(con, "staffing_roster", roster)
    runs = [dict(run_id=i + 1, kind=k, source_system="fixture", status="succeeded", rows_read=n, rows_loaded=n,
                 rows_rejected=0, started_at=now, finished_at=now)
            for i, (k, n) in enumerate((("cases", len(cases)), ("hotline", len(hot)), ("sensors", len(sensors)),
                                        ("staffing", len(roster))))]
    _insert(con, "etl_run", runs)


def publish(root: Path, build, start_from: Path | None = None) -> Path:  # type: ignore[no-untyped-def]
    """Write a new snapshot with ``build(con)`` and swap the ``vitals.duckdb`` link to it atomically; the
    snapshot starts as a copy of ``start_from`` (default: the current snapshot, if any)."""
    snaps = root / "snapshots"
    snaps.mkdir(parents=True, exist_ok=True)
    n = 1 + max((int(p.stem.split("-")[-1]) for p in snaps.glob("vitals-*.duckdb")), default=0)
    target = snaps / f"vitals-{n}.duckdb"
    link = root / "vitals.duckdb"
    if start_from is None and link.exists():
        start_from = Path(os.path.realpath(link))
    if start_from is not None:
        shutil.copyfile(start_from, target)
    con = duckdb.connect(str(target))
    try:
        build(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    tmp = root / f".vitals.duckdb.{n}.tmp"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target.relative_to(root))
    os.replace(tmp, link)
    return link


def build_minimal(root: Path, now: datetime | None = None) -> Path:
    now = now or site_now()
    return publish(root, lambda con: populate(con, now))


def build_warehouse(root: Path) -> Path:
    """The tiny demo at the run's instant, published under ``root``; returns the ``vitals.duckdb`` link.
    Tests share one (the session fixture ``tiny_warehouse``) or take a ``copy_warehouse`` of it."""
    from etl.demo import build_demo

    warehouse = root / "vitals.duckdb"
    build_demo(warehouse, scale="tiny", now=clock.NOW)
    return warehouse


def copy_warehouse(link: Path, root: Path) -> Path:
    """A private copy of the warehouse behind ``link`` under ``root`` (published the way the ETL does), for
    a test that publishes snapshots of its own; copying is much cheaper than building the demo again."""
    source = Path(os.path.realpath(link))
    return publish(root, lambda con: None, source)


def read_only_warehouse(tiny_warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A module-scoped fixture body (``con = pytest.fixture(scope="module", name="con")(read_only_warehouse)``):
    the run's tiny warehouse, opened read-only."""
    c = duckdb.connect(str(tiny_warehouse), read_only=True)
    yield c
    c.close()


def today() -> date:
    return site_now().date()


def app_in_request(settings: Any) -> Iterator[Any]:
    """A new app on ``settings`` inside a request context, as a callback runs in (torn down after): the
    body of the warehouse-specific ``app`` fixtures (``yield from app_in_request(...)``)."""
    from dashboard.app import create_app

    app = create_app(settings)
    with app.server.test_request_context("/"):
        yield app
        app.server.do_teardown_appcontext()
