"""The metrics layer on the real NYC 311 sample (loaded through the ETL mapping) against an
independent pandas computation straight from the raw CSV.

Only the set of loaded Unique Keys is taken from the warehouse (the ETL rejects a few rows, see
tests/etl/test_real_nyc.py); dates, groups and every number are recomputed here from the raw columns.
"""

from __future__ import annotations

import json
import re
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest
import shapely

from etl.load import load_files
from etl.settings import Settings
from etl.snapshots import open_readonly
from metrics import Period, Query, indicator_table
from tests.etl.conftest import REAL

pytestmark = pytest.mark.real_data
CSV = REAL / "hotline" / "nyc311_2018_sample.csv"
GEO = REAL / "boundaries" / "nyc_community_districts_2013.geojson"
BORO = {"MANHATTAN": 1, "BRONX": 2, "BROOKLYN": 3, "QUEENS": 4, "STATEN ISLAND": 5}
# The sample covers 21–22 October 2018 (New York local time, the site zone of this warehouse).
QUERY = Query(Period.custom(date(2018, 10, 21), date(2018, 10, 22)))
START, END = pd.Timestamp("2018-10-21"), pd.Timestamp("2018-10-23")
IDS = ["hotline_orders", "hotline_closure_rate", "hotline_close_p50", "hotline_backlog"]


@pytest.fixture(scope="module")
def nyc(tmp_path_factory):
    wh = tmp_path_factory.mktemp("nyc") / "vitals.duckdb"
    s = Settings(warehouse=wh, timezone="America/New_York", datum="WGS-84", site_name_en="New York City")
    load_files(wh, "units", [GEO], "nyc_community_districts", settings=s)
    load_files(wh, "hotline", [CSV], "nyc311", settings=s)
    con = open_readonly(wh)
    yield con
    con.close()


def independent(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    raw = pd.read_csv(CSV, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    loaded = {r[0].split(":", 1)[1] for r in con.execute("SELECT order_id FROM hotline_orders").fetchall()}
    raw = raw[raw["Unique Key"].isin(loaded)].copy()
    assert len(raw) == len(loaded) > 6000
    raw["created"] = pd.to_datetime(raw["Created Date"], format="%m/%d/%y %H:%M")
    raw["closed"] = pd.to_datetime(raw["Closed Date"].replace("", None), format="%m/%d/%y %H:%M")
    feats = json.loads(GEO.read_text())["features"]
    polys = [(int(f["properties"]["BoroCD"]), shapely.geometry.shape(f["geometry"])) for f in feats]

    def board(cb: str, lat: str, lon: str) -> str:
        m = re.fullmatch(r"(\d\d) (MANHATTAN|BRONX|BROOKLYN|QUEENS|STATEN ISLAND)", cb)
        if m and any(c == BORO[m.group(2)] * 100 + int(m.group(1)) for c, _ in polys):
            return f"NYC-{BORO[m.group(2)] * 100 + int(m.group(1))}"
        pt = shapely.Point(float(lon), float(lat))
        (code,) = [c for c, p in polys if p.contains(pt)]
        return f"NYC-{code}"

    raw["grid"] = [board(*x) for x in zip(raw["Community Board"], raw["Latitude"], raw["Longitude"], strict=True)]
    raw["town"] = raw["grid"].str[:5]
    return raw


def expected(raw: pd.DataFrame, by: str) -> pd.DataFrame:
    received = raw[(raw.created >= START) & (raw.created < END)]
    closed = received[received.closed < END]
    backlog = raw[(raw.created < END) & (raw.closed.isna() | (raw.closed >= END))]
    hours = (closed.closed - closed.created).dt.total_seconds() / 3600
    return pd.DataFrame({
        "hotline_orders": received.groupby(by).size(),
        "hotline_closure_rate": closed.groupby(by).size() / received.groupby(by).size(),
        "hotline_close_p50": hours.groupby(closed[by]).median(),
        "hotline_backlog": backlog.groupby(by).size(),
    }).fillna({"hotline_orders": 0, "hotline_backlog": 0, "hotline_closure_rate": 0.0})


@pytest.mark.parametrize(("by", "column"), [("town", "town"), ("grid", "grid"), ("agency", "Agency Name"),
                                            ("department", "Agency")])
def test_nyc_closure_median_and_backlog_match_pandas(nyc, by, column):
    raw = independent(nyc)
    exp = expected(raw, column)
    got = indicator_table(nyc, IDS, QUERY, by=by, overrides={})
    got = got.pivot(index="key", columns="metric_id", values="value")
    if by == "grid":  # community districts without a single request are listed, with no rate
        empty = got.index.difference(exp.index)
        assert (got.loc[empty, "hotline_orders"] == 0).all() and got.loc[empty, "hotline_closure_rate"].isna().all()
        got = got.loc[exp.index]
    assert sorted(got.index) == sorted(exp.index)
    assert len(exp) >= {"town": 5, "grid": 59, "agency": 10, "department": 10}[by]
    for metric in IDS:
        np.testing.assert_allclose(got.loc[exp.index, metric].to_numpy(float), exp[metric].to_numpy(float),
                                   rtol=1e-9, err_msg=f"{metric} by {by}")


def test_nyc_citywide_totals(nyc):
    raw = independent(nyc)
    got = indicator_table(nyc, IDS, QUERY, overrides={}).set_index("metric_id")["value"]
    received = raw[(raw.created >= START) & (raw.created < END)]
    closed = received[received.closed < END]
    assert got["hotline_orders"] == len(received)
    assert got["hotline_closure_rate"] == pytest.approx(len(closed) / len(received))
    assert got["hotline_close_p50"] == pytest.approx(((closed.closed - closed.created).dt.total_seconds() / 3600)
                                                     .median())
