"""/audit readable (issue 18): details in words (no JSON, no Python repr), 50 entries a page with page
controls, filters by event, user and days, every time in the site's zone, labelled. The layout is
called directly as the admin; the log is written with a pinned clock, so every expected count and
time is hand-computed from it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import dash
import pytest

from dashboard.app import create_app
from dashboard.auth.model import Principal
from dashboard.auth.store import UserStore
from dashboard.components.audit_text import detail_text
from dashboard.pages.audit_ids import AuditIds
from tests.clock import pinned_settings
from tests.dashboard.test_access import as_principal
from tests.dashboard.test_any_city import _walk

SHANGHAI = ZoneInfo("Asia/Shanghai")
BASE = datetime(2026, 3, 1, 0, 0, tzinfo=SHANGHAI)  # entry i is logged i hours later: 120 h = 5 days
LEGACY_QUERY = {"period": "{'start': datetime.datetime(2026, 2, 1, 0, 0), 'end': datetime.datetime(2026, 3, 1, 0, 0),"
                          " 'grain': 'month'}", "unit": "T1", "category": None}


@pytest.fixture
def app(tiny_warehouse: Path, tmp_path: Path) -> Iterator[dash.Dash]:
    path = tmp_path / "users.sqlite"
    clock = {"t": BASE.timestamp()}
    store = UserStore(path, now=lambda: clock["t"])
    for i in range(120):
        clock["t"] = BASE.timestamp() + 3600 * i
        if i % 2:
            store.audit("ana", "export", "hotline_orders", {"what": "hotline_orders", "rows": i, "masked": True,
                                                            "query": LEGACY_QUERY}, ip="10.0.0.1")
        else:
            store.audit("boss", "login.ok", "boss", {"method": "password"}, ip="10.0.0.2")
    app = create_app(pinned_settings(tiny_warehouse, sections={"auth": {"store": str(path),
                                                                        "secure_cookies": False}}))
    ctx = as_principal(app, Principal("root", "admin", None))
    yield app
    ctx.pop()


def _audit(**query: Any) -> Any:
    return dash.page_registry["dashboard.pages.audit"]["layout"](**query)


def _by_id(tree: Any, id_: str) -> Any:
    return next((n for n in _walk(tree) if getattr(n, "id", None) == id_), None)


def _rows(page: Any) -> list[list[str]]:
    body = _by_id(page, AuditIds.TABLE).children[1]
    return [[str(td.children) for td in tr.children] for tr in body.children]


def test_fifty_a_page_with_controls(app: dash.Dash) -> None:
    page = _audit()
    rows = _rows(page)
    assert len(rows) == 50
    # newest first, in Shanghai time: entry 119 is 119 h after 1 March 00:00 = 5 March 23:00
    assert rows[0][0] == "2026-03-05 23:00:00" and rows[0][1] == "ana"
    assert _by_id(page, AuditIds.COUNT).children == "第 1 / 3 页 · 第 1–50 条，共 120 条"
    assert _by_id(page, AuditIds.PREV) is None and _by_id(page, AuditIds.NEXT).href == "/audit?page=2"
    last = _audit(page="3")
    assert len(_rows(last)) == 20 and _rows(last)[-1][0] == "2026-03-01 00:00:00"
    assert _by_id(last, AuditIds.NEXT) is None and _by_id(last, AuditIds.PREV).href == "/audit?page=2"
    assert len(_rows(_audit(page="9"))) == 0 and len(_rows(_audit(page="x"))) == 50  # never an error


def test_filters_by_event_user_and_days_in_the_site_zone(app: dash.Dash) -> None:
    assert _by_id(_audit(actor="ana"), AuditIds.COUNT).children.endswith("共 60 条")
    assert _by_id(_audit(action="login.ok", actor="ana"), AuditIds.COUNT).children.endswith("共 0 条")
    # 2 March in Shanghai is entries 24–47 (in UTC the day would start 8 entries earlier)
    day = _audit(start="2026-03-02", end="2026-03-02")
    rows = _rows(day)
    assert len(rows) == 24 and rows[-1][0] == "2026-03-02 00:00:00" and rows[0][0] == "2026-03-02 23:00:00"
    both = _audit(action="export", start="2026-03-02", end="2026-03-03", page="1")
    assert _by_id(both, AuditIds.COUNT).children.endswith("共 24 条")
    # the filters keep each other across pages and event links
    f = _audit(actor="ana", start="2026-03-01")
    assert _by_id(f, AuditIds.NEXT).href == "/audit?actor=ana&start=2026-03-01&page=2"
    actor = _by_id(f, AuditIds.ACTOR)
    assert [o.value for o in actor.children] == ["", "ana", "boss"] and actor.children[1].selected
    assert _by_id(_audit(start="not a date"), AuditIds.COUNT).children.endswith("共 120 条")


def test_details_read_as_words_not_json_or_reprs(app: dash.Dash) -> None:
    page = _audit(action="export", page="1")
    detail = _rows(page)[0][4]
    assert detail == "内容 hotline_orders · 行数 119 · 已脱敏 是 · 查询 周期 2026-02-01 – 2026-02-28，单位 T1"
    body = json.dumps(page.to_plotly_json(), default=lambda o: o.to_plotly_json() if hasattr(o, "to_plotly_json")
                      else str(o), ensure_ascii=False)
    assert "datetime.datetime" not in body and '{\\"' not in body and "{'" not in body
    en = _audit(lang="en", action="export")
    assert _rows(en)[0][4] == ("what hotline_orders · rows 119 · masked yes · query period 2026-02-01 – 2026-02-28,"
                               " unit T1")
    head = [th.children for th in _by_id(en, AuditIds.TABLE).children[0].children.children]
    assert head[0] == "Time (Asia/Shanghai)"
    assert detail_text({}, "zh") == "—" and detail_text({"locked": False, "failures": 3}, "en") == (
        "locked no · failures 3")
