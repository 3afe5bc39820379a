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
    "rank.col.group_rank": "组内排名", "rank.col.note": "备注",
    "rank.bottom_legend": "末位（每个同类组后 {n} 名，至多半数）",
    "rank.col.indicator": "指标", "rank.col.current": "本期", "rank.col.target": "目标", "rank.col.status": "状态",
    "rank.deadline": "时限", "rank.note.bottom": "末位",
    "rank.order": "排序", "rank.order.rank": "按组内名次", "rank.order.worst": "末位在前",
    "rank.target": "目标 {sign} {v}", "rank.target.none": "该指标未设目标",
    "rank.target.composite": "得分满分 100（不是百分比）；等级 {bands}，其余为 E",
    "rank.bottom_list": "末位 {n} 个", "rank.bottom_none": "本期无末位单位",
    "status.green": "达标", "status.amber": "预警", "status.red": "未达标",
    "cases.title": "案件分析", "cases.trend": "每日案件量（与上期对比）", "cases.categories": "类别",
    "cases.heat": "时段 × 星期", "cases.handling": "处置时长分布（小时）", "cases.proactive": "先行发现率",
    "cases.breaches": "紧急案件超时", "cases.map": "地图", "cases.table": "案件明细",
    "cases.basis": "图表、地图与明细按上报时间计入本期（含待立案案件）；立案数按立案时间计。已作废案件均不计入。",
    "cases.current": "本期", "cases.previous": "上期", "cases.units": "下级单位",
    "cases.target": "目标", "cases.previous_short": "上期", "cases.breaches_note": "未按时到场 / 未按时初步处置",
    "cases.hour": "时", "cases.weekdays": "周一,周二,周三,周四,周五,周六,周日",
    "hotline.rates": "四率对比目标", "hotline.categories": "诉求类别",
    "hotline.hotspots": "重复投诉热点", "hotline.table": "工单明细",
    "sensors.title": "感知设备", "sensors.online": "设备在线率", "sensors.alarms": "告警",
    "sensors.series": "设备时序", "sensors.offline": "离线设备", "sensors.pick": "选择设备",
    "staffing.title": "人员力量", "staffing.duty": "在岗人数（按班次）", "staffing.night": "无夜间值守的网格",
    "staffing.load": "人均案件量",
    "stations.title": "联勤联动工作站", "stations.closure": "各站结案率 ({target} 线)", "stations.meeting": "达标站点",
    "stations.trend": "月度走势", "stations.category": "案件类别", "stations.department": "处置部门",
    "stations.open": "未结 / 超期案件", "stations.detail": "站点详情",
    "cases.partial_day": "当日截至 {t}（未满一天）",
    "page.partial": "未满期",
    "rank.partial": "{days}未满期：排名与等级按已过天数计算，月初数日长期超期案件占比偏高，等级可能偏低。",
    "rank.partial.link": "查看最近完整周期（{period}）",
    "drill.active": "明细已限定为", "drill.clear": "清除", "rows.total": "共 {n} 条",
    "error.title": "无法显示这个视图",
    # --- sensors & staffing pages (task sensstaff) ---
    "sensors.mean": "均值", "sensors.threshold_warning": "预警线", "sensors.threshold_alarm": "告警线",
    "sensors.threshold_low_warning": "下限预警线", "sensors.threshold_low_alarm": "下限告警线",
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
    # --- stations page (task pages3) ---
    "stations.rate": "本站结案率", "stations.table": "当月应结案的工作站案件",
    "stations.drill_hint": "点击月度走势中的某个月，列出该月应结案的工作站案件（即该月结案率的分母）。",
    "stations.all": "全部站点",
    "stations.deadline": "时限",
    "stations.meeting_note": "{total} 个工作站中 {due} 个有应结案件，其中 {meeting} 个达标 · 目标 {target}",
    # --- hotline page (task hotline3) ---
    "hotline.target": "目标", "hotline.actual": "实际", "hotline.trend": "近12个月四率走势",
    "hotline.subcategories": "小类（点击查看工单）", "hotline.map": "重复投诉热点地图（点击查看工单）",
    "hotline.max_window": "窗口内最多 {n} 件", "hotline.in_period": "本期 {n} 件",
    "hotline.no_hotspots": "本期无重复投诉热点", "hotline.place.cell": "按约100米网格",
    "hotline.place.unit": "按村居/单位",
    "hotline.rule": "同一地点同类诉求 {m} 天内 ≥ {n} 次", "hotline.hot_n": "最少次数",
    "hotline.hot_m": "天数窗口", "hotline.drilled": "{n} 件工单",
    "page.no_data": "无数据", "page.data_from": "数据始于 {d}",
    "page.data_ends": "数据截至 {d}：历史数据，默认显示数据最后一天所在的时段",
    "hotline.hours": "{h} 小时", "hotline.closed_n": "已办结 {n} 件",
    "hotline.lacking": "本数据源没有以下指标所需的字段，不予显示：{names}",
}


