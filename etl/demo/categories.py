"""Case categories in the style of GB/T 30428.2 / CJ/T 214: 部件 (C) and 事件 (E), major + 3-digit minor.

Each category also carries demo-only attributes (not loaded): a theme that selects the handling
department and the seasonal / area-type mix, and a base frequency.
"""

from __future__ import annotations

import pandas as pd

# (family, major_code, major_name, minor_code, minor_name, deadline_hours, time_basis, theme, base weight)
_ROWS = (
    ("部件", "01", "公用设施", "001", "上水井盖", 24, "工作时", "facility", 1.0),
    ("部件", "01", "公用设施", "002", "污水井盖", 24, "工作时", "drainage", 1.2),
    ("部件", "01", "公用设施", "003", "雨水井盖", 24, "工作时", "drainage", 1.5),
    ("部件", "01", "公用设施", "012", "消防栓", 24, "工作时", "facility", 0.4),
    ("部件", "01", "公用设施", "018", "路灯", 48, "工作时", "facility", 1.6),
    ("部件", "02", "道路交通", "004", "交通标志牌", 72, "工作时", "facility", 0.5),
    ("部件", "02", "道路交通", "009", "道路护栏", 72, "工作时", "facility", 0.6),
    ("部件", "02", "道路交通", "015", "公交站亭", 72, "工作时", "facility", 0.3),
    ("部件", "03", "市容环境", "001", "公共厕所", 24, "工作时", "waste", 0.5),
    ("部件", "03", "市容环境", "004", "垃圾箱", 24, "工作时", "waste", 1.4),
    ("部件", "04", "园林绿化", "002", "行道树", 72, "工作时", "green", 0.9),
    ("部件", "04", "园林绿化", "004", "绿地", 72, "工作时", "green", 0.7),
    ("部件", "05", "房屋土地", "003", "危房", 120, "工作日", "housing", 0.1),
    ("部件", "07", "扩展部件", "081", "非机动车充电桩", 48, "工作时", "facility", 0.4),
    ("事件", "01", "市容环境", "001", "暴露垃圾", 4, "工作时", "waste", 6.0),
    ("事件", "01", "市容环境", "002", "积存垃圾渣土", 24, "工作时", "waste", 2.5),
    ("事件", "01", "市容环境", "003", "道路不洁", 4, "工作时", "waste", 3.0),
    ("事件", "01", "市容环境", "004", "水域不洁", 24, "工作时", "water", 1.5),
    ("事件", "01", "市容环境", "005", "绿地脏乱", 24, "工作时", "green", 1.2),
    ("事件", "01", "市容环境", "008", "焚烧垃圾树叶", 2, "紧急工作时", "waste", 0.4),
    ("事件", "01", "市容环境", "011", "乱堆物堆料", 24, "工作时", "street", 3.5),
    ("事件", "01", "市容环境", "013", "乱晾晒", 24, "工作时", "street", 1.0),
    ("事件", "02", "宣传广告", "001", "非法小广告", 24, "工作时", "ad", 3.0),
    ("事件", "02", "宣传广告", "002", "违规户外广告", 72, "工作时", "ad", 0.8),
    ("事件", "02", "宣传广告", "003", "占道横幅", 24, "工作时", "ad", 0.6),
    ("事件", "03", "施工管理", "001", "施工扰民", 24, "工作时", "construction", 1.2),
    ("事件", "03", "施工管理", "002", "施工废弃料", 24, "工作时", "construction", 1.0),
    ("事件", "03", "施工管理", "004", "无证掘路", 24, "工作时", "construction", 0.3),
    ("事件", "03", "施工管理", "006", "工地扬尘", 8, "工作时", "construction", 0.8),
    ("事件", "04", "突发事件", "001", "路面塌陷", 2, "紧急工作时", "urgent", 0.15),
    ("事件", "04", "突发事件", "002", "自来水管破裂", 2, "紧急工作时", "urgent", 0.3),
    ("事件", "04", "突发事件", "004", "燃气泄漏", 1, "紧急工作时", "urgent", 0.05),
    ("事件", "04", "突发事件", "005", "道路积水", 2, "紧急工作时", "drainage", 0.8),
    ("事件", "04", "突发事件", "006", "下水道堵塞或破损", 4, "紧急工作时", "drainage", 1.6),
    ("事件", "04", "突发事件", "007", "井盖缺失", 1, "紧急工作时", "urgent", 0.2),
    ("事件", "04", "突发事件", "010", "火灾隐患", 2, "紧急工作时", "urgent", 0.3),
    ("事件", "05", "街面秩序", "001", "无照经营游商", 8, "工作时", "market", 2.5),
    ("事件", "05", "街面秩序", "002", "跨门营业", 8, "工作时", "market", 3.0),
    ("事件", "05", "街面秩序", "003", "占道经营", 8, "工作时", "market", 2.0),
    ("事件", "05", "街面秩序", "007", "机动车乱停放", 4, "工作时", "street", 4.0),
    ("事件", "05", "街面秩序", "008", "非机动车乱停放", 4, "工作时", "street", 4.5),
    ("事件", "05", "街面秩序", "011", "流浪乞讨", 24, "工作时", "police", 0.2),
    ("事件", "06", "扩展事件", "081", "群租", 15, "工作日", "housing", 0.8),
    ("事件", "06", "扩展事件", "082", "违法建筑", 30, "工作日", "housing", 0.6),
    ("事件", "06", "扩展事件", "083", "河道漂浮物", 24, "工作时", "water", 1.2),
    ("事件", "06", "扩展事件", "084", "噪声扰民", 24, "工作时", "police", 1.0),
    ("事件", "06", "扩展事件", "085", "餐饮油烟扰民", 5, "工作日", "market", 0.6),
    ("事件", "06", "扩展事件", "086", "消防通道堵塞", 8, "工作时", "property", 1.0),
    ("事件", "06", "扩展事件", "087", "电动自行车违规充电", 8, "工作时", "property", 1.2),
    ("事件", "06", "扩展事件", "088", "小区公共设施损坏", 72, "工作时", "property", 1.5),
    ("事件", "06", "扩展事件", "089", "非法客运", 8, "工作时", "police", 0.3),
    ("事件", "06", "扩展事件", "090", "农田秸秆焚烧", 2, "紧急工作时", "waste", 0.2),
)
THEME_DEPT = {
    "facility": "城管中队", "drainage": "水务", "waste": "保洁", "water": "水务", "green": "绿化",
    "housing": "房管所", "street": "城管中队", "ad": "城管中队", "construction": "城管中队",
    "urgent": "派出所", "market": "市场所", "police": "派出所", "property": "物业",
}
# Area-type multipliers of each theme: streets and shops in town centres, waste and water in the
# countryside, construction in industrial parks, hawkers and boats in the water towns.
AREA_MIX = {
    "urban": {"street": 1.6, "market": 1.5, "property": 2.0, "ad": 1.4, "housing": 1.3},
    "rural": {"waste": 1.8, "water": 2.5, "green": 1.3, "street": 0.5, "market": 0.5, "property": 0.3,
              "construction": 0.8},
    "industrial": {"construction": 2.5, "waste": 1.3, "housing": 1.5, "street": 1.0, "property": 0.6},
    "scenic": {"market": 2.2, "water": 2.0, "street": 1.2, "waste": 1.2, "property": 0.5},
}
# Months (plum rain mid-June to mid-July, typhoons August–September) multiply these themes.
SEASON_MIX = {"plum": {"drainage": 3.5, "water": 1.6, "urgent": 1.4}, "typhoon": {"drainage": 2.8, "green": 1.8,
                                                                                    "urgent": 1.5, "water": 1.4}}
