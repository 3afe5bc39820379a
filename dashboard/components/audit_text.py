"""The audit log in words: an entry's detail as "行数 2 · 已脱敏 是 · 查询 周期 2026-11-01 – 2026-11-30",
never a JSON object or a Python repr. Entries written before the log stored readable values hold
``datetime.datetime(2026, 11, 1, 0, 0)`` reprs inside strings; they are rewritten as dates here."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

# the keys the log writes (dashboard/access.py, dashboard/auth/*), zh / en
DETAIL_LABELS = {
    "what": ("内容", "what"), "rows": ("行数", "rows"), "masked": ("已脱敏", "masked"), "query": ("查询", "query"),
    "filters": ("筛选", "filters"), "status": ("状态码", "status"), "reason": ("原因", "reason"),
    "path": ("路径", "path"), "method": ("方式", "method"), "output": ("输出", "output"),
    "role": ("角色", "role"), "scope": ("范围", "scope"), "clearance": ("个人信息权限", "clearance"),
    "failures": ("失败次数", "failures"), "locked": ("已锁定", "locked"),
    "retry_after": ("重试等待（秒）", "retry after (s)"), "name": ("名称", "name"), "days": ("天数", "days"),
    "period": ("周期", "period"), "unit": ("单位", "unit"), "category": ("类别", "category"),
    "source": ("来源", "source"), "urgency": ("紧急程度", "urgency"), "password": ("密码", "password"),
    "token": ("令牌", "token"),
}
_DATETIME_REPR = re.compile(r"datetime\.(?:datetime|date)\((\d{4}), (\d{1,2}), (\d{1,2})(?:, (\d{1,2}), (\d{1,2})"
                            r"(?:, \d{1,2})?(?:, \d+)?)?\)")


def _date_of_repr(m: re.Match[str]) -> str:
    y, mo, d, h, mi = m.groups()
    day = f"{int(y):04d}-{int(mo):02d}-{int(d):02d}"
    return day if h is None or (int(h), int(mi)) == (0, 0) else f"{day} {int(h):02d}:{int(mi):02d}"


def period_text(start: datetime, end: datetime) -> str:
    """A half-open period [start, end) of whole days as its first and last day."""
    return f"{start:%Y-%m-%d} – {end - timedelta(days=1):%Y-%m-%d}"


def label(key: str, lang: str) -> str:
    pair = DETAIL_LABELS.get(key)
    return key if pair is None else pair[1] if lang == "en" else pair[0]


def value_text(value: Any, lang: str) -> str:
    """One value in words: yes/no for flags, nested mappings as "key value" pairs, reprs as dates."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return ("yes" if value else "no") if lang == "en" else ("是" if value else "否")
    if isinstance(value, Mapping):
        return (", " if lang == "en" else "，").join(f"{label(str(k), lang)} {value_text(v, lang)}"
                                                     for k, v in value.items() if v not in (None, "")) or "—"
    if isinstance(value, (list, tuple)):
        return (", " if lang == "en" else "、").join(value_text(v, lang) for v in value) or "—"
    text = _DATETIME_REPR.sub(_date_of_repr, str(value))
    # a whole period dict stored as its repr: {'start': 2026-11-01, 'end': 2026-12-01, 'grain': 'month'}
    legacy = re.fullmatch(r"\{'start': ([\d\- :]+), 'end': ([\d\- :]+), 'grain': '(\w+)'\}", text)
    if legacy:
        start, end = datetime.fromisoformat(legacy.group(1)), datetime.fromisoformat(legacy.group(2))
        return period_text(start, end)
    return text


def detail_text(detail: Mapping[str, Any], lang: str) -> str:
    """An audit entry's detail: "行数 2 · 已脱敏 是 · …" in the reader's language."""
    return " · ".join(f"{label(str(k), lang)} {value_text(v, lang)}" for k, v in detail.items()) or "—"