EN = {
    "rank.title": "Rankings", "cases.title": "Cases", "sensors.title": "Sensors",
    "staffing.title": "Staffing", "stations.title": "Liaison stations", "rank.detail": "Unit detail",
    "filter.all": "All", "rank.small": "too few to rank fairly",
    # --- sensors & staffing pages (task sensstaff) ---
    "sensors.online": "Online rate", "sensors.series": "Sensor series", "sensors.pick": "Pick a sensor",
    "sensors.out_of_scope": "Sensor {sensor} is outside this unit; showing the default sensor",
    "sensors.default": "No sensor chosen: showing a default one (alarming ones first)",
    "staffing.duty": "On duty by shift",
    "staffing.night": "Grids without night cover", "staffing.load": "Cases per on-duty person",
    # --- stations page (task pages3) ---
    "stations.rate": "Station closure rate", "stations.table": "Station cases due that month",
    "stations.drill_hint": "Click a month of the trend to list the station cases due that month "
                           "(the denominator of its closure rate).",
    "stations.all": "All stations",
    "stations.deadline": "deadline",
    "stations.meeting_note": "{due} of {total} stations have cases due; {meeting} of them meet the target · "
                             "target {target}", "stations.closure": "Closure rate by station ({target} line)",
    "stations.meeting": "Stations meeting the target", "stations.trend": "Monthly trend",
    "stations.category": "Categories", "stations.department": "Departments",
    "stations.open": "Open / overdue cases",
    # --- hotline page (task hotline3) ---
    "hotline.rates": "Four rates vs targets", "hotline.categories": "Categories (click to filter)",
    "hotline.hotspots": "Repeat complaints", "hotline.table": "Orders", "hotline.target": "Target",
    "hotline.actual": "Actual", "hotline.trend": "Rates, last 12 months",
    "hotline.subcategories": "Subcategories (click: list orders)", "hotline.map": "Hotspot map (click: list orders)",
    "hotline.max_window": "up to {n} in a window", "hotline.in_period": "{n} in period",
    "hotline.no_hotspots": "No repeat-complaint hotspot in this period", "hotline.place.cell": "by ~100 m cell",
    "hotline.place.unit": "by village/unit", "hotline.rule": "same place and category ≥ {n} times within {m} days",
    "hotline.hot_n": "At least (times)", "hotline.hot_m": "Within (days)",
    "hotline.drilled": "{n} orders", "drill.active": "Table limited to", "drill.clear": "clear",
    # --- every remaining page label (tests/dashboard/test_labels.py: EN covers ZH) ---
    "filter.town": "Town", "filter.grid": "Grid", "filter.village": "Village", "filter.period": "Period",
    "filter.date": "Date", "filter.start": "Start", "filter.end": "End", "filter.category": "Category",
    "filter.source": "Source", "filter.urgency": "Urgency", "filter.status": "Status", "filter.reset": "Reset",
    "filter.urgency.urgent": "Urgent", "filter.urgency.general": "General",
    "filter.grain.day": "Day", "filter.grain.week": "Week", "filter.grain.month": "Month",
    "filter.grain.quarter": "Quarter", "filter.grain.year": "Year", "filter.grain.custom": "Custom",
    "level.town": "Town / street", "level.grid": "Grid", "level.village": "Village / residents' committee",
    "level.station": "Liaison station", "level.department": "Department",
    "rank.level": "Level", "rank.measure": "Measure", "rank.bottom": "Bottom N",
    "rank.composite.region": "Region composite score", "rank.composite.department": "Department composite score",
    "rank.col.rank": "Rank", "rank.col.movement": "Movement", "rank.col.name": "Unit", "rank.col.key": "Code",
    "rank.col.peer": "Peer group", "rank.col.group_rank": "Rank in group", "rank.col.value": "Value",
    "rank.col.score": "Ranking score", "rank.col.grade": "Grade", "rank.col.numerator": "Numerator",
    "rank.col.denominator": "Denominator", "rank.col.previous": "Previous", "rank.col.note": "Note",
    "rank.col.bottom": "Bottom (末位)", "rank.col.rankable": "Too few to rank",
    "rank.export.xlsx": "Export Excel", "rank.export.csv": "Export CSV", "rank.print": "Print (A4)",
    "rank.detail.pick": "Click a unit in the table to see its detail", "rank.detail.trend": "Last 12 periods",
    "rank.detail.indicators": "Indicators vs targets", "rank.detail.worst": "Categories with most cases",
    "rank.detail.overdue": "Overdue open cases", "rank.detail.link": "Open this unit's case analysis",
    "rank.bottom_legend": "Bottom (末位): last {n} of each peer group, at most half of it",
    "rank.col.indicator": "Indicator", "rank.col.current": "This period", "rank.col.target": "Target",
    "rank.col.status": "Status", "rank.deadline": "due", "rank.note.bottom": "Bottom performer",
    "rank.order": "Order", "rank.order.rank": "By place in group", "rank.order.worst": "Bottom (末位) first",
    "rank.target": "Target {sign} {v}", "rank.target.none": "No target set for this indicator",
    "rank.target.composite": "Score out of 100 (not a percentage); grades {bands}, below that E",
    "rank.bottom_list": "{n} bottom (末位)", "rank.bottom_none": "No bottom units this period",
    "status.green": "On target", "status.amber": "Warning", "status.red": "Below target",
    "cases.trend": "Cases per day (vs previous period)", "cases.categories": "Categories",
    "cases.heat": "Hour × weekday", "cases.handling": "Handling time (hours)", "cases.proactive": "Proactive share",
    "cases.breaches": "Urgent-case breaches", "cases.map": "Map", "cases.table": "Cases",
    "cases.basis": "Charts, map and table count cases reported in the period (those awaiting registration "
                   "included); registered cases count by registration time. Cancelled cases count in neither.",
    "cases.current": "This period", "cases.previous": "Previous period", "cases.units": "Units below",
    "cases.target": "Target", "cases.previous_short": "Previous",
    "cases.breaches_note": "late arrival / late first result",
    "cases.hour": ":00", "cases.weekdays": "Mon,Tue,Wed,Thu,Fri,Sat,Sun",
    "sensors.alarms": "Alarms", "sensors.offline": "Offline devices", "stations.detail": "Station detail",
    "rows.total": "{n} rows", "cases.partial_day": "today so far, to {t} (not a whole day)",
    "page.partial": "partial",
    "rank.partial": "{days} is partial: ranks and grades count the days so far; early in a period long-overdue "
                    "cases weigh more and grades run low.",
    "rank.partial.link": "See the last whole period ({period})",
    "error.title": "This view cannot be shown",
    "sensors.mean": "Mean", "sensors.threshold_warning": "Warning line", "sensors.threshold_alarm": "Alarm line",
    "sensors.threshold_low_warning": "Low warning line", "sensors.threshold_low_alarm": "Low alarm line",
    "sensors.devices": "Devices", "sensors.target": "Target", "sensors.severe": "Severe alarms",
    "sensors.to_case": "Alarms turned into cases", "sensors.case_closed": "Their cases closed",
    "sensors.beyond": "Devices beyond a threshold now", "sensors.none": "None", "sensors.type": "Device type",
    "sensors.online_type": "Online rate by device type (click to filter)",
    "sensors.online_unit": "Online rate by unit below (click to filter)",
    "sensors.alarm_time": "Alarms per day (by severity)", "sensors.alarm_type": "Alarms by device type",
    "sensors.states": "Latest reading vs thresholds (by device type)", "sensors.last": "Last reading",
    "sensors.silent_week": "silent for 7+ days", "sensors.state.alarm": "Alarm", "sensors.state.warning": "Warning",
    "sensors.state.normal": "Normal", "sensors.state.no_data": "No data",
    "staffing.shift.day": "Day", "staffing.shift.night": "Night", "staffing.shift.on_call": "On call",
    "staffing.persons": "People on duty (period)",
    "staffing.nights_note": "Grids with a night uncovered / grids (up to tonight)",
    "staffing.daily": "On duty per day (by shift)",
    "staffing.night_cover": "Night cover per grid (red: a night uncovered; click to filter)",
    "staffing.nights_without": "nights without night cover",
    "staffing.all_covered": "Every grid had night cover every night",
    "page.no_data": "No data", "page.data_from": "data from {d}",
    "page.data_ends": "Data ends {d}: historical data, pages open on the period of its last day",
    "hotline.hours": "{h} h", "hotline.closed_n": "{n} closed",
    "hotline.lacking": "Not shown: this source has no field for {names}",
}