# Why the 紧急工作时 family counts continuous hours: natural-hour multiplier per time basis (no holiday
# calendar in the demo: working hours are stretched by 3× for nights, days by 1.4× for weekends).
BASIS_FACTOR = {"紧急工作时": 1.0, "工作时": 3.0, "工作日": 24 * 1.4, "自然日": 24.0}

COLUMNS = ["category_code", "family", "major_code", "major_name", "minor_code", "minor_name", "deadline_hours",
           "time_basis"]


def categories() -> pd.DataFrame:
    """All categories with demo attributes (theme, weight, dept_type, natural_hours)."""
    df = pd.DataFrame(_ROWS, columns=[*COLUMNS[1:], "theme", "weight"])
    df.insert(0, "category_code", df.family.map({"部件": "C", "事件": "E"}) + df.major_code + df.minor_code)
    df["deadline_hours"] = df.deadline_hours.astype(float)
    df["dept_type"] = df.theme.map(THEME_DEPT)
    df["natural_hours"] = df.deadline_hours * df.time_basis.map(BASIS_FACTOR)
    return df


def season_of(month: int, day: int) -> str:
    if (month == 6 and day >= 10) or (month == 7 and day <= 15):
        return "plum"
    if month in (8, 9):
        return "typhoon"
    return "normal"
