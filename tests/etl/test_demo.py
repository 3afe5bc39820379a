"""Demo data at tiny scale: determinism, hierarchy integrity, 'now', and a full build through the ETL."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import shape

from etl import schema
from etl.demo import KINDS, build_demo, generate
from etl.demo.geography import REF, load_geography
from etl.demo.organisation import build_organisation

NOW = datetime(2026, 7, 1, 9, 37)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    return generate(tmp_path_factory.mktemp("tiny"), "tiny", seed=7, now=NOW)


def _read(files, kind: str) -> pd.DataFrame:
    return pd.read_parquet(files.files[kind][0])


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_same_seed_and_now_give_identical_files(tiny, tmp_path):
    again = generate(tmp_path / "again", "tiny", seed=7, now=NOW)
    assert dict(again.rows) == dict(tiny.rows)
    for kind in KINDS:
        assert len(again.files[kind]) == len(tiny.files[kind]), kind
        for a, b in zip(again.files[kind], tiny.files[kind], strict=True):
            assert _digest(a) == _digest(b), a.name


def test_another_seed_gives_other_facts(tiny, tmp_path):
    other = generate(tmp_path / "other", "tiny", seed=8, now=NOW)
    assert _digest(other.files["cases"][0]) != _digest(tiny.files["cases"][0])


def test_columns_are_the_schema_columns_minus_derived_ones(tiny):
    derived = {*schema.PATH_COLUMNS, "load_run_id"}
    for kind, table in (("cases", "cases"), ("hotline", "hotline_orders"), ("sensors", "sensors"),
                        ("staffing", "staffing_roster"), ("alarms", "sensor_alarms"), ("readings", "sensor_readings")):
        expected = [c for c in schema.TABLE_BY_NAME[table].column_names if c not in derived]
        assert list(_read(tiny, kind).columns) == expected, kind


def test_facts_end_at_now_and_nothing_happens_after_it(tiny):
    now = pd.Timestamp(NOW)
    cases = _read(tiny, "cases")
    assert cases.reported_at.max() <= now
    assert cases.reported_at.max() >= now - timedelta(hours=6)  # the screen looks live
    assert cases.reported_at.min() >= now - timedelta(days=60)
    for col in ("registered_at", "dispatched_at", "arrived_at", "first_result_at", "disposed_at", "closed_at"):
        assert (cases[col].dropna() <= now).all(), col
    hot = _read(tiny, "hotline")
    for col in ("received_at", "contacted_at", "closed_at", "callback_at"):
        assert (hot[col].dropna() <= now).all(), col
    readings = pd.concat([pd.read_parquet(p) for p in tiny.files["readings"]])
    assert readings.ts.max() == now.floor("h")
    # Work still in hand at 'now': open and overdue cases exist.
    open_overdue = cases.closed_at.isna() & ~cases.cancelled & (cases.deadline_at < now)
    assert open_overdue.sum() > 0
    assert (cases.status != "closed").sum() > 0


def test_every_fact_points_at_an_existing_unit_station_and_department(tiny):
    units = _read(tiny, "units")
    codes = set(units.unit_code)
    parents = units.parent_code.dropna()
    assert set(parents) <= codes
    assert (units.level == "district").sum() == 1
    stations = set(_read(tiny, "stations").station_code)
    depts = set(_read(tiny, "departments").dept_code)
    for kind in ("cases", "hotline", "sensors", "alarms", "staffing"):
        df = _read(tiny, kind)
        assert set(df.unit_code) <= codes, kind
        if "station_code" in df:
            assert set(df.station_code.dropna()) <= stations, kind
        if "dept_code" in df:
            assert set(df.dept_code.dropna()) <= depts, kind
    cases = _read(tiny, "cases")
    assert set(cases.category_code) <= set(_read(tiny, "categories").category_code)
    alarms = _read(tiny, "alarms")
    linked = cases.dropna(subset=["alarm_id"])
    assert len(linked) > 0 and set(linked.alarm_id) <= set(alarms.alarm_id)
    assert set(alarms.case_id.dropna()) == set(linked.case_id)
    hot = _read(tiny, "hotline")
    assert set(hot.case_id.dropna()) == set(cases.hotline_order_id.dropna().map(
        hot.set_index("order_id").case_id))


def test_yingpu_has_five_grids(tiny):
    units = _read(tiny, "units")
    assert (units.level == "grid").sum() == 5
    assert units.loc[units.level == "town", "name_zh"].tolist() == ["盈浦街道"]


def test_district_geography_matches_the_seed_plans():
    rng = np.random.default_rng(1)
    geo = load_geography(rng)
    org = build_organisation(geo, rng)
    u = geo.units
    assert (u.level == "town").sum() == 11
    ref = pd.read_csv(REF / "qingpu_admin_units.csv", dtype={"code": str})
    real = ref[ref.level == "village"]
    assert len(real) == 289
    villages = u[u.level == "village"]
    assert set(zip(real.code, real.name, strict=True)) == set(zip(villages.unit_code, villages.name_zh, strict=True))
    grids = u[u.level == "grid"]
    per_town = grids.parent_code.value_counts()
    assert per_town["310118002000"] == 5  # 盈浦
    assert per_town.between(3, 8).all()
    liaison = org.stations[org.stations.station_type == "liaison"]
    assert len(liaison) == 43 and liaison.is_demonstration.sum() == 13
    assert (org.stations.station_type == "village").sum() == 289
    assert set(u.block_type.dropna()) <= set(schema.BLOCK_TYPES)
    assert u.block_type.nunique() >= 10
    # Every derived polygon lies within the real outline, and derived shapes say so.
    outline = shape(json.loads(u.loc[u.level == "district", "geojson"].iloc[0]))
    for g in villages.geojson:
        assert outline.buffer(1e-6).contains(shape(json.loads(g)))
    assert u.loc[u.level != "district", "approximate"].all()
    # Villages without a published centroid got one inside the district.
    derived = villages[villages.centroid_derived]
    assert len(derived) > 100
    assert all(outline.contains(shapely.Point(x, y)) for x, y in zip(derived.lon, derived.lat, strict=True))


def test_an_unknown_scale_is_refused_with_the_choices(tmp_path):
    with pytest.raises(ValueError, match="tiny, town, district, city"):
        generate(tmp_path, "metropolis", now=NOW)


def test_build_demo_tiny_loads_every_row(tmp_path):
    s = build_demo(tmp_path / "vitals.duckdb", "tiny", seed=3, now=NOW)
    for kind, r in s.reports.items():
        assert r.rows_read == r.rows_loaded + r.rows_rejected, kind
        assert r.rows_rejected == 0, (kind, r.reasons)
        assert r.rows_read == s.files.rows[kind], kind
    con = duckdb.connect(str(tmp_path / "vitals.duckdb"), read_only=True)
    try:
        meta = dict(con.execute("SELECT key, value FROM warehouse_meta").fetchall())
        assert meta["data_now"] == "2026-07-01 09:37:00"
        assert con.execute("SELECT count(*) FROM cases").fetchone()[0] == s.files.rows["cases"]
        assert con.execute("SELECT count(*) FROM sensor_readings").fetchone()[0] == s.files.rows["readings"]
        # The ETL filled the unit path of every fact from org_unit.
        assert con.execute("SELECT count(*) FROM cases WHERE grid_code IS NULL OR town_code IS NULL").fetchone()[0] == 0
        assert con.execute("SELECT DISTINCT datum FROM unit_geometry").fetchall() == [("GCJ-02",)]
    finally:
        con.close()


def test_a_second_demo_replaces_the_first_instead_of_mixing_with_it(tmp_path):
    # a rebuild on another day (other seed here, so the row sets differ) must hold the new demo only:
    # loaded over the old one, rows the new demo lacks (rosters, readings of other hours) stayed
    from datetime import timedelta

    wh = tmp_path / "vitals.duckdb"
    build_demo(wh, "tiny", seed=3, now=NOW)
    second = build_demo(wh, "tiny", seed=4, now=NOW + timedelta(days=9))
    con = duckdb.connect(str(wh), read_only=True)
    try:
        for table, kind in (("cases", "cases"), ("sensor_readings", "readings"), ("staffing_roster", "staffing"),
                            ("hotline_orders", "hotline")):
            assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == second.files.rows[kind], table
        assert con.execute("SELECT max(ts) FROM sensor_readings").fetchone()[0] <= NOW + timedelta(days=9)
        assert con.execute("SELECT count(DISTINCT load_run_id) FROM staffing_roster").fetchone()[0] == 1
    finally:
        con.close()


def test_cli_generates_without_prompting_and_refuses_an_unknown_scale(tmp_path):
    from typer.testing import CliRunner

    from dashboard.cli import app

    runner = CliRunner()
    ok = runner.invoke(app, ["demo", "--scale", "tiny", "--generate-only", "--now", "2026-07-01T09:37",
                             "--out", str(tmp_path)])
    assert ok.exit_code == 0, ok.output
    assert "cases" in ok.output
    assert pd.read_parquet(tmp_path / "cases.parquet").reported_at.max() <= pd.Timestamp("2026-07-01 09:37")
    other = runner.invoke(app, ["demo", "--scale", "metropolis", "--generate-only", "--out", str(tmp_path / "m")])
    assert other.exit_code == 2
    assert "metropolis" in other.output
    bad = runner.invoke(app, ["demo", "--scale", "tiny", "--generate-only", "--now", "yesterday"])
    assert bad.exit_code == 2
    assert "yesterday" in bad.output


@pytest.mark.parametrize("now", [NOW, datetime(2026, 11, 29, 3, 20), datetime(2027, 1, 1, 0, 40)])
def test_every_last_month_holds_repeat_complaints(tmp_path, now):
    """顽症 are planted on a steady rhythm: whatever the day the demo is generated, the last 30 days hold
    several places where the same complaint came at least 3 times (orders of one category within 30 m)."""
    files = generate(tmp_path, "tiny", seed=11, now=now)
    h = _read(files, "hotline")
    h = h[h.received_at >= pd.Timestamp(now) - pd.Timedelta(days=30)]
    assert (h.received_at <= pd.Timestamp(now)).all()
    repeated = 0
    for _, g in h.groupby("category"):
        x = g.lon.to_numpy() * 111_320 * np.cos(np.radians(31.1))
        y = g.lat.to_numpy() * 111_320
        near = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :]) <= 30
        repeated += int((near.sum(axis=1) >= 3).sum())
    assert repeated >= 4 * 3  # at least the 4 planted places, each with 3 orders or more