# The warehouse's case codes (etl.schema CASE_SOURCES / CASE_STATUSES / URGENCIES) as people say them.
# Codes stay codes in the data, the URL and exports' filters; only what is shown is translated.
CODE_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "source": {
        "patrol": ("网格巡查发现", "Grid patrol"), "station_patrol": ("联勤巡查发现", "Station patrol"),
        "smart": ("智能感知发现", "Smart sensing"), "citizen_qr": ("市民扫码上报", "Citizen QR report"),
        "hotline_12345": ("12345热线转办", "12345 hotline"), "hotline_12319": ("12319热线转办", "12319 hotline"),
        "hotline_110": ("110联动转办", "110 police link"),
    },
    "status": {
        "reported": ("已上报", "Reported"), "registered": ("已立案", "Registered"),
        "dispatched": ("已派遣", "Dispatched"), "arrived": ("已到场", "On site"), "disposed": ("已处置", "Disposed"),
        "closed": ("已结案", "Closed"), "cancelled": ("已作废", "Cancelled"),
    },
    "urgency": {"urgent": ("紧急", "Urgent"), "general": ("一般", "General")},
}

# The hotline order codes of the warehouse (etl.schema hotline_orders); another source system's own
# status text shows as itself.
HOTLINE_CODE_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "status": {"open": ("未办结", "Open"), "closed": ("已办结", "Closed")},
    "urgency": CODE_LABELS["urgency"],
    "resolution": {"resolved": ("实际解决", "Resolved"), "explained": ("解释说明", "Explained")},
    "satisfaction": {"satisfied": ("满意", "Satisfied"), "basic": ("基本满意", "Fairly satisfied"),
                     "unsatisfied": ("不满意", "Unsatisfied")},
}


