"""Grid cases and 12345 hotline orders: vectorised over all rows, structure from hidden unit quality.

Why it looks real: volumes follow weekly and daily cycles and the wet seasons; the category mix
depends on area type and season; handling times are lognormal around each category's deadline and
stretched for poorer units; poor stations leave more cases stuck (so some fall below 85% closure);
urgent cases mostly meet 15 min on site / 1 h first result; the most recent cases are still open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

import numpy as np
import pandas as pd

from etl import schema
from etl.demo import text
from etl.demo.categories import AREA_MIX, SEASON_MIX
from etl.demo.frames import NONE
from etl.demo.geography import Geography
from etl.demo.hotline_categories import HOTLINE_TOPICS
from etl.demo.organisation import Organisation
from etl.demo.timebase import SEASONS, Window, season_codes

MIN = 60.0
HOUR = 3600.0
DAY = 86400.0
NAT = np.datetime64("NaT", "us")
CASE_COLUMNS = [c for c in schema.TABLE_BY_NAME["cases"].column_names
                if c not in (*schema.PATH_COLUMNS, "load_run_id")]
HOTLINE_COLUMNS = [c for c in schema.TABLE_BY_NAME["hotline_orders"].column_names
                   if c not in (*schema.PATH_COLUMNS, "load_run_id")]
# Alarm types that open a case (联动) when they reach the alarm threshold, and the category they open.
ALARM_CASE = {
    "water_level": (0.6, "E04005"), "manhole_tilt": (0.85, "C01003"), "smoke": (0.9, "E04010"),
    "gas": (0.9, "E04004"), "noise": (0.15, "E06084"), "air_pm25": (0.03, "E03006"), "air_pm10": (0.03, "E03006"),
}
HOUR_PROFILE = {  # relative reports per hour of day
    "staff": np.array([1, 1, 1, 1, 1, 2, 4, 8, 14, 16, 16, 14, 10, 12, 15, 15, 13, 9, 5, 4, 3, 2, 2, 1], float),
    "citizen": np.array([1, 1, 1, 1, 1, 1, 3, 6, 10, 12, 12, 10, 9, 10, 11, 11, 10, 9, 9, 9, 8, 6, 3, 2], float),
}


def _lognormal_s(rng: np.random.Generator, median_s: np.ndarray | float, sigma: np.ndarray | float,
                 n: int) -> np.ndarray:
    return np.exp(np.log(median_s) + rng.normal(0, sigma, n))


def _td(seconds: np.ndarray) -> np.ndarray:
    return seconds.astype("int64").astype("timedelta64[s]").astype("timedelta64[us]")


def _times(rng: np.random.Generator, win: Window, n: int, profile: str, weekend: float) -> np.ndarray:
    """n timestamps in the window with weekly, seasonal and daily cycles (datetime64[us]).

    Times are drawn over (day, hour) cells weighted by the day's cycle times the hour profile times the
    share of the hour inside the window, so the partial first and last days get only the part of their
    hour profile that lies in the window (moving out-of-window times by a day piled them onto the
    neighbouring full day, which then showed as a spike).
    """
    days = win.days64()
    dow = (days.astype(int) + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    w = np.where(dow >= 5, weekend, 1.0) * np.array([1.0, 1.12, 1.1])[season_codes(days)]
    w *= np.linspace(0.95, 1.05, len(days))  # slow growth: more cases are found as the grid matures
    hour0 = (days.astype("datetime64[s]")[:, None] + (np.arange(24) * 3600).astype("timedelta64[s]")).ravel()
    now, start = win.now64(), win.start64()
    lo = np.clip((start - hour0).astype(int), 0, 3600)  # seconds of each hour before the window
    hi = np.clip((now - hour0).astype(int), 0, 3600)  # seconds of each hour up to now
    inside = np.maximum(hi - lo, 0)
    cell_w = (w[:, None] * HOUR_PROFILE[profile][None, :]).ravel() * inside
    c = rng.choice(len(cell_w), n, p=cell_w / cell_w.sum())
    sec = lo[c] + (rng.random(n) * inside[c]).astype("int64")  # uniform within the hour's part in the window
    ts: np.ndarray = (hour0[c] + sec.astype("timedelta64[s]")).astype("datetime64[us]")
    return ts


@dataclass(frozen=True)
class Facts:
    cases: pd.DataFrame
    hotline: pd.DataFrame
    alarms: pd.DataFrame


def _cat_probs(cats: pd.DataFrame, area: str, season: str) -> np.ndarray:
    w = cats.weight.to_numpy() * cats.theme.map(AREA_MIX[area]).fillna(1.0).to_numpy()
    w = w * cats.theme.map(SEASON_MIX.get(season, {})).fillna(1.0).to_numpy()
    probs: np.ndarray = w / w.sum()
    return probs


def _pick_dept(rng: np.random.Generator, depts: pd.DataFrame, town: np.ndarray, dtype: np.ndarray) -> np.ndarray:
    """One department of the right type in the case's town (vectorised over (town, type) keys)."""
    d = depts[depts.town_code.notna()].sort_values(["town_code", "dept_type", "dept_code"]).reset_index(drop=True)
    key = d.town_code + "|" + d.dept_type
    first = key.drop_duplicates().reset_index().set_index(key.drop_duplicates().to_numpy())["index"]
    count = key.value_counts()
    k = pd.Series(town).astype(str) + "|" + pd.Series(dtype).astype(str)
    f = k.map(first).to_numpy()
    c = k.map(count).to_numpy()
    missing = pd.isna(f)
    f = np.where(missing, 0, f).astype(int)
    c = np.where(missing, 1, c).astype(int)
    out = d.dept_code.to_numpy()[f + (rng.random(len(k)) * c).astype(int)]
    picked: np.ndarray = np.where(missing, NONE, out)
    return picked


