"""Qingpu geography for the demo: real outline, 街镇 and 村居; derived grids, micro-grids and polygons.

Only names, codes, centroids and the outline are real (data/reference/qingpu, CC BY 4.0). Every town,
grid and village polygon is a Voronoi cell of village centroids clipped to the outline, and is
flagged ``approximate``. Coordinates stay in GCJ-02, the datum of the reference files.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPoint, Point, shape

from etl import schema
from etl.demo.frames import each_row
from etl.settings import REFERENCE_DIR

REF = REFERENCE_DIR / "qingpu"
DATUM = "GCJ-02"
TOWN_EN = {
    "夏阳街道": "Xiayang Subdistrict", "盈浦街道": "Yingpu Subdistrict", "香花桥街道": "Xianghuaqiao Subdistrict",
    "朱家角镇": "Zhujiajiao Town", "练塘镇": "Liantang Town", "金泽镇": "Jinze Town", "赵巷镇": "Zhaoxiang Town",
    "徐泾镇": "Xujing Town", "华新镇": "Huaxin Town", "重固镇": "Chonggu Town", "白鹤镇": "Baihe Town",
}
# Responsibility grids per town: 盈浦 has exactly 5 (seed 002); the others are sized by village count
# so that grids + 3 key areas = the district's 43 liaison stations (seed 004).
GRIDS_PER_TOWN = {
    "盈浦街道": 5, "夏阳街道": 4, "香花桥街道": 4, "朱家角镇": 4, "练塘镇": 3, "金泽镇": 4, "赵巷镇": 3,
    "徐泾镇": 4, "华新镇": 3, "重固镇": 3, "白鹤镇": 3,
}
# Area type drives the case mix: the three 街道 are the urban core, 徐泾/华新/赵巷/白鹤 have large
# industrial parks, 朱家角/金泽 are water-town scenic areas, the rest is farmland.
TOWN_AREA = {
    "夏阳街道": "urban", "盈浦街道": "urban", "香花桥街道": "urban", "徐泾镇": "industrial",
    "华新镇": "industrial", "赵巷镇": "industrial", "白鹤镇": "industrial", "朱家角镇": "scenic",
    "金泽镇": "scenic", "练塘镇": "rural", "重固镇": "rural",
}
MICROGRID_TYPES = {
    "urban": ("小区", "小区", "小区", "商业体", "学校", "医疗", "养老", "公共机构", "公共区域", "楼宇"),
    "rural": ("小区", "公共区域", "企业/园区", "工地", "养老", "其他"),
    "industrial": ("企业/园区", "企业/园区", "工地", "楼宇", "小区", "公共区域"),
    "scenic": ("风景区", "商业体", "文体", "小区", "公共区域", "其他"),
}

UNIT_COLUMNS = [c for c in schema.TABLE_BY_NAME["org_unit"].column_names
                if c not in schema.PATH_COLUMNS]


@dataclass(frozen=True)
class Geography:
    units: pd.DataFrame      # org_unit columns (no path) + geojson + approximate
    villages: pd.DataFrame   # unit_code, name_zh, town_code, town, grid_code, area_type, lon, lat, bbox, weight
    grids: pd.DataFrame      # unit_code, name_zh, town_code, town, area_type, lon, lat
    towns: pd.DataFrame      # unit_code, name_zh, area_type, lon, lat
    microgrids: pd.DataFrame  # unit_code, village_code, block_type
    district_code: str


@dataclass(frozen=True)
class DistrictRef:
    """One district's reference rows (county, towns, villages: code, parent, name, level, longitude,
    latitude), its outline and the choices the demo makes about it (area types, grid counts)."""

    admin: pd.DataFrame
    outline: shapely.Geometry
    name_en: str
    town_en: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    town_area: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    grids_per_town: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    key_town: str | None = None  # its urban committees are key units, all its villages have micro-grids

    def area_of(self, town: str) -> str:
        return self.town_area.get(town, "urban" if town.endswith("街道") else "rural")

    def grids_of(self, town: str, villages: int) -> int:
        # ~7 村居 per responsibility grid where the district publishes no count
        return self.grids_per_town.get(town, min(max(round(villages / 7), 1), 8, villages))


def qingpu_ref() -> DistrictRef:
    admin = pd.read_csv(REF / "qingpu_admin_units.csv", dtype={"code": str, "parent": str})
    outline = shapely.make_valid(shape(json.loads((REF / "qingpu_outline_gcj02.json").read_text(encoding="utf-8"))))
    return DistrictRef(admin=admin, outline=outline, name_en="Qingpu District", town_en=MappingProxyType(TOWN_EN),
                       town_area=MappingProxyType(TOWN_AREA), grids_per_town=MappingProxyType(GRIDS_PER_TOWN),
                       key_town="盈浦街道")


def _random_point_in(poly: shapely.Geometry, near: tuple[float, float], rng: np.random.Generator,
                     spread: float) -> tuple[float, float]:
    """A point inside ``poly`` near ``near`` (rejection sampling, widening the spread if it fails)."""
    for attempt in range(200):
        s = spread * (1 + attempt / 20)
        x, y = near[0] + rng.normal(0, s), near[1] + rng.normal(0, s)
        if poly.contains(Point(x, y)):
            return x, y
    p = poly.representative_point()
    return p.x, p.y


def _voronoi(points: np.ndarray, clip: shapely.Geometry) -> list[shapely.Geometry]:
    cells = shapely.voronoi_polygons(MultiPoint(points), extend_to=clip, ordered=True)
    return [shapely.make_valid(c.intersection(clip)) for c in cells.geoms]


def geojson_text(geom: shapely.Geometry) -> str:
    return str(shapely.to_geojson(shapely.set_precision(geom, 1e-6)))


def _fill_town_centroids(town_ref: pd.DataFrame, vil_ref: pd.DataFrame, outline: shapely.Geometry,
                         rng: np.random.Generator) -> pd.DataFrame:
    """Towns that publish no centroid (19 in Shanghai) take their villages' mean, or a point in the district."""
    town_ref = town_ref.copy()
    mean = vil_ref.groupby("parent")[["longitude", "latitude"]].mean()
    for i in np.flatnonzero(town_ref.longitude.isna().to_numpy()).tolist():
        code = town_ref.code.iloc[i]
        m = mean.loc[code] if code in mean.index else None
        if m is not None and not np.isnan(m.longitude) and outline.contains(Point(m.longitude, m.latitude)):
            x, y = float(m.longitude), float(m.latitude)
        else:
            c = outline.representative_point()
            x, y = _random_point_in(outline, (c.x, c.y), rng, 0.02)
        town_ref.loc[town_ref.index[i], ["longitude", "latitude"]] = [x, y]
    return town_ref


