"""Duty rosters (力量配置) per grid: a full day team, a thin night team, on-call staff (备勤).

Vectorised as persons × days with Bernoulli presence; a few understaffed grids, mostly rural, have
no night cover on some nights (seed 002 asks for 7×24 cover, the data shows where it is missing).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl import schema
from etl.demo import text
from etl.demo.geography import Geography
from etl.demo.organisation import Organisation
from etl.demo.timebase import Window

COLUMNS = [c for c in schema.TABLE_BY_NAME["staffing_roster"].column_names
           if c not in (*schema.PATH_COLUMNS, "load_run_id")]
# role, department type, persons per grid (urban, other), shift pattern
ROLES = (
    ("网格员", None, (10, 6), "day"), ("城管", "城管中队", (3, 2), "rotating"), ("民警", "派出所", (3, 2), "rotating"),
    ("市场监管", "市场所", (2, 1), "day"), ("保洁", "保洁", (4, 3), "day"), ("物业", "物业", (3, 1), "rotating"),
    ("值班长", None, (2, 2), "rotating"), ("备勤", None, (3, 2), "on_call"),
)


def generate_staffing(geo: Geography, org: Organisation, win: Window, rng: np.random.Generator) -> pd.DataFrame:
    grids = geo.grids.reset_index(drop=True)
    urban = (grids.area_type == "urban").to_numpy()
    g_idx, role_idx = [], []
    for r, (_, _, (nu, no), _) in enumerate(ROLES):  # 8 roles: building the person table, not facts
        per = np.where(urban, nu, no)
        g_idx.append(np.repeat(np.arange(len(grids)), per))
        role_idx.append(np.full(per.sum(), r))
    gp = np.concatenate(g_idx)
    rp = np.concatenate(role_idx)
    npers = len(gp)
    person_id = ("P" + pd.Series(grids.unit_code.to_numpy()[gp]).astype(str) + "-"
                 + pd.Series(np.arange(npers)).astype(str).str.zfill(4)).to_numpy()
    pname = text.person_names(rng, npers).to_numpy()
    days = win.days64()[-win.days:]  # the last `days` duty dates, today included
    nd = len(days)
    pi = np.repeat(np.arange(npers), nd)
    di = np.tile(np.arange(nd), npers)
    pattern = np.array([x[3] for x in ROLES])[rp[pi]]
    dow = (days.astype(int) + 3) % 7
    weekend = dow[di] >= 5
    u = rng.random(len(pi))
    # Day staff work five days in seven (fewer at weekends); rotating staff do one night in four.
    # each grid's rotating staff take consecutive places in the four-night cycle, so every night of the
    # cycle has someone on the rota (offsets by global person number left some grids a night a week short)
    rotating = np.array([x[3] == "rotating" for x in ROLES])[rp]
    place = pd.Series(rotating.astype(int)).groupby(gp).cumsum().to_numpy()
    rot = (di + place[pi]) % 4
    shift = np.select(
        [pattern == "day", (pattern == "rotating") & (rot == 0), pattern == "rotating", pattern == "on_call"],
        ["day", "night", "day", "on_call"], "day")
    present = np.select([shift == "day", shift == "night", shift == "on_call"],
                        # a rota'd night is worked (absences are swapped within the team): a night
                        # goes uncovered only through the grid-level gaps below
                        [u < np.where(weekend, 0.45, 0.85), True, u < 0.5], False)
    present &= ~((pattern == "rotating") & (rot == 2))  # rest day after the night
    # Nights with no cover: a grid's whole night team is missing. Gaps cluster in a few understaffed
    # grids (mostly rural) that miss nights every month; elsewhere a gap is a rare accident. (Until
    # now, 35 of 40 district grids missed a night every month: no signal for the command hall.)
    weak = rng.random(len(grids)) < np.where(urban, 0.08, 0.3)
    weak[rng.integers(len(grids))] = True  # every demo has a grid to show on the night-cover panel
    gap_p = np.where(weak, np.where(urban, 0.05, 0.12), 0.002)
    gap = rng.random((len(grids), nd)) < gap_p[:, None]
    present &= ~((shift == "night") & gap[gp[pi], di])
    pi, di, shift = pi[present], di[present], shift[present]
    start_h = np.select([shift == "day", shift == "night"], [8.0, 20.0], 17.5)
    hours = np.select([shift == "day", shift == "night"], [9.0, 12.0], 14.5)
    d0 = days[di].astype("datetime64[s]")
    start = d0 + (start_h * 3600).astype("int64").astype("timedelta64[s]")
    end = start + (hours * 3600).astype("int64").astype("timedelta64[s]")
    n = len(pi)
    dept_type = np.array([x[1] or "" for x in ROLES], dtype=object)[rp[pi]]
    town = grids.town_code.to_numpy()[gp[pi]]
    depts = org.departments.dropna(subset=["town_code"]).drop_duplicates(["town_code", "dept_type"])
    dmap = pd.Series(depts.dept_code.to_numpy(), index=(depts.town_code + "|" + depts.dept_type).to_numpy())
    dept = (pd.Series(town).astype(str) + "|" + pd.Series(dept_type).astype(str)).map(dmap).to_numpy()
    station = grids.unit_code.map(org.grid_station).to_numpy()[gp[pi]]
    on_station = np.isin(np.array([x[0] for x in ROLES])[rp[pi]], ["城管", "民警", "市场监管", "值班长"])
    sid = "RS" + pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(9)
    return pd.DataFrame({
        "roster_id": "demo:" + sid, "source_system": "demo", "source_id": sid, "person_id": person_id[pi],
        "person_name": pname[pi], "role": np.array([x[0] for x in ROLES])[rp[pi]], "dept_code": dept,
        "station_code": np.where(on_station, station, None), "unit_code": grids.unit_code.to_numpy()[gp[pi]],
        "duty_date": days[di].astype("datetime64[s]"), "shift": shift,
        "start_at": start.astype("datetime64[us]"), "end_at": end.astype("datetime64[us]"), "hours": hours,
    })[COLUMNS]


def with_dates(staff: pd.DataFrame) -> pd.DataFrame:
    """``duty_date`` as dates (Parquet DATE), as the warehouse column is."""
    staff["duty_date"] = pd.Series(staff.duty_date.to_numpy().astype("datetime64[D]")).dt.date
    return staff
