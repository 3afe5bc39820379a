"""Every user-visible string of the dashboard, in Chinese (default) and English.

``t(key, lang)`` looks a string up; ``lang_of(value)`` normalises whatever a URL or store carries.
Pages add their keys here (one module, so translations are reviewed in one place). A missing key
is a bug: ``t`` returns the key itself so it shows up on screen and in tests instead of crashing.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
DEFAULT_LANG: Lang = "zh"

_S: dict[str, tuple[str, str]] = {
    # app / shell
    "app.title": ("城运体征", "City Vitals"),
    "hotline.name": ("12345 热线", "12345 hotline"),  # a site's own: `vitals site set --hotline-name`
    "app.subtitle": ("一网统管 · 城市数字体征", "City operations · digital vital signs"),
    "shell.lang_toggle": ("English", "中文"),
    "shell.skip": ("跳到内容", "Skip to content"),
    # navigation (one per registered page; `nav_key` in dash.register_page)
    "nav.home": ("数据状态", "Data status"),
    "nav.screen": ("大屏", "Big screen"),
    "nav.rankings": ("排名", "Rankings"),
    "nav.stations": ("工作站", "Stations"),
    "nav.cases": ("案件", "Cases"),
    "nav.hotline": ("热线", "Hotline"),
    "nav.sensors": ("感知", "Sensors"),
    "nav.staffing": ("力量", "Staffing"),
    "nav.audit": ("审计", "Audit"),
    "nav.reports": ("通报", "Briefings"),
    "reports.title": ("考核通报", "Briefings"),
    "reports.intro": ("由 vitals report 按月/按周生成（PDF 与 Excel），此处列出您权限范围内的通报；下载记入审计日志。",
                      "Written monthly/weekly by vitals report (PDF and Excel); the briefings of your scope are listed "
                      "here, downloads are audited."),
    "reports.none": ("尚无通报。", "No briefings yet."),
    "reports.col.period": ("周期", "Period"),
    "reports.col.kind": ("类型", "Kind"),
    "reports.col.scope": ("范围", "Scope"),
    "reports.col.generated": ("生成于", "Generated"),
    "reports.col.data_now": ("数据截至", "Data as of"),
    "reports.col.summary": ("摘要", "Summary"),
    "reports.col.files": ("下载", "Files"),
    "placeholder.body": ("本页面正在建设中。", "This page is being built."),
    # friendly errors (never a traceback)
    "error.missing.title": ("尚未加载数据", "No data loaded yet"),
    "error.missing.body": (
        "仓库中还没有数据。请运行 `vitals demo` 生成演示数据，或用 `vitals etl load` 导入数据。",
        "The warehouse is empty. Run `vitals demo` for the demo data or `vitals etl load` to load exports.",
    ),
    "error.query.title": ("暂时无法读取数据", "Data temporarily unavailable"),
    "error.query.body": (
        "读取数据时出现问题，页面将在下次刷新时重试。如持续出现，请联系平台运行组。",
        "Something went wrong reading the data; the page retries on the next refresh. "
        "If it persists, contact the platform team.",
    ),
    "error.input.title": ("筛选条件无效", "Invalid filter"),
    "error.notfound.title": ("页面不存在", "Page not found"),
    "error.notfound.body": ("请从上方导航选择页面。", "Choose a page from the navigation above."),
    # home / data status
    "home.title": ("数据状态", "Data status"),
    "home.intro": (
        "仓库中已加载的数据：各数据源的记录数、时间范围与最近更新时间。",
        "What the warehouse holds: rows, time range and last update per source.",
    ),
    "home.snapshot": ("当前快照", "Current snapshot"),
    "home.site": ("辖区", "Jurisdiction"),
    "home.data_now": ("数据截至", "Data as of"),
    "home.zone": ("时区", "Time zone"),
    "home.zone_note": ("本页所有时间均为站点时区 {zone} 的当地时间",
                       "Every time on this page is local time in the site's zone, {zone}"),
    "home.col.source": ("数据源", "Source"),
    "home.col.rows": ("记录数", "Rows"),
    "home.col.first": ("最早", "Earliest"),
    "home.col.last": ("最新", "Latest"),
    "home.col.age": ("更新于", "Updated"),
    "home.col.loaded": ("最近加载", "Last load"),
    "home.col.status": ("状态", "Status"),
    "home.runs": ("最近的加载任务", "Recent loads"),
    "home.col.kind": ("类型", "Kind"),
    "home.col.run_status": ("结果", "Result"),
    "home.col.read": ("读取", "Read"),
    "home.col.loaded_rows": ("入库", "Loaded"),
    "home.col.rejected": ("拒收", "Rejected"),
    "home.col.finished": ("完成时间", "Finished"),
    "home.no_runs": ("暂无加载记录", "No loads recorded"),
    "home.runs_scoped": ("加载任务记录全区数据，仅对全区账号显示",
                         "The load log covers the whole warehouse: shown to whole-warehouse users only"),
    "home.units": ("组织单元", "Org units"),
    # levels
    "level.city": ("市", "City"),
    "level.district": ("区", "District"),
    "level.town": ("街镇", "Towns"),
    "level.grid": ("责任网格", "Grids"),
    "level.village": ("村居", "Villages"),
    "level.microgrid": ("微网格", "Micro-grids"),
    # sources
    "source.units": ("组织单元", "Org units"),
    "source.cases": ("网格案件", "Grid cases"),
    "source.hotline": ("12345 热线", "12345 hotline"),
    "source.sensors": ("感知设备", "Sensors"),
    "source.readings": ("感知读数", "Sensor readings"),
    "source.alarms": ("感知告警", "Sensor alarms"),
    "source.staffing": ("力量排班", "Staffing rosters"),
    # reference tables a load may carry besides the sources above (etl.mapping.KIND_TABLE)
    "source.categories": ("案件类别", "Case categories"),
    "source.departments": ("处置部门", "Departments"),
    "source.stations": ("工作站", "Stations"),
    # ETL run results (etl_run.status)
    "run.status.succeeded": ("成功", "Succeeded"),
    "run.status.running": ("进行中", "Running"),
    "run.status.failed": ("失败", "Failed"),
    "run.status.deleted": ("已撤销", "Deleted"),
    # freshness
    "fresh.ok": ("正常", "OK"),
    "fresh.stale": ("数据滞后", "Stale"),
    "fresh.empty": ("无数据", "No data"),
    "fresh.static": ("静态", "Static"),
    "age.now": ("刚刚", "just now"),
    "age.minutes": ("{n} 分钟前", "{n} min ago"),
    "age.hours": ("{n} 小时前", "{n} h ago"),
    "age.days": ("{n} 天前", "{n} d ago"),
    "age.future": ("—", "—"),
    "value.none": ("—", "—"),
    # the period convention (metrics.query.Period; dashboard/components/period_text.py): a running
    # period is titled by the days it covers and compared with the same days before (同期)
    "period.to_date.day": ("今日截至当前", "today so far"),
    "period.to_data_end": ("至数据截止", "to the data's end"),  # a period holding a historical export's end
    "period.to_date.week": ("本周至今", "week to date"),
    "period.to_date.month": ("本月至今", "month to date"),
    "period.to_date.quarter": ("本季至今", "quarter to date"),
    "period.to_date.year": ("本年至今", "year to date"),
    "period.same_days.day": ("昨日", "yesterday"),
    "period.same_days.week": ("上周同期", "same days last week"),
    "period.same_days.month": ("上月同期", "same days last month"),
    "period.same_days.quarter": ("上季同期", "same days last quarter"),
    "period.same_days.year": ("去年同期", "same days last year"),
    "period.previous": ("上期", "Previous"),
    "period.versus": ("较{what}", "vs {what}"),
    "period.partial": ("未满期", "partial"),
    "period.partial_note": ("未满期（{period}）：截至 {d}，与{same}（{prev}）比较",
                            "Partial ({period}): up to {d}, compared with the {same} ({prev})"),
    "period.rolling": ("近{n}天 {range}", "last {n} days, {range}"),
    # big screen (vitals, stations and ranking are judged on the last 30 days, model.rolling_query; the
    # titles say so, or the wall's "32/43" reads as a contradiction of /stations' calendar month)
    "scr.title": ("城市运行体征", "City vital signs"),
    "scr.vitals": ("体征总览 · 近30天", "Vital signs · last 30 days"),
    "scr.overall": ("综合体征", "Overall"),
    "scr.dim.城市治理": ("城市治理", "Governance"),
    "scr.dim.城市安全": ("城市安全", "Safety"),
    "scr.dim.民生服务": ("民生服务", "Services"),
    "scr.dim.城市运行": ("城市运行", "Operations"),
    "scr.dim.12345": ("{name}满意率", "{name} satisfaction"),  # name: data.hotline_short
    "scr.dim.iot": ("物联感知在线率", "IoT sensors online"),
    "scr.pt": ("个百分点", "pt"),
    # the English title and note are short: at 1080p they share a quarter of the wall with the score
    "scr.missed": ("{n}/{m} 项未达标", "{n}/{m} below target"),
    "scr.map": ("全域态势", "Jurisdiction map"),
    "scr.data_ends": ("数据截至 {d}", "Data ends {d}"),
    "scr.data_ends.title": ("历史数据：大屏显示数据最后一天及其前30天",
                            "Historical data: the wall shows its last day and the 30 days before"),
    "scr.map.approx": ("边界为近似示意", "Boundaries are approximate"),
    "scr.map.per_km2": ("每平方公里", "per km²"),
    "scr.map.marker.case": ("紧急案件（在办）", "Urgent case (open)"),
    "scr.map.marker.alarm": ("告警", "Alarm"),
    "scr.map.marker.warning": ("预警", "Warning"),
    "scr.map.marker.cluster": ("多点聚合（红色，点击展开）", "Cluster of the above (click to expand)"),
    "scr.map.skipped": ("按{drawn}显示：{missing}无边界数据", "Drawn by {drawn}: {missing} have no boundaries"),
    "scr.map.back": ("返回上级", "Up one level"),
    "scr.map.legend": ("图例", "Legend"),
    "scr.stations": ("联勤联动工作站结案率 · 近30天", "Station closure · last 30 days"),
    "scr.stations.meeting": ("{n}/{m} 个站达到 85%", "{n} of {m} stations at 85%"),
    "scr.stations.worst": ("后五位", "Worst five"),
    "scr.ranking": ("综合排名 · 近30天", "Composite ranking · last 30 days"),
    "scr.ranking.top": ("组内前列", "Best placed"),
    "scr.ranking.bottom": ("末位", "Bottom (末位)"),
    "scr.ranking.groups": ("同类组内排名，与考核排名页一致", "ranked within peer groups, as on /rankings"),
    # short: it shares one line with the window's dates (条形自 75 分起（… was cut at 1080p); the grade line
    # is said on hover
    "scr.ranking.base": ("条形自 {v} 分起", "bars from {v}"),
    "scr.ranking.base.title": ("条形自 {v} 分（等级线）起画，分差更易比较", "Bars start at {v}, a grade line"),
    "scr.ranking.empty": ("暂无可排名的单位", "No units to rank"),
    "scr.ranking.by.hotline_closure_rate": ("无网格案件：按热线工单办结率（%）排名",
                                            "No grid cases: ranked by hotline closure rate (%)"),
    "scr.feed": ("实时动态", "Live feed"),
    "urgent.kind.case": ("紧急", "Urgent"),
    "urgent.kind.alarm": ("告警", "Alarm"),
    "urgent.since": ("已报", "reported"),
    "urgent.arrive": ("15分钟到场", "On site ≤15 min"),
    "urgent.result": ("1小时初步处置", "First result ≤1 h"),
    "urgent.left": ("剩", "left"),
    "urgent.over": ("超时", "over"),
    "urgent.late": ("超时", "late"),
    "urgent.day": ("天", "d"),  # 2天 03:04 since the report: a Chinese wall says 天, never "d"
    "urgent.banner": ("新紧急事件", "New urgent case"),
    "urgent.summary": ("紧急计时：超时 {bad} · 临近 {warn} · 共 {total}",
                       "Urgent clocks: {bad} breached · {warn} due soon · {total} open"),
    "scr.feed.empty": ("24 小时内无紧急案件和告警", "No urgent cases or alarms in the last 24 h"),
    "scr.hourly": ("今日案件量（按小时）", "Cases today by hour"),
    "scr.hourly.today": ("今日", "Today"),
    "scr.hourly.typical": ("常态日均", "Typical day"),
    "scr.hotline": ("今日{name}工单（按小时）", "{name} orders today by hour"),  # name: data.hotline_name
    "scr.backlog": ("案件积压", "Backlog"),
    "scr.backlog.open": ("在办案件", "Open cases"),
    "scr.backlog.overdue": ("超期案件", "Overdue"),
    "scr.backlog.urgent": ("紧急在办", "Urgent open"),
    "scr.backlog.hotline_open": ("在办工单", "Open orders"),
    "scr.backlog.hotline_overdue": ("超期工单", "Overdue orders"),
    "scr.backlog.alarms": ("活动告警", "Active alarms"),
    "scr.backlog.at": ("数据时刻 {d}", "Data as of {d}"),
    "scr.backlog.at.title": ("已立案案件，按数据时刻计，与案件分析页同一口径",
                             "Registered cases at the data's instant, as on /cases"),
    "scr.backlog.at.title.hotline": ("{name}工单，按数据时刻计：在办与热线分析页同一口径，超期为已过办理时限的在办工单",
                                     "{name} orders at the data's instant: open as on /hotline; overdue: open "
                                     "past their deadline"),
    "scr.water": ("水位监测", "Water levels"),
    "scr.water.empty": ("暂无水位读数", "No water-level readings"),
    "scr.water.alarm": ("告警线", "Alarm line"),
    "scr.duty": ("网格在岗力量", "On duty by grid"),
    "scr.duty.grid": ("网格", "Grid"),
    "scr.duty.on_duty": ("在岗", "On duty"),
    "scr.duty.urgent": ("紧急", "Urgent"),
    "scr.duty.alarms": ("告警", "Alarms"),
    "scr.duty.uncovered": ("{n} 个网格无人在岗", "{n} grids without staff on duty"),
    "scr.mode.normal": ("常态", "Normal"),
    "scr.mode.emergency": ("战时", "Emergency"),
    "scr.mode.toggle": ("平战转换", "Switch mode"),
    "scr.refresh_failed": ("刷新失败，显示上次数据", "Refresh failed; showing the last data"),
    "scr.no_metrics": ("指标服务未就绪", "Indicator service not ready"),
    "scr.updated": ("更新", "Updated"),
    "scr.view.overview": ("总览", "Overview"),
    "scr.view.stations": ("工作站", "Stations"),
    "scr.view.hotline": ("热线", "Hotline"),
    "scr.view.sensors": ("感知", "Sensors"),
    "scr.view.emergency": ("应急", "Emergency"),
    "ind.open_cases": ("在办案件", "Open cases"),
    "ind.overdue_cases": ("超期案件", "Overdue cases"),
    "ind.open_urgent": ("紧急在办", "Urgent open"),
    "ind.active_alarms": ("活动告警", "Active alarms"),
    "ind.on_duty": ("在岗人数", "Staff on duty"),
    "ind.open_hotline": ("在办工单", "Open hotline orders"),
    "feed.case": ("紧急案件", "Urgent case"),
    "feed.alarm": ("感知告警", "Sensor alarm"),
    "state.waiting": ("待到场", "Awaiting"),
    "state.arrived": ("已到场", "On site"),
    "state.disposing": ("处置中", "In disposal"),
    "state.closed": ("已结案", "Closed"),
    "state.ongoing": ("持续中", "Ongoing"),
    "state.ended": ("已恢复", "Cleared"),
    "state.case": ("已转案件", "Case opened"),
    "sev.alarm": ("告警", "Alarm"),
    "sev.warning": ("预警", "Warning"),
    "sev.urgent": ("紧急", "Urgent"),
    "sensor.water_level": ("水位", "Water level"),
    "sensor.air_pm25": ("PM2.5", "PM2.5"),
    "sensor.air_pm10": ("PM10", "PM10"),
    "sensor.manhole_tilt": ("井盖倾斜", "Manhole tilt"),
    "sensor.smoke": ("烟感", "Smoke"),
    "sensor.noise": ("噪声", "Noise"),
    "sensor.gas": ("燃气", "Gas"),
    # big screen: HTML charts (issue 4)
    "scr.stations.none": ("暂无站点结案数据", "No station closures yet"),
    "scr.hourly.total": ("合计", "Total"),
    "scr.hourly.scale": ("件/小时", "per hour"),
    "scr.trend.flat": ("持平", "flat"),
    "scr.watch": ("需关注（低于目标）", "Below target"),
    "scr.watch.target": ("目标", "target"),
}

STRINGS: Mapping[str, tuple[str, str]] = MappingProxyType(_S)


def lang_of(value: object) -> Lang:
    """The language a URL parameter / store value asks for; anything unknown is the default."""
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    text = str(value or "").strip().lower()
    if text.startswith("en"):
        return "en"
    return DEFAULT_LANG


def t(key: str, lang: object = DEFAULT_LANG, **fmt: object) -> str:
    pair = STRINGS.get(key)
    if pair is None:
        return key
    text = pair[1] if lang_of(lang) == "en" else pair[0]
    return text.format(**fmt) if fmt else text


def t_or(key: str, raw: object, lang: object = DEFAULT_LANG) -> str:
    """``t(key)``, or ``raw`` as stored when this build has no label for it (a new sensor type or load
    kind must read as itself, not as "sensor.foo")."""
    pair = STRINGS.get(key)
    return str(raw) if pair is None else t(key, lang)


def age_text(minutes: float | None, lang: object = DEFAULT_LANG) -> str:
    """'3 分钟前' / '3 min ago' for an age in minutes (None → '—')."""
    if minutes is None or minutes != minutes:  # None or NaN
        return t("value.none", lang)
    if minutes < -1:
        return t("age.future", lang)
    if minutes < 1:
        return t("age.now", lang)
    if minutes < 60:
        return t("age.minutes", lang, n=int(minutes))
    if minutes < 48 * 60:
        return t("age.hours", lang, n=int(minutes // 60))
    return t("age.days", lang, n=int(minutes // 1440))


def name_of(row: Mapping[str, object], lang: object) -> str:
    """A unit/station display name: name_en in English when present, else name_zh."""
    if lang_of(lang) == "en" and row.get("name_en"):
        return str(row["name_en"])
    return str(row.get("name_zh") or row.get("name_en") or "")
