"""Labels of the leader and analyst pages (zh first, en fallback to the key)."""

from __future__ import annotations

from collections.abc import Callable

ZH = {
    "filter.town": "街镇", "filter.grid": "责任网格", "filter.village": "村居", "filter.period": "周期",
    "filter.date": "日期", "filter.start": "开始", "filter.end": "结束", "filter.category": "类别",
    "filter.source": "来源", "filter.urgency": "紧急程度", "filter.status": "状态", "filter.all": "全部",
    "filter.reset": "重置", "filter.urgency.urgent": "紧急", "filter.urgency.general": "一般",
    "filter.grain.day": "日", "filter.grain.week": "周", "filter.grain.month": "月", "filter.grain.quarter": "季度",
    "filter.grain.year": "年", "filter.grain.custom": "自定义",
    "level.town": "街镇", "level.grid": "责任网格", "level.village": "村居", "level.station": "联勤联动工作站",
    "level.department": "处置部门",
    "rank.title": "考核排名", "rank.level": "层级", "rank.measure": "指标", "rank.bottom": "末位数",
    "rank.composite.region": "区域综合评价得分", "rank.composite.department": "部门综合评价得分",
    "rank.col.rank": "排名", "rank.col.movement": "名次变化", "rank.col.name": "单位", "rank.col.key": "代码",
    "rank.col.peer": "同类组", "rank.col.value": "指标值", "rank.col.score": "排名得分", "rank.col.grade": "等级",
    "rank.col.numerator": "分子", "rank.col.denominator": "分母", "rank.col.previous": "上期值",
    "rank.col.bottom": "末位", "rank.col.rankable": "样本不足", "rank.export.xlsx": "导出 Excel",
    "rank.export.csv": "导出 CSV", "rank.print": "打印 (A4)", "rank.detail": "单位详情",
    "rank.detail.pick": "在表中点选一个单位查看详情", "rank.detail.trend": "近12期走势",
    "rank.detail.indicators": "指标与目标", "rank.detail.worst": "问题最多的类别",
    "rank.detail.overdue": "超期未结案件",
    "rank.detail.link": "打开该单位的案件分析", "rank.small": "样本不足，不参与排名",
    "cases.title": "案件分析", "cases.trend": "每日案件量（与上期对比）", "cases.categories": "类别",
    "cases.heat": "时段 × 星期", "cases.handling": "处置时长分布（小时）", "cases.proactive": "先行发现率",
    "cases.breaches": "紧急案件超时", "cases.map": "地图", "cases.table": "案件明细",
    "cases.current": "本期", "cases.previous": "上期", "cases.units": "下级单位",
    "hotline.title": "12345 热线", "hotline.rates": "四率对比目标", "hotline.categories": "诉求类别",
    "hotline.hotspots": "重复投诉热点", "hotline.table": "工单明细",
    "sensors.title": "感知设备", "sensors.online": "设备在线率", "sensors.alarms": "告警",
    "sensors.series": "设备时序", "sensors.offline": "离线设备", "sensors.pick": "选择设备",
    "staffing.title": "人员力量", "staffing.duty": "在岗人数（按班次）", "staffing.night": "无夜间值守的网格",
    "staffing.load": "人均案件量",
    "stations.title": "联勤联动工作站", "stations.closure": "各站结案率 (85% 线)", "stations.meeting": "达标站点",
    "stations.trend": "月度走势", "stations.category": "案件类别", "stations.department": "处置部门",
    "stations.open": "未结 / 超期案件", "stations.detail": "站点详情",
    "drill.active": "明细已限定为", "drill.clear": "清除", "rows.total": "共 {n} 条",
    "error.title": "无法显示这个视图",
    # --- sensors & staffing pages (task sensstaff) ---
    "sensors.mean": "均值", "sensors.threshold_warning": "预警线", "sensors.threshold_alarm": "告警线",
    "sensors.devices": "设备数", "sensors.target": "目标", "sensors.severe": "严重告警",
    "sensors.to_case": "告警转案件率",
    "sensors.case_closed": "转案件后结案率", "sensors.beyond": "当前超阈值设备", "sensors.none": "无",
    "sensors.out_of_scope": "设备 {sensor} 不在当前范围内，显示默认设备",
    "sensors.default": "未选择设备：显示默认设备（优先显示告警、预警中的设备）",
    "sensors.type": "设备类型", "sensors.online_type": "在线率（按设备类型，点击筛选）",
    "sensors.online_unit": "在线率（按下级单位，点击筛选）", "sensors.alarm_time": "每日告警（按级别）",
    "sensors.alarm_type": "告警（按设备类型）", "sensors.states": "最新读数与阈值（按设备类型）",
    "sensors.last": "最后读数", "sensors.silent_week": "7 天以上无读数",
    "sensors.state.alarm": "告警", "sensors.state.warning": "预警", "sensors.state.normal": "正常",
    "sensors.state.no_data": "无数据",
    "staffing.shift.day": "日间", "staffing.shift.night": "夜间", "staffing.shift.on_call": "备勤",
    "staffing.persons": "在岗人数（期内）", "staffing.nights_note": "有夜间缺岗的网格 / 网格数（截至今晚）",
    "staffing.daily": "每日在岗人数（按班次）", "staffing.night_cover": "各网格夜间值守覆盖（红：有缺岗夜，点击筛选）",
    "staffing.nights_without": "夜无夜间值守", "staffing.all_covered": "所有网格每晚都有夜间值守",
    "staffing.filters_note": "本页只按单位和周期筛选；类别、来源等筛选不适用于排班。",
    # --- stations page (task pages3) ---
    "stations.rate": "本站结案率", "stations.table": "当月应结案的工作站案件",
    "stations.drill_hint": "点击月度走势中的某个月，列出该月应结案的工作站案件（即该月结案率的分母）。",
    "stations.all": "全部站点",
    # --- hotline page (task hotline3) ---
    "hotline.target": "目标", "hotline.actual": "实际", "hotline.trend": "近12个月四率走势",
    "hotline.subcategories": "小类（点击查看工单）", "hotline.map": "重复投诉热点地图（点击查看工单）",
    "hotline.max_window": "窗口内最多 {n} 件", "hotline.in_period": "本期 {n} 件",
    "hotline.no_hotspots": "本期无重复投诉热点", "hotline.place.cell": "按约100米网格",
    "hotline.place.unit": "按村居/单位",
    "hotline.rule": "同一地点同一类别 {m} 天内 ≥ {n} 次", "hotline.drilled": "{n} 件工单",
}