def generate_facts(geo: Geography, org: Organisation, cats: pd.DataFrame, win: Window, cases_n: int,
                   hotline_n: int, alarms: pd.DataFrame, rng: np.random.Generator) -> Facts:
    vil = geo.villages.reset_index(drop=True)
    now = np.datetime64(win.now, "us")
    start = np.datetime64(win.start, "us")
    cat_idx_by_code = pd.Series(np.arange(len(cats)), index=cats.category_code)

    # --- alarm-derived cases (smart discovery, 联动) -------------------------------------------
    a = alarms
    conv = np.zeros(len(a), bool)
    a_cat = np.zeros(len(a), int)
    if len(a):
        p = a.sensor_type.map({k: v[0] for k, v in ALARM_CASE.items()}).to_numpy(float)
        conv = (a.severity.to_numpy() == "alarm") & (rng.random(len(a)) < p) & \
            (a.started_at.to_numpy() >= start) & (a.started_at.to_numpy() < now - np.timedelta64(20, "m"))
        a_cat = cat_idx_by_code[a.sensor_type.map({k: v[1] for k, v in ALARM_CASE.items()})].to_numpy()
    n_al = int(conv.sum())
    vil_pos = pd.Series(np.arange(len(vil)), index=vil.unit_code)
    n_main = max(cases_n - n_al, 0)

    # --- the main body of cases -----------------------------------------------------------------
    vw = vil.weight.to_numpy() * rng.lognormal(0, 0.35, len(vil))
    v = np.concatenate([rng.choice(len(vil), n_main, p=vw / vw.sum()),
                        vil_pos[a.unit_code.to_numpy()[conv]].to_numpy()])
    n = len(v)
    # Proactive propensity per village: spread around the 85% target.
    p_pro_v = np.clip(rng.normal(0.85, 0.06, len(vil)), 0.6, 0.98)
    proactive = rng.random(n) < p_pro_v[v]
    proactive[n_main:] = True
    reported = np.concatenate([
        np.where(proactive[:n_main], _times(rng, win, n_main, "staff", 0.7), _times(rng, win, n_main, "citizen", 1.0)),
        a.started_at.to_numpy()[conv].astype("datetime64[us]") + _td(rng.uniform(2 * MIN, 20 * MIN, n_al)),
    ])
    season = season_codes(reported.astype("datetime64[D]"))
    area = vil.area_type.to_numpy()[v]
    cat = np.empty(n, int)
    for ar in AREA_MIX:  # 4 area types × 3 seasons: groups, not rows
        for si, sname in enumerate(SEASONS):
            m = np.flatnonzero((area[:n_main] == ar) & (season[:n_main] == si))
            if len(m):
                cat[m] = rng.choice(len(cats), len(m), p=_cat_probs(cats, ar, sname))
    cat[n_main:] = a_cat[conv]
    emergency = cats.time_basis.to_numpy()[cat] == "紧急工作时"
    urgent = np.where(emergency, rng.random(n) < 0.45, rng.random(n) < 0.012)

    theme = cats.theme.to_numpy()[cat]
    # Sources: proactive = patrol / station patrol / smart; otherwise a citizen channel.
    u = rng.random(n)
    smart_bias = np.isin(theme, ["facility", "drainage", "urgent"])
    pro_src = np.where(u < np.where(smart_bias, 0.45, 0.12), "smart", np.where(u < 0.8, "patrol", "station_patrol"))
    cit_src = rng.choice(np.array(["hotline_12345", "citizen_qr", "hotline_12319", "hotline_110"]), n,
                         p=[0.62, 0.2, 0.1, 0.08])
    source = np.where(proactive, pro_src, cit_src)
    source[n_main:] = "smart"

    grid = vil.grid_code.to_numpy()[v]
    liaison = pd.Series(grid).map(org.grid_station).to_numpy()
    street = np.isin(theme, ["street", "market", "ad", "construction", "police", "urgent"])
    with_station = rng.random(n) < np.where(street, 0.75, 0.25)
    # Key-area liaison stations sit on a village, grid ones on their grid (codes may carry a city prefix).
    key_st = org.stations[(org.stations.station_type == "liaison") & org.stations.unit_code.isin(vil.unit_code)]
    key_map = pd.Series(key_st.station_code.to_numpy(), index=key_st.unit_code.to_numpy())
    key_here = pd.Series(vil.unit_code.to_numpy()[v]).map(key_map).to_numpy()
    station = np.where(with_station, np.where(pd.notna(key_here), key_here, liaison), NONE)
    source = np.where((source == "station_patrol") & pd.isna(station), "patrol", source)
    own = org.stations[org.stations.station_type == "village"]
    village_station = pd.Series(vil.unit_code.to_numpy()[v]).map(
        pd.Series(own.station_code.to_numpy(), index=own.unit_code.to_numpy()))
    q_station = pd.Series(np.where(pd.isna(station), village_station, station)).map(org.station_quality).to_numpy()
    dept = _pick_dept(rng, org.departments, vil.town_code.to_numpy()[v], cats.dept_type.to_numpy()[cat])
    q_dept = pd.Series(dept).map(org.dept_quality).fillna(0.6).to_numpy()
    # A liaison station's own capacity dominates its cases; elsewhere the department matters more.
    q = np.where(pd.isna(station), 0.5, 0.75) * q_station + np.where(pd.isna(station), 0.5, 0.25) * q_dept

    # --- lifecycle -------------------------------------------------------------------------------
    registered = reported + _td(_lognormal_s(rng, np.where(proactive, 5 * MIN, 12 * MIN), 0.8, n))
    dispatched = registered + _td(np.where(urgent, _lognormal_s(rng, 2 * MIN, 0.5, n),
                                           _lognormal_s(rng, 20 * MIN, 1.0, n)))
    arrive_med = np.where(urgent, 8 * MIN * np.exp((0.6 - q) * 0.9), 1.5 * HOUR * np.exp(0.6 - q))
    arrived = dispatched + _td(_lognormal_s(rng, arrive_med, np.where(urgent, 0.4, 0.9), n))
    nat_h = cats.natural_hours.to_numpy()[cat]
    deadline = reported + _td(nat_h * HOUR)
    handle = nat_h * HOUR * _lognormal_s(rng, 0.35 * np.exp((0.55 - q) * 1.4), 0.7, n)
    first_result = np.where(urgent, arrived + _td(_lognormal_s(rng, 20 * MIN * np.exp((0.6 - q) * 0.8), 0.5, n)),
                            np.maximum(arrived + _td(np.full(n, 10 * MIN)), reported + _td(handle)))
    rework = np.minimum(rng.poisson(0.03 + 0.1 * (1 - q)), 3).astype("int32")
    disposed = np.maximum(first_result, reported + _td(handle)) + _td(rework * _lognormal_s(rng, 20 * HOUR, 0.6, n))
    closed = disposed + _td(_lognormal_s(rng, 3 * HOUR, 0.8, n))
    # Hard cases drag on for weeks (median ~3 weeks) before they close: rare in good units, common
    # at the worst liaison stations. A few (疑难案件) never close. Without the eventual closure a
    # year of stuck cases would pile up as an unrealistic overdue backlog.
    stuck = rng.random(n) < 0.008 + 1.5 * (1 - q) ** 3
    never = stuck & (rng.random(n) < 0.03)
    drag = _td(np.where(stuck, _lognormal_s(rng, 21 * DAY, 0.7, n), 0.0))
    cancelled = rng.random(n) < 0.02
    escalated = rng.random(n) < 0.01 + 0.05 * (1 - q)
    disposed = np.where(never | cancelled, NAT, disposed + drag)
    first_result = np.where(cancelled, NAT, first_result)
    arrived = np.where(cancelled, NAT, arrived)
    dispatched = np.where(cancelled, NAT, dispatched)
    closed = np.where(never | cancelled, NAT, closed + drag)
    stages = [registered, dispatched, arrived, first_result, disposed, closed]
    stages = [np.where(s > now, NAT, s) for s in stages]  # the future has not happened yet
    registered, dispatched, arrived, first_result, disposed, closed = stages
    status = np.select(
        [cancelled, ~np.isnat(closed), ~np.isnat(disposed), ~np.isnat(arrived), ~np.isnat(dispatched),
         ~np.isnat(registered)],
        ["cancelled", "closed", "disposed", "arrived", "dispatched", "registered"], "reported")

    # Microgrid: part of the cases in villages that have them are pinned to a block.
    mg = geo.microgrids.sort_values("unit_code").reset_index(drop=True)
    unit = vil.unit_code.to_numpy()[v].astype(object)
    if len(mg):
        mfirst = mg.reset_index().groupby("village_code")["index"].min()
        mcount = mg.groupby("village_code").size()
        f = pd.Series(unit).map(mfirst).to_numpy()
        c = pd.Series(unit).map(mcount).to_numpy()
        use = pd.notna(f) & (rng.random(n) < 0.4)
        pick = np.where(use, np.nan_to_num(f.astype(float)) + np.floor(rng.random(n) * np.nan_to_num(c.astype(float))),
                        0).astype(int)
        unit = np.where(use, mg.unit_code.to_numpy()[pick], unit)

    lon = np.clip(vil.lon.to_numpy()[v] + rng.normal(0, 0.003, n), vil.min_lon.to_numpy()[v], vil.max_lon.to_numpy()[v])
    lat = np.clip(vil.lat.to_numpy()[v] + rng.normal(0, 0.003, n), vil.min_lat.to_numpy()[v], vil.max_lat.to_numpy()[v])
    address = text.addresses(rng, vil.town.to_numpy()[v], area == "urban")
    how = pd.Series(source).map({"patrol": "网格巡查发现", "station_patrol": "联勤巡查发现", "smart": "智能感知发现",
                                 "citizen_qr": "市民扫码上报", "hotline_12345": "12345热线转办",
                                 "hotline_12319": "12319热线转办", "hotline_110": "110非警务警情转办"})
    order = np.argsort(reported, kind="stable")
    sid = "QP" + pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(8)
    alarm_ids = np.full(n, None, dtype=object)
    alarm_ids[n_main:] = a.alarm_id.to_numpy()[conv]
    cases = pd.DataFrame({
        "source": source, "proactive": proactive, "urgency": np.where(urgent, "urgent", "general"),
        "category_code": cats.category_code.to_numpy()[cat], "family": cats.family.to_numpy()[cat],
        "major_code": cats.major_code.to_numpy()[cat], "status": status, "reported_at": reported,
        "registered_at": registered, "dispatched_at": dispatched, "arrived_at": arrived,
        "first_result_at": first_result, "disposed_at": disposed, "closed_at": closed, "deadline_at": deadline,
        "cancelled": cancelled, "rework_count": rework, "escalated": escalated,
        "supervision_report": rng.random(n) < 0.004, "station_code": station, "dept_code": dept,
        "alarm_id": alarm_ids, "unit_code": unit, "lon": lon.round(6), "lat": lat.round(6), "address": address,
        "description": pd.Series(cats.minor_name.to_numpy()[cat]) + "：" + how + "，位于" + address,
        "_town": vil.town.to_numpy()[v], "_major_name": cats.major_name.to_numpy()[cat],
        "_minor_name": cats.minor_name.to_numpy()[cat], "_q": q, "_village": vil.unit_code.to_numpy()[v],
    }).iloc[order].reset_index(drop=True)
    cases.insert(0, "source_id", sid)
    cases.insert(0, "source_system", "demo")
    cases.insert(0, "case_id", "demo:" + sid)
    cases["hotline_order_id"] = None

    alarms = a.copy()
    if n_al:
        linked = cases[cases.alarm_id.notna()]
        alarms["case_id"] = alarms.alarm_id.map(pd.Series(linked.case_id.to_numpy(), index=linked.alarm_id.to_numpy()))
    hotline = _hotline(geo, org, cases, win, hotline_n, rng)
    link = hotline[hotline.case_id.notna()]
    cases["hotline_order_id"] = cases.case_id.map(pd.Series(link.order_id.to_numpy(), index=link.case_id.to_numpy()))
    return Facts(cases=cases[CASE_COLUMNS], hotline=hotline[HOTLINE_COLUMNS], alarms=alarms)


