"""Liaison stations, village work stations and departments, with a hidden 'quality' per unit.

Quality (0 = poor, 1 = excellent) is not written to the warehouse; it drives handling times, stuck
cases and satisfaction so that rankings have a real spread and some stations miss the 85% target.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from etl.demo.frames import each_row
from etl.demo.geography import Geography

# Key areas with their own liaison station besides the grids (43 = 40 grids + 3, seed 004).
KEY_AREAS = (
    ("徐泾镇", "国家会展中心联勤联动工作站"),
    ("朱家角镇", "朱家角古镇联勤联动工作站"),
    ("金泽镇", "西岑科创中心联勤联动工作站"),
)
DEPT_TYPES = ("派出所", "城管中队", "市场所", "房管所", "物业", "保洁", "水务", "绿化")
PROPERTY_COMPANIES = ("绿城物业", "万科物业", "上房物业", "青浦城投物业", "东湖物业", "明华物业")
DISTRICT_DEPTS = (
    ("区水务局排水管理所", "水务"), ("区绿化市容局", "绿化"), ("区城管执法局直属中队", "城管中队"),
    ("区燃气管理所", "其他"), ("区交警支队", "其他"),
)


@dataclass(frozen=True)
class Organisation:
    stations: pd.DataFrame      # station columns (no path) ; unit_code
    departments: pd.DataFrame   # department columns
    station_quality: pd.Series  # station_code -> quality
    dept_quality: pd.Series     # dept_code -> quality
    grid_station: pd.Series     # grid_code -> liaison station_code


def build_organisation(geo: Geography, rng: np.random.Generator) -> Organisation:
    rows = []
    for g in each_row(geo.grids):
        short = g.name_zh.replace("责任网格", "")
        rows.append({"station_code": f"LQ{g.unit_code[6:9]}{g.unit_code[-2:]}", "name_zh": f"{short}联勤联动工作站",
                     "name_en": f"{g.name_en} liaison station", "station_type": "liaison", "lon": g.lon,
                     "lat": g.lat, "unit_code": g.unit_code, "town": g.town})
    for i, (town, name) in enumerate(KEY_AREAS, start=1):
        tv = geo.villages[geo.villages.town == town]
        if tv.empty:
            continue
        v = tv.iloc[len(tv) // 2]
        rows.append({"station_code": f"LQK{i:02d}", "name_zh": name, "name_en": f"Key area {i} liaison station",
                     "station_type": "liaison", "lon": v.lon, "lat": v.lat, "unit_code": v.unit_code, "town": town})
    liaison = pd.DataFrame(rows)
    # 13 of 43 are demonstration stations; at town scale the same share (rounded, at least one).
    n_demo = max(1, round(len(liaison) * 13 / 43))
    demo_idx = rng.choice(len(liaison), n_demo, replace=False)
    liaison["is_demonstration"] = np.isin(np.arange(len(liaison)), demo_idx)
    # Quality: demonstration stations are better on average; about a fifth fall under the bar.
    q = rng.beta(4, 2, len(liaison))
    q = np.where(liaison.is_demonstration, 0.5 + 0.5 * q, q)
    q[rng.choice(len(liaison), max(1, len(liaison) // 5), replace=False)] *= 0.35
    vil = geo.villages
    village = pd.DataFrame({
        "station_code": "CJ" + vil.unit_code.str[6:], "name_zh": vil.name_zh.str.replace("委会", "") + "工作站",
        "name_en": None, "station_type": "village", "is_demonstration": False, "lon": vil.lon, "lat": vil.lat,
        "unit_code": vil.unit_code, "town": vil.town,
    })
    stations = pd.concat([liaison, village], ignore_index=True)
    station_quality = pd.Series(np.concatenate([q, rng.beta(5, 2, len(village))]), index=stations.station_code)
    grid_station = liaison[liaison.station_code.str[2] != "K"].set_index("unit_code").station_code

    drows = []
    for t in each_row(geo.towns):
        short = t.name_zh.removesuffix("街道").removesuffix("镇")
        tc = t.unit_code[6:9]
        for dt in DEPT_TYPES:
            n = {"派出所": 2 if t.area_type == "urban" else 1, "物业": 3 if t.area_type == "urban" else 1}.get(dt, 1)
            for k in range(1, n + 1):
                if dt == "物业":
                    name = f"{PROPERTY_COMPANIES[(k + int(tc)) % len(PROPERTY_COMPANIES)]}{short}项目部"
                elif dt == "派出所":
                    name = f"{short}派出所" if n == 1 else f"{short}{'东西'[k - 1]}派出所"
                else:
                    name = {"城管中队": f"{short}城管中队", "市场所": f"{short}市场监管所",
                            "房管所": f"{short}房管办", "保洁": f"{short}环卫保洁所", "水务": f"{short}水务站",
                            "绿化": f"{short}绿化管理站"}[dt]
                drows.append({"dept_code": f"D{tc}{DEPT_TYPES.index(dt):02d}{k}", "name_zh": name, "name_en": None,
                              "dept_type": dt, "peer_group": dt, "town_code": t.unit_code})
    for i, (name, dt) in enumerate(DISTRICT_DEPTS, start=1):
        drows.append({"dept_code": f"D000{i:02d}0", "name_zh": name, "name_en": None, "dept_type": dt,
                      "peer_group": f"区级{dt}", "town_code": None})
    depts = pd.DataFrame(drows)
    dept_quality = pd.Series(rng.beta(4, 1.8, len(depts)), index=depts.dept_code)
    return Organisation(stations=stations.drop(columns="town"), departments=depts, station_quality=station_quality,
                        dept_quality=dept_quality, grid_station=grid_station)