EN = {
    "rank.title": "Rankings", "cases.title": "Cases", "hotline.title": "Hotline", "sensors.title": "Sensors",
    "staffing.title": "Staffing", "stations.title": "Liaison stations", "rank.detail": "Unit detail",
    "filter.all": "All", "rank.small": "too few to rank fairly",
    # --- sensors & staffing pages (task sensstaff) ---
    "sensors.online": "Online rate", "sensors.series": "Sensor series", "sensors.pick": "Pick a sensor",
    "sensors.out_of_scope": "Sensor {sensor} is outside this unit; showing the default sensor",
    "sensors.default": "No sensor chosen: showing a default one (alarming ones first)",
    "staffing.duty": "On duty by shift",
    "staffing.night": "Grids without night cover", "staffing.load": "Cases per on-duty person",
    "staffing.filters_note": "Only the unit and the period apply on this page.",
    # --- stations page (task pages3) ---
    "stations.rate": "Station closure rate", "stations.table": "Station cases due that month",
    "stations.drill_hint": "Click a month of the trend to list the station cases due that month "
                           "(the denominator of its closure rate).",
    "stations.all": "All stations", "stations.closure": "Closure rate by station (85% line)",
    "stations.meeting": "Stations meeting the target", "stations.trend": "Monthly trend",
    "stations.category": "Categories", "stations.department": "Departments",
    "stations.open": "Open / overdue cases",
    # --- hotline page (task hotline3) ---
    "hotline.rates": "Four rates vs targets", "hotline.categories": "Categories (click to filter)",
    "hotline.hotspots": "Repeat complaints (顽症)", "hotline.table": "Orders", "hotline.target": "Target",
    "hotline.actual": "Actual", "hotline.trend": "Rates, last 12 months",
    "hotline.subcategories": "Subcategories (click: list orders)", "hotline.map": "Hotspot map (click: list orders)",
    "hotline.max_window": "up to {n} in a window", "hotline.in_period": "{n} in period",
    "hotline.no_hotspots": "No repeat-complaint hotspot in this period", "hotline.place.cell": "by ~100 m cell",
    "hotline.place.unit": "by village/unit", "hotline.rule": "same place and category ≥ {n} times within {m} days",
    "hotline.drilled": "{n} orders", "drill.active": "Table limited to", "drill.clear": "clear",
}


def translator(lang: str | None) -> Callable[..., str]:
    def t(key: str, **fmt: object) -> str:
        english = str(lang or "").lower().startswith("en")
        text = EN.get(key) or key.rsplit(".", 1)[-1].replace("_", " ") if english else ZH.get(key, key)
        return text.format(**fmt) if fmt else text

    return t