# the phone view (/m)
ZH.update({
    "m.title": "城运体征", "m.vitals": "城市体征", "m.vitals.score": "综合得分（1.00 = 达到目标）",
    "m.vitals.previous": "上期 {v}", "m.vitals.below": "低于目标的体征（{n}）", "m.vitals.none": "各项体征均达到目标",
    "m.rank": "综合评价排名", "m.rank.own": "本单位 · 同类组「{peer}」",
    "m.rank.group": "同类组「{peer}」", "m.rank.place": "第 {place} 名",
    "m.rank.unranked": "样本不足，不参与排名", "m.rank.bottom": "末位", "m.rank.not_bottom": "非末位",
    "m.rank.grade": "等级 {g}", "m.rank.move": "较上期 {m}", "m.rank.level": "排名层级",
    "m.rank.rule": "同类组内排名；每组后 {n} 名为末位（至多组内半数）",
    "m.stations": "联勤联动工作站结案率", "m.stations.meeting": "{n} / {m} 个站达到 {target}",
    "m.stations.overall": "全部站点 {v}", "m.stations.below": "低于 {target} 的工作站（{n}）",
    "m.stations.none": "所有有应结案件的工作站均已达标", "m.stations.all": "全部工作站（{n}）",
    "m.stations.no_rate": "本期无应结案件",
    "m.urgent": "紧急在办（{n}）", "m.urgent.none": "当前没有在办的紧急案件", "m.urgent.all": "全部紧急在办案件",
    "m.urgent.reported": "上报", "m.overdue": "超期未结案件（{n}）", "m.overdue.none": "没有超期未结案件",
    "m.overdue.deadline": "时限", "m.more": "另有 {n} 件，请在桌面版查看",
    "m.back": "‹ 返回概览", "m.unit.indicators": "指标与目标", "m.desk": "桌面版",
    "m.desk.rankings": "桌面版排名", "m.desk.stations": "桌面版工作站", "m.logout": "退出登录",
    "m.share": "分享此视图", "m.share.note": "链接包含范围、周期和层级；只有角色和范围允许的人能打开。",
    "m.period.month": "本月", "m.period.last_month": "上月", "m.period.quarter": "本季", "m.period.year": "本年",
    "m.station.rate": "结案率 {v}（{c}）· 目标 {target}", "m.lang": "English",
    "m.status.green": "达标", "m.status.amber": "预警", "m.status.red": "未达标",
    "m.as_of": "数据截至 {t}",
    "m.tile.label": "要点", "m.tile.rank": "综合排名", "m.tile.bottom_n": "末位 {n} 个",
    "m.tile.stations": "工作站达标",
    "m.tile.stations_below": "{n} 个低于 {target}", "m.tile.signs_below": "{n} 项低于目标",
    "m.tile.urgent": "紧急在办", "m.tile.urgent_note": "件，查看全部",
})
EN.update({
    "m.title": "City Vitals", "m.vitals": "Vital signs", "m.vitals.score": "Overall score (1.00 = on target)",
    "m.vitals.previous": "previous {v}", "m.vitals.below": "Signs below target ({n})",
    "m.vitals.none": "Every sign meets its target",
    "m.rank": "Composite ranking", "m.rank.own": "Your unit · peer group {peer}",
    "m.rank.group": "Peer group {peer}", "m.rank.place": "No. {place}",
    "m.rank.unranked": "too few cases to rank", "m.rank.bottom": "Bottom (末位)", "m.rank.not_bottom": "Not bottom",
    "m.rank.grade": "Grade {g}", "m.rank.move": "vs previous {m}", "m.rank.level": "Level",
    "m.rank.rule": "Ranked within peer groups; the last {n} of each group are bottom (末位), at most half",
    "m.stations": "Liaison station closure", "m.stations.meeting": "{n} of {m} stations at {target}",
    "m.stations.overall": "all stations {v}", "m.stations.below": "Stations below {target} ({n})",
    "m.stations.none": "Every station with cases due meets the target", "m.stations.all": "All stations ({n})",
    "m.stations.no_rate": "no case due",
    "m.urgent": "Urgent open ({n})", "m.urgent.none": "No urgent case is open", "m.urgent.all": "All urgent open cases",
    "m.urgent.reported": "reported", "m.overdue": "Overdue open cases ({n})", "m.overdue.none": "No overdue case",
    "m.overdue.deadline": "due", "m.more": "{n} more on the desk page",
    "m.back": "‹ Overview", "m.unit.indicators": "Indicators vs targets", "m.desk": "Desk view",
    "m.desk.rankings": "Rankings (desk)", "m.desk.stations": "Stations (desk)", "m.logout": "Sign out",
    "m.share": "Share this view", "m.share.note": "The link holds scope, period and level; it opens only for "
                                                  "someone whose role and scope allow it.",
    "m.period.month": "This month", "m.period.last_month": "Last month", "m.period.quarter": "Quarter",
    "m.period.year": "Year", "m.station.rate": "closure {v} ({c}) · target {target}", "m.lang": "中文",
    "m.status.green": "on target", "m.status.amber": "warning", "m.status.red": "below target",
    "m.as_of": "data as of {t}",
    "m.tile.label": "Summary", "m.tile.rank": "Composite rank", "m.tile.bottom_n": "{n} bottom (末位)",
    "m.tile.stations": "Stations at target", "m.tile.stations_below": "{n} below {target}",
    "m.tile.signs_below": "{n} below target", "m.tile.urgent": "Urgent open", "m.tile.urgent_note": "cases, see all",
})


def code_label(kind: str, code: str, en: bool) -> str:
    """A case code's label in the page's language; an unknown code (a new source system) shows as itself."""
    pair = CODE_LABELS.get(kind, {}).get(code)
    return code if pair is None else pair[1 if en else 0]


def translator(lang: str | None) -> Callable[..., str]:
    def t(key: str, **fmt: object) -> str:
        english = str(lang or "").lower().startswith("en")
        text = EN.get(key) or key.rsplit(".", 1)[-1].replace("_", " ") if english else ZH.get(key, key)
        return text.format(**fmt) if fmt else text

    return t