@dataclass(frozen=True)
class Chronic:
    """Orders rewritten as recurring complaints: ``rows`` index the citizen-only orders."""
    rows: np.ndarray
    village: np.ndarray
    topic: np.ndarray
    received: np.ndarray
    lon: np.ndarray
    lat: np.ndarray


def _chronic(rng: np.random.Generator, vil: pd.DataFrame, n_topics: int, win: Window, ni: int) -> Chronic:
    """顽症: a few places where the same complaint comes back every 3–8 days all through the window (a
    noisy restaurant, a leaking main), each a fixed spot a few metres wide. Real 12345 data has them and the
    repeat-complaint panel exists for them; a steady rhythm means every month of the demo holds some (at
    least 3 within 30 days), whatever day the demo is generated."""
    spots = max(4, ni // 2000)
    every = rng.uniform(3.0, 8.0, spots)
    span = (win.now - win.start).total_seconds() / 86400.0
    phase = rng.uniform(0.0, every)
    per = np.maximum(np.floor((span - phase) / every).astype(int) + 1, 0)
    spot = np.repeat(np.arange(spots), per)
    k = np.arange(len(spot)) - np.repeat(np.cumsum(per) - per, per)
    # days counted from the window's first midnight, so calls come in the daytime (08:00–21:00), never
    # before the window starts or after now
    first = (win.start - datetime.combine(win.start.date(), time())).total_seconds() / 86400.0
    days = np.floor(first + phase[spot] + k * every[spot]) + rng.uniform(8 / 24, 21 / 24, len(spot))
    days = np.clip(days, first, first + span - 1 / 1440)
    keep = min(len(spot), ni // 4)
    spot, days = spot[:keep], days[:keep]
    v = rng.choice(len(vil), spots, p=vil.weight.to_numpy() / vil.weight.sum())
    lon0 = np.clip(vil.lon.to_numpy()[v] + rng.normal(0, 0.002, spots), vil.min_lon.to_numpy()[v],
                   vil.max_lon.to_numpy()[v])
    lat0 = np.clip(vil.lat.to_numpy()[v] + rng.normal(0, 0.002, spots), vil.min_lat.to_numpy()[v],
                   vil.max_lat.to_numpy()[v])
    return Chronic(rows=rng.choice(ni, keep, replace=False), village=v[spot],
                   topic=rng.integers(0, n_topics, spots)[spot],
                   received=np.datetime64(win.start.date(), "us") + _td(days * 86400.0),
                   lon=lon0[spot] + rng.normal(0, 0.00005, keep), lat=lat0[spot] + rng.normal(0, 0.00005, keep))


def _hotline(geo: Geography, org: Organisation, cases: pd.DataFrame, win: Window, total: int,
             rng: np.random.Generator) -> pd.DataFrame:
    vil = geo.villages.reset_index(drop=True)
    now = np.datetime64(win.now, "us")
    start = np.datetime64(win.start, "us")
    lc = cases[cases.source == "hotline_12345"]
    nl = len(lc)
    ni = max(total - nl, 0)
    vw = vil.weight.to_numpy()
    vi = rng.choice(len(vil), ni, p=vw / vw.sum())
    topics = np.array(HOTLINE_TOPICS, dtype=object)
    ti = rng.integers(0, len(topics), ni)
    chronic = _chronic(rng, vil, len(topics), win, ni)
    vi[chronic.rows], ti[chronic.rows] = chronic.village, chronic.topic
    dept_i = _pick_dept(rng, org.departments, vil.town_code.to_numpy()[vi], topics[ti, 3])
    vpos = pd.Series(np.arange(len(vil)), index=vil.unit_code)
    own_times = _times(rng, win, ni, "citizen", 1.05)
    own_times[chronic.rows] = chronic.received
    received = np.concatenate([
        np.maximum(lc.reported_at.to_numpy() - _td(_lognormal_s(rng, 30 * MIN, 0.6, nl)), start),
        own_times,
    ])
    n = nl + ni
    v = np.concatenate([vpos[lc["_village"].to_numpy()].to_numpy(), vi])
    dept = np.concatenate([lc.dept_code.to_numpy(), dept_i])
    q = pd.Series(dept).map(org.dept_quality).fillna(0.6).to_numpy()
    category = np.concatenate([lc["_major_name"].to_numpy(), topics[ti, 0]])
    sub = np.concatenate([lc["_minor_name"].to_numpy(), topics[ti, 1]])
    issue = np.concatenate([lc["_minor_name"].to_numpy() + "问题", topics[ti, 2]])
    urgent = np.concatenate([lc.urgency.to_numpy() == "urgent", rng.random(ni) < 0.02])
    limit_days = np.where(urgent, 1, rng.choice(np.array([5, 15]), n, p=[0.8, 0.2]))
    due = received + _td(limit_days * 1.4 * 86400.0)
    fc_u = rng.random(n)
    first_contact = np.where(fc_u < 0.01, NONE, fc_u < 0.01 + 0.92 + 0.06 * q).astype(object)
    contacted = np.where(first_contact == True, received + _td(_lognormal_s(rng, 2 * HOUR, 0.8, n)), NAT)  # noqa: E712
    span = (due - received).astype("timedelta64[s]").astype(float)
    on_time = rng.random(n) < 0.955 + 0.045 * q
    dur = np.where(on_time, span * rng.beta(2, 3, n), span + _lognormal_s(rng, 86400.0, 0.8, n))
    closed = received + _td(dur)
    closed = np.where(closed > now, NAT, closed)
    contacted = np.where(contacted > now, NAT, contacted)
    is_closed = ~np.isnat(closed)
    resolved = rng.random(n) < 0.70 + 0.17 * q
    resolution = np.where(is_closed, np.where(resolved, "resolved", "explained"), NONE)
    callback = np.where(is_closed & (rng.random(n) < 0.75), closed + _td(_lognormal_s(rng, 86400.0, 0.6, n)), NAT)
    callback = np.where(callback > now, NAT, callback)
    su = rng.random(n)
    p_sat = (0.80 + 0.14 * q) * np.where(resolved, 1.0, 0.9)
    p_unsat = (0.09 - 0.07 * q) * np.where(resolved, 1.0, 1.6)
    sat = np.where(su < p_sat, "satisfied", np.where(su < 1 - p_unsat, "basic", "unsatisfied"))
    satisfaction = np.where(np.isnat(callback), NONE, sat)
    names = text.person_names(rng, n)
    town = vil.town.to_numpy()[v]
    own = text.addresses(rng, town[nl:], vil.area_type.to_numpy()[vi] == "urban")
    address = pd.Series(np.concatenate([lc.address.to_numpy(), own.to_numpy()]))
    lon = np.concatenate([lc.lon.to_numpy(), np.clip(vil.lon.to_numpy()[vi] + rng.normal(0, 0.003, ni),
                                                     vil.min_lon.to_numpy()[vi], vil.max_lon.to_numpy()[vi])])
    lat = np.concatenate([lc.lat.to_numpy(), np.clip(vil.lat.to_numpy()[vi] + rng.normal(0, 0.003, ni),
                                                     vil.min_lat.to_numpy()[vi], vil.max_lat.to_numpy()[vi])])
    lon[nl + chronic.rows], lat[nl + chronic.rows] = chronic.lon, chronic.lat
    dept_name = pd.Series(dept).map(org.departments.set_index("dept_code").name_zh).to_numpy()
    content = ("市民" + names + "来电反映：" + address + "附近" + pd.Series(issue) + "，"
               + text.pick(rng, text.DEMANDS, n) + "。")
    order = np.argsort(received, kind="stable")
    out = pd.DataFrame({
        "channel": np.where(rng.random(n) < 0.92, "12345", "app"), "received_at": received, "category": category,
        "subcategory": sub, "urgency": np.where(urgent, "urgent", "general"), "agency": dept_name,
        "dept_code": dept, "status": np.where(is_closed, "closed", "open"), "first_contact": first_contact,
        "contacted_at": contacted, "due_at": due, "closed_at": closed, "resolution": resolution,
        "satisfaction": satisfaction, "callback_at": callback,
        "case_id": np.concatenate([lc.case_id.to_numpy(), np.full(ni, None, dtype=object)]),
        "unit_code": np.concatenate([lc.unit_code.to_numpy(), vil.unit_code.to_numpy()[vi]]),
        "lon": np.round(lon, 6), "lat": np.round(lat, 6), "address": address, "citizen_name": names,
        "citizen_phone": text.phones(rng, n), "content": content,
    }).iloc[order].reset_index(drop=True)
    sid = "RX" + pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(8)
    out.insert(0, "source_id", sid)
    out.insert(0, "source_system", "demo")
    out.insert(0, "order_id", "demo:" + sid)
    out["first_contact"] = out.first_contact.astype("boolean")
    return out
