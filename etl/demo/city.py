"""The `city` demo: Shanghai's 16 districts, generated one district (and case batch) at a time.

Names, codes, centroids and district outlines are real (data/reference/shanghai, CC BY 4.0, GCJ-02);
town, grid and village polygons are derived as for Qingpu and flagged ``approximate``. Each district
is a district-scale demo of its own, sized by its share of the city's 村居, so memory is bounded by
the largest district (浦东, ~22%), not the city: its cases come in batches of ≤ ``BATCH`` rows and
readings in files of ≤250 sensors. Identifiers are prefixed per district (and batch) so they stay
unique across the city; addresses name the right district (on Qingpu's road names). Above the
districts sits the city itself, 上海市 (level ``city``), so the wall and pages can scope the whole city.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape

from etl.demo.cases import generate_facts
from etl.demo.categories import categories
from etl.demo.geography import (
    GRIDS_PER_TOWN,
    TOWN_AREA,
    TOWN_EN,
    UNIT_COLUMNS,
    DistrictRef,
    Geography,
    geojson_text,
    load_geography,
)
from etl.demo.organisation import Organisation, build_organisation
from etl.demo.scales import Scale
from etl.demo.sensors import build_sensors, finish_alarms, readings_and_alarms
from etl.demo.sink import Sink, columns
from etl.demo.staffing import generate_staffing, with_dates
from etl.demo.timebase import Window
from etl.settings import REFERENCE_DIR

REF = REFERENCE_DIR / "shanghai"
BATCH = 750_000  # cases per generate_facts call: ~2 GB of frames at most
QINGPU = "310118000000"
# The root unit: 上海市 with its published centre (adcode 310000.csv, GCJ-02), the demo's site name.
CITY, CITY_ZH, CITY_EN, CITY_LONLAT = "310000000000", "上海市", "Shanghai", (121.473662, 31.230372)
DISTRICT_EN = {
    "310101000000": "Huangpu District", "310104000000": "Xuhui District", "310105000000": "Changning District",
    "310106000000": "Jing'an District", "310107000000": "Putuo District", "310109000000": "Hongkou District",
    "310110000000": "Yangpu District", "310112000000": "Minhang District", "310113000000": "Baoshan District",
    "310114000000": "Jiading District", "310115000000": "Pudong New Area", "310116000000": "Jinshan District",
    "310117000000": "Songjiang District", QINGPU: "Qingpu District", "310120000000": "Fengxian District",
    "310151000000": "Chongming District",
}
# The seven central districts are urban throughout; elsewhere 街道 are urban and 镇 alternate between
# industrial parks and farmland, with parks, farms and resorts typed by their names.
CENTRAL = frozenset(list(DISTRICT_EN)[:7])
NAMED_AREA = (("工业", "industrial"), ("开发区", "industrial"), ("园区", "industrial"), ("加工区", "industrial"),
              ("试验区", "industrial"), ("农场", "rural"), ("林场", "rural"), ("乡", "rural"),
              ("度假区", "scenic"), ("旅游区", "scenic"))
# A residential committee draws ~3× the cases of a village committee (as geography's weights).
COMMITTEE_WEIGHT, VILLAGE_WEIGHT = 3.0, 1.2


@dataclass(frozen=True)
class CityRef:
    admin: pd.DataFrame                        # county, town and village rows of the 16 districts
    outlines: Mapping[str, shapely.Geometry]   # district code -> outline (GCJ-02)

    @property
    def districts(self) -> pd.DataFrame:
        return self.admin[self.admin.level == "county"].sort_values("code").reset_index(drop=True)

    def shares(self) -> pd.Series:
        """Each district's share of the city's cases, orders and sensors (by its weighted 村居)."""
        vil = self.admin[self.admin.level == "village"]
        w = np.where(vil.name.str.endswith("居委会"), COMMITTEE_WEIGHT, VILLAGE_WEIGHT)
        per = pd.Series(w, index=vil.code.str[:6].to_numpy()).groupby(level=0).sum()
        per.index = per.index + "000000"
        return per / per.sum()

    def district(self, code: str) -> DistrictRef:
        rows = self.admin[self.admin.code.str[:6] == code[:6]].reset_index(drop=True)
        towns = rows.name[rows.level == "town"].tolist()
        if code == QINGPU:  # the district the product was built on keeps its documented choices
            area, grids, en, key = dict(TOWN_AREA), dict(GRIDS_PER_TOWN), dict(TOWN_EN), "盈浦街道"
        else:
            area = {t: _area(code, t, i) for i, t in enumerate(towns)}
            grids, en, key = {}, {}, None
        return DistrictRef(admin=rows, outline=self.outlines[code], name_en=DISTRICT_EN[code],
                           town_en=MappingProxyType(en), town_area=MappingProxyType(area),
                           grids_per_town=MappingProxyType(grids), key_town=key)


def _area(district: str, town: str, i: int) -> str:
    if district in CENTRAL or town.endswith("街道"):
        return "urban"
    for word, area in NAMED_AREA:
        if word in town:
            return area
    return "industrial" if i % 2 else "rural"


def city_ref() -> CityRef:
    admin = pd.read_csv(REF / "shanghai_admin_units.csv", dtype={"code": str, "parent": str})
    fences = json.loads((REF / "shanghai_districts_gcj02.json").read_text(encoding="utf-8"))
    return CityRef(admin=admin, outlines=MappingProxyType(
        {code: shapely.make_valid(shape(g)) for code, g in fences.items()}))


def city_unit(ref: CityRef) -> pd.DataFrame:
    """The root row: 上海市, outlined by the union of its 16 real district outlines (so not approximate)."""
    outline = shapely.union_all(list(ref.outlines.values()))
    row = {c: None for c in UNIT_COLUMNS} | {
        "unit_code": CITY, "level": "city", "name_zh": CITY_ZH, "name_en": CITY_EN, "lon": CITY_LONLAT[0],
        "lat": CITY_LONLAT[1], "centroid_derived": False, "is_key_unit": False, "geojson": geojson_text(outline),
        "approximate": False}
    return pd.DataFrame([row])[[*UNIT_COLUMNS, "geojson", "approximate"]]


def qualified(values: pd.Series, prefix: str) -> pd.Series:
    """Identifiers made unique across the city: ``demo:X`` -> ``demo:<prefix>X``, ``X`` -> ``<prefix>X``."""
    s = values.astype(object)
    present = s.notna()
    text = s[present].astype(str)
    demo = text.str.startswith("demo:")
    out = s.where(present, None)
    out[present] = np.where(demo, "demo:" + prefix + text.str[5:], prefix + text)
    return out


def _qualify(df: pd.DataFrame, cols: tuple[str, ...], prefix: str) -> pd.DataFrame:
    df = df.copy()
    for c in cols:
        if c in df:
            df[c] = qualified(df[c], prefix)
    return df


def _qualify_org(org: Organisation, prefix: str) -> Organisation:
    def idx(s: pd.Series) -> pd.Series:
        return pd.Series(s.to_numpy(), index=qualified(pd.Series(s.index), prefix).to_numpy())

    return Organisation(stations=_qualify(org.stations, ("station_code",), prefix),
                        departments=_qualify(org.departments, ("dept_code",), prefix),
                        station_quality=idx(org.station_quality), dept_quality=idx(org.dept_quality),
                        grid_station=qualified(org.grid_station, prefix))


def _inside(df: pd.DataFrame, area: shapely.Geometry, fallback: Mapping[str, tuple[float, float]]) -> pd.DataFrame:
    """Points jittered around a border village may leave the district: put those at their village."""
    out = ~shapely.contains_xy(area, df.lon.to_numpy(float), df.lat.to_numpy(float))
    if out.any():
        df = df.copy()
        at = [fallback[u] for u in df.unit_code.to_numpy()[out]]
        df.loc[out, "lon"] = [p[0] for p in at]
        df.loc[out, "lat"] = [p[1] for p in at]
    return df


def _village_points(geo: Geography) -> dict[str, tuple[float, float]]:
    v = dict(zip(geo.villages.unit_code, zip(geo.villages.lon, geo.villages.lat, strict=True), strict=True))
    mg = {m: v[p] for m, p in zip(geo.microgrids.unit_code, geo.microgrids.village_code, strict=True)}
    return {**v, **mg}


def _renamed(df: pd.DataFrame, cols: tuple[str, ...], district: str) -> pd.DataFrame:
    if district == "青浦区":
        return df
    for c in cols:
        df[c] = df[c].str.replace("上海市青浦区", f"上海市{district}", regex=False)
    return df


def generate_city(sink: Sink, sc: Scale, win: Window, seed: int) -> None:
    ref = city_ref()
    shares = ref.shares()
    cats = categories()
    districts = ref.districts
    sink.put("units", city_unit(ref), "-city")  # first: the districts' parent is loaded before them
    cases_total = sc.cases_per_year * sc.days / 365
    hotline_total = sc.hotline_per_year * sc.days / 365
    for d, dseq in zip(districts.itertuples(), np.random.SeedSequence(seed).spawn(len(districts)), strict=True):
        code, name = str(d.code), str(d.name)
        tag = code[4:6]  # 01 … 51: the district's own digits
        share = float(shares[code])
        cases_n, hotline_n = round(cases_total * share), round(hotline_total * share)
        batches = max(1, math.ceil(cases_n / BATCH))
        r_geo, r_org, r_sen, r_read, r_staff, *r_facts = (np.random.default_rng(s) for s in dseq.spawn(5 + batches))
        dref = ref.district(code)
        geo = load_geography(r_geo, None, dref)
        points = _village_points(geo)
        inner = dref.outline.buffer(-1e-5)  # ~1 m: rounding to 6 decimals keeps points inside
        units = geo.units.copy()
        units.loc[units.level == "district", "parent_code"] = CITY
        mg = (units.level == "microgrid").to_numpy()
        units.loc[mg] = _inside(units.loc[mg], inner, points)
        org = _qualify_org(build_organisation(geo, r_org), tag)
        sink.put("units", units, f"-{tag}")
        sink.put("stations", org.stations[columns("station")], f"-{tag}")
        sink.put("departments", org.departments[columns("department")], f"-{tag}")
        sensors = build_sensors(geo, org, max(1, round(sc.sensors * share)), win, r_sen)
        sensors = _inside(_qualify(sensors, ("sensor_id", "source_id"), tag), inner, points)
        sink.put("sensors", sensors[[c for c in columns("sensors") if c in sensors]], f"-{tag}")
        alarm_parts: list[pd.DataFrame] = []
        sink.readings(readings_and_alarms(sensors, win, r_read, alarm_parts), f"-{tag}")
        alarms = _qualify(finish_alarms(alarm_parts), ("alarm_id",), tag)
        no_alarms = alarms.iloc[0:0]
        for b, (rng, nc, nh) in enumerate(zip(r_facts, _split(cases_n, batches), _split(hotline_n, batches),
                                              strict=True)):
            # only the first batch turns sensor alarms into cases; every batch spans the whole year
            facts = generate_facts(geo, org, cats, win, nc, nh, alarms if b == 0 else no_alarms, rng)
            part = f"{tag}{b}"
            cases = _qualify(facts.cases, ("case_id", "source_id", "hotline_order_id"), part)
            hotline = _qualify(facts.hotline, ("order_id", "source_id", "case_id"), part)
            sink.put("cases", _inside(_renamed(cases, ("address", "description"), name), inner, points),
                     f"-{part}")
            sink.put("hotline", _inside(_renamed(hotline, ("address", "content"), name), inner, points), f"-{part}")
            if b == 0:
                linked = _qualify(facts.alarms, ("case_id",), part)
                sink.put("alarms", linked[columns("sensor_alarms")], f"-{tag}")
            del facts, cases, hotline
        # rosters are numbered per district like every other fact: unqualified, each district's RS000000001
        # replaced the previous district's (a silent upsert, and a load that slowed to a crawl at city scale)
        staffing = _qualify(generate_staffing(geo, org, win, r_staff), ("roster_id", "source_id", "person_id"), tag)
        sink.put("staffing", with_dates(staffing), f"-{tag}")


def _split(n: int, parts: int) -> list[int]:
    return [n // parts + (i < n % parts) for i in range(parts)]
