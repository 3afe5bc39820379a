"""The audit page's query (event, user, days, page) as a value; kept out of ``pages/audit.py`` because
Dash imports page modules in a way dataclasses cannot introspect."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class AuditFilter:
    """The page's query: event, actor, days [start, end] in the site's zone, page (1-based)."""

    action: str | None = None
    actor: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    page: int = 1

    def params(self, **change: object) -> dict[str, str]:
        values = {**{f.name: getattr(self, f.name) for f in fields(self)}, **change}
        return {k: str(v) for k, v in values.items() if v not in (None, "") and not (k == "page" and v == 1)}


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None  # a mistyped date filters nothing, it never errors


def parse_filter(query: Mapping[str, Any], actions: Collection[str]) -> AuditFilter:
    action = query.get("action")
    try:
        page = max(int(query.get("page") or 1), 1)
    except ValueError:
        page = 1
    return AuditFilter(action=action if action in actions else None,  # an unknown filter shows everything
                       actor=str(query["actor"]).strip() or None if query.get("actor") else None,
                       start=_date(query.get("start")), end=_date(query.get("end")), page=page)
