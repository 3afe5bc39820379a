"""Synthetic Chinese text: addresses, citizen names and phones, complaint wording.

Names look like anonymised records (王某华) and every phone number is 170-0000-xxxx, a block no real
subscriber has, so nobody can mistake demo personal data for real personal data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TOWN_ROADS = {
    "夏阳街道": ("青安路", "华青路", "夏阳路", "外青松公路", "青湖路"),
    "盈浦街道": ("公园路", "城中北路", "盈港东路", "青松路", "胜利路", "盈中路"),
    "香花桥街道": ("崧泽大道", "天一路", "北青公路", "香大路", "郏一路"),
    "朱家角镇": ("沪青平公路", "朱枫公路", "新风路", "祥凝浜路", "课植园路"),
    "练塘镇": ("练西公路", "章练塘路", "朱枫公路", "东厍路"),
    "金泽镇": ("金商公路", "沪青平公路", "练西公路", "西岑路"),
    "赵巷镇": ("嘉松中路", "业辉路", "赵重公路", "沪青平公路"),
    "徐泾镇": ("徐泾北路", "诸光路", "崧泽大道", "盈港东路", "龙联路"),
    "华新镇": ("华徐公路", "北青公路", "嘉松北路", "华隆路"),
    "重固镇": ("赵重公路", "北青公路", "新府中路", "重固大街"),
    "白鹤镇": ("沈砖公路", "外青松公路", "鹤祥路", "北青公路"),
}
SURNAMES = np.array(list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董沈"))
GIVEN = np.array(list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉斌鹏宇浩"))
DEMANDS = np.array(["希望尽快处理", "要求相关部门核实处置", "请求协调解决", "要求给予答复", "希望加强管理"])


def pick(rng: np.random.Generator, options: np.ndarray, n: int) -> pd.Series:
    return pd.Series(options[rng.integers(0, len(options), n)])


def addresses(rng: np.random.Generator, towns: np.ndarray, urban: np.ndarray) -> pd.Series:
    """上海市青浦区 + town + road + number (+ lane/building in residential areas), vectorised."""
    n = len(towns)
    t = pd.Series(towns)
    road_idx = rng.integers(0, 1000, n)
    road = _roads_vectorised(t, road_idx)
    num = pd.Series(rng.integers(1, 2000, n)).astype(str)
    lane = pd.Series(rng.integers(1, 400, n)).astype(str)
    bldg = pd.Series(rng.integers(1, 40, n)).astype(str)
    base = "上海市青浦区" + t + road + num + "号"
    with_lane = "上海市青浦区" + t + road + lane + "弄" + bldg + "号"
    return pd.Series(np.where(urban & (rng.random(n) < 0.6), with_lane, base))


def _roads_vectorised(towns: pd.Series, idx: np.ndarray) -> pd.Series:
    out = pd.Series("", index=towns.index, dtype=object)
    for town, roads in TOWN_ROADS.items():  # 11 towns, not rows
        m = (towns == town).to_numpy()
        if m.any():
            out[m] = np.array(roads)[idx[m] % len(roads)]
    # towns outside Qingpu (the city demo) borrow from every Qingpu road: plausible, not real there
    other = ~towns.isin(list(TOWN_ROADS)).to_numpy()
    if other.any():
        pool = np.array([r for roads in TOWN_ROADS.values() for r in roads])
        out[other] = pool[idx[other] % len(pool)]
    return out.astype(str)


def person_names(rng: np.random.Generator, n: int) -> pd.Series:
    return pick(rng, SURNAMES, n) + "某" + pick(rng, GIVEN, n)


def phones(rng: np.random.Generator, n: int) -> pd.Series:
    return "1700000" + pd.Series(rng.integers(0, 10000, n)).astype(str).str.zfill(4)
