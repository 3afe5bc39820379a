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
    "home.units": ("组织单元", "Org units"),
    # levels
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