def _unique_points(pts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Identical centroids would collapse Voronoi cells: nudge duplicates by ~10 m."""
    pts = pts.copy()
    _, first = np.unique(pts.round(5), axis=0, return_index=True)
    dup = np.setdiff1d(np.arange(len(pts)), first)
    pts[dup] += rng.normal(0, 1e-4, size=(len(dup), 2))
    return pts


def load_geography(rng: np.random.Generator, towns: tuple[str, ...] | None = None,
                   district_ref: DistrictRef | None = None) -> Geography:
    dref = district_ref or qingpu_ref()
    ref, outline = dref.admin, dref.outline
    district = ref[ref.level == "county"].iloc[0]
    vil_ref = ref[ref.level == "village"].sort_values("code").reset_index(drop=True)
    town_ref = _fill_town_centroids(ref[ref.level == "town"].sort_values("code").reset_index(drop=True), vil_ref,
                                    outline, rng)

    # 1. Preliminary town cells from town centroids, only to place villages without a centroid.
    town_pts = _unique_points(town_ref[["longitude", "latitude"]].to_numpy(float), rng)
    town_cells = dict(zip(town_ref.code, _voronoi(town_pts, outline), strict=True))
    lon = vil_ref.longitude.to_numpy(float).copy()
    lat = vil_ref.latitude.to_numpy(float).copy()
    derived = np.isnan(lon)
    known = ~derived
    for i in np.flatnonzero(derived).tolist():  # ~190 villages: a loop over reference rows, not facts
        town = vil_ref.parent.iloc[i]
        same = known & (vil_ref.parent.to_numpy() == town)
        cell = town_cells[town]
        if same.any():
            j = rng.choice(np.flatnonzero(same))
            near = (lon[j], lat[j])
        else:
            t = town_ref[town_ref.code == town].iloc[0]
            near = (t.longitude, t.latitude)
        lon[i], lat[i] = _random_point_in(cell, near, rng, 0.008)
    # Published centroids outside the outline (rare) are pulled inside so every cell is non-empty.
    for i in range(len(lon)):
        if not outline.contains(Point(lon[i], lat[i])):
            p = shapely.ops.nearest_points(outline.buffer(-0.001), Point(lon[i], lat[i]))[0]
            lon[i], lat[i] = p.x, p.y
    pts = _unique_points(np.column_stack([lon, lat]), rng)
    vcells = _voronoi(pts, outline)

    town_name = dict(zip(town_ref.code, town_ref.name, strict=True))
    vil = pd.DataFrame({
        "unit_code": vil_ref.code, "name_zh": vil_ref.name, "town_code": vil_ref.parent,
        "lon": pts[:, 0], "lat": pts[:, 1], "centroid_derived": derived,
    })
    vil["town"] = vil.town_code.map(town_name)
    is_committee = vil.name_zh.str.endswith("居委会")
    town_area = vil.town.map(dref.area_of)
    # Villages (村) of urban towns stay rural; in industrial towns every other 村 hosts a park.
    area = np.where(is_committee, np.where(town_area == "scenic", "scenic", "urban"), "rural")
    ind = (~is_committee) & (town_area == "industrial") & (np.arange(len(vil)) % 2 == 0)
    area = np.where(ind, "industrial", area)
    area = np.where((~is_committee) & (town_area == "scenic") & (np.arange(len(vil)) % 3 == 0), "scenic", area)
    vil["area_type"] = area
    vil["geom"] = vcells

    # 2. Grids: villages sorted by bearing around the town centroid and cut into contiguous sectors.
    grid_rows, grid_of = [], np.empty(len(vil), dtype=object)
    for tcode, tname in town_name.items():
        idx = np.flatnonzero(vil.town_code.to_numpy() == tcode)
        c = pts[idx].mean(axis=0)
        order = idx[np.argsort(np.arctan2(pts[idx, 1] - c[1], pts[idx, 0] - c[0]), kind="stable")]
        for g, members in enumerate(np.array_split(order, dref.grids_of(tname, len(idx))), start=1):
            code = f"{tcode[:9]}G{g:02d}"
            grid_of[members] = code
            geom = shapely.union_all([vcells[m] for m in members])
            grid_rows.append({
                "unit_code": code, "name_zh": f"{tname.removesuffix('街道').removesuffix('镇')}第{g}责任网格",
                "name_en": f"{dref.town_en.get(tname, tcode)} grid {g}", "town_code": tcode, "town": tname,
                "area_type": dref.area_of(tname), "lon": float(pts[members, 0].mean()),
                "lat": float(pts[members, 1].mean()), "geom": geom,
            })
    vil["grid_code"] = grid_of
    grids = pd.DataFrame(grid_rows)
    town_geoms = {t: shapely.union_all(list(vil.geom[vil.town_code == t])) for t in town_name}

    if towns is not None:
        keep_codes = set(town_ref.code[town_ref.name.isin(towns)])
        vil = vil[vil.town_code.isin(keep_codes)].reset_index(drop=True)
        grids = grids[grids.town_code.isin(keep_codes)].reset_index(drop=True)
        town_ref = town_ref[town_ref.code.isin(keep_codes)].reset_index(drop=True)

    # Case weight: residential committees are denser than villages; the urban core busiest.
    vil["weight"] = np.where(vil.area_type == "urban", 3.0, np.where(vil.area_type == "rural", 1.0, 1.8))
    b = np.array([g.bounds for g in vil.geom])
    vil["min_lon"], vil["min_lat"], vil["max_lon"], vil["max_lat"] = b[:, 0], b[:, 1], b[:, 2], b[:, 3]

    # 3. Micro-grids (13 block types) for every 盈浦 村居 and every third village elsewhere.
    mg_rows = []
    for i, v in enumerate(each_row(vil)):
        if v.town != dref.key_town and i % 3:
            continue
        types = MICROGRID_TYPES[v.area_type]
        for k in range(int(rng.integers(3, 7))):
            bt = types[(k + i) % len(types)]
            mg_rows.append({
                "unit_code": f"{v.unit_code}M{k + 1:02d}", "village_code": v.unit_code, "block_type": bt,
                "name_zh": f"{v.name_zh.removesuffix('社区居委会').removesuffix('居委会').removesuffix('村委会')}"
                           f"{bt}微网格{k + 1}",
                "area_type": v.area_type,
                "lon": v.lon + rng.normal(0, 0.002), "lat": v.lat + rng.normal(0, 0.002),
            })
    mg = pd.DataFrame(mg_rows)
    mg["lon"] = mg.lon.clip(vil.set_index("unit_code").loc[mg.village_code, "min_lon"].to_numpy(),
                            vil.set_index("unit_code").loc[mg.village_code, "max_lon"].to_numpy())
    mg["lat"] = mg.lat.clip(vil.set_index("unit_code").loc[mg.village_code, "min_lat"].to_numpy(),
                            vil.set_index("unit_code").loc[mg.village_code, "max_lat"].to_numpy())

    dcode = str(district.code)
    key_units = set(vil.unit_code[(vil.town == dref.key_town) & (vil.area_type == "urban")].head(19))
    rows = [{
        "unit_code": dcode, "parent_code": None, "level": "district", "name_zh": district["name"],
        "name_en": dref.name_en, "area_type": None, "lon": district.longitude, "lat": district.latitude,
        "centroid_derived": False, "geojson": geojson_text(outline), "approximate": False,
    }]
    for t in each_row(town_ref):
        rows.append({
            "unit_code": t.code, "parent_code": dcode, "level": "town", "name_zh": t.name,
            "name_en": dref.town_en.get(t.name), "area_type": dref.area_of(t.name),
            "peer_group": "街道" if t.name.endswith("街道") else "镇", "lon": t.longitude, "lat": t.latitude,
            "centroid_derived": False, "geojson": geojson_text(town_geoms[t.code]), "approximate": True,
        })
    for g in each_row(grids):
        rows.append({
            "unit_code": g.unit_code, "parent_code": g.town_code, "level": "grid", "name_zh": g.name_zh,
            "name_en": g.name_en, "area_type": g.area_type,
            "peer_group": "街道网格" if g.town.endswith("街道") else "镇网格", "lon": g.lon, "lat": g.lat,
            "centroid_derived": True, "geojson": geojson_text(g.geom), "approximate": True,
        })
    for v in each_row(vil):
        rows.append({
            "unit_code": v.unit_code, "parent_code": v.grid_code, "level": "village", "name_zh": v.name_zh,
            "area_type": v.area_type, "is_key_unit": v.unit_code in key_units,
            "peer_group": "居委" if v.name_zh.endswith("居委会") else "村", "lon": v.lon, "lat": v.lat,
            "centroid_derived": bool(v.centroid_derived), "geojson": geojson_text(v.geom), "approximate": True,
        })
    for m in each_row(mg):
        rows.append({
            "unit_code": m.unit_code, "parent_code": m.village_code, "level": "microgrid", "name_zh": m.name_zh,
            "block_type": m.block_type, "area_type": m.area_type, "peer_group": m.block_type,
            "lon": m.lon, "lat": m.lat, "centroid_derived": True, "geojson": None, "approximate": True,
        })
    units = pd.DataFrame(rows)
    for c in UNIT_COLUMNS:
        if c not in units:
            units[c] = None
    units["is_key_unit"] = units.is_key_unit.fillna(False).astype(bool)
    units = units[[*UNIT_COLUMNS, "geojson", "approximate"]]
    towns_df = pd.DataFrame({"unit_code": town_ref.code, "name_zh": town_ref.name,
                             "area_type": town_ref.name.map(dref.area_of), "lon": town_ref.longitude,
                             "lat": town_ref.latitude})
    return Geography(units=units, villages=vil.drop(columns="geom"), grids=grids.drop(columns="geom"),
                     towns=towns_df, microgrids=mg[["unit_code", "village_code", "block_type"]], district_code=dcode)
