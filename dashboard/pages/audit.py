"""审计日志 / Audit log: sign-ins, failed attempts, exports, user and token changes (admins only).

Filtered by event, user and days (a GET form: the filters are the URL), 50 entries a page, times in
the site's zone, details in words (``components/audit_text``), never JSON.

The guard refuses this page to every role but admin (``/audit`` is a reserved page); the layout
checks again, so a policy typo in the config cannot open it. The log is read from the user store,
not the warehouse, and rendered as text cells: a user name or filter value holding markup is shown,
never interpreted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import dash
import flask
from dash import dcc, html

from dashboard import access, data
from dashboard.components.audit_filter import AuditFilter, parse_filter
from dashboard.components.audit_text import detail_text
from dashboard.i18n import lang_of
from dashboard.pages.audit_ids import AuditIds

dash.register_page(__name__, path="/audit", order=90, nav_key="nav.audit", title="城运体征 · 审计日志")

# every event the user store logs, with what an administrator reads for it (the code stays in the
# filter URL and in each cell's tooltip, so a log line can still be matched to the docs)
ACTION_LABELS = {
    "login.ok": ("登录成功", "Signed in"), "login.failed": ("登录失败", "Sign-in failed"),
    "login.locked": ("账户锁定", "Account locked"), "login.disabled": ("停用账户尝试登录", "Disabled account tried"),
    "logout": ("退出登录", "Signed out"), "export": ("导出数据", "Export"),
    "refused": ("请求被拒绝", "Request refused"),
    "user.add": ("新增用户", "User added"), "user.change": ("修改用户", "User changed"),
    "user.disable": ("停用用户", "User disabled"), "user.enable": ("启用用户", "User enabled"),
    "user.passwd": ("修改密码", "Password changed"), "token.create": ("创建大屏令牌", "Token created"),
    "token.revoke": ("吊销令牌", "Token revoked"), "token.refused": ("令牌被拒绝", "Token refused"),
    "login.ratelimited": ("登录过于频繁", "Sign-in rate-limited"),
}
ACTIONS = tuple(ACTION_LABELS)


def action_label(action: str, lang: str) -> str:
    pair = ACTION_LABELS.get(action)
    return action if pair is None else _zh_en(lang, *pair)


def _zh_en(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


PAGE_SIZE = 50


def _epoch(day: dt.date | None, zone: ZoneInfo) -> float | None:
    return None if day is None else dt.datetime.combine(day, dt.time(), zone).timestamp()


def _href(f: AuditFilter, lang: str, **change: object) -> str:
    params = f.params(**change)
    if lang == "en":
        params["lang"] = "en"
    return "/audit" + ("?" + urlencode(params) if params else "")


def _filters(f: AuditFilter, lang: str, actors: list[str]) -> html.Form:
    """A GET form (a full page load with the new query, no callback) and the event links."""
    links: list[Any] = [html.A(_zh_en(lang, "全部事件", "all events"), href=_href(f, lang, action=None, page=1))]
    for a in ACTIONS:
        links += [" · ", html.A(action_label(a, lang), title=a, href=_href(f, lang, action=a, page=1),
                                className="is-active" if a == f.action else None)]
    fields_ = [
        html.Label([_zh_en(lang, "事件", "Event"), html.Select(
            [html.Option(_zh_en(lang, "全部", "all"), value="")]
            + [html.Option(action_label(a, lang), value=a, selected=a == f.action) for a in ACTIONS],
            name="action", id=AuditIds.ACTION)]),
        html.Label([_zh_en(lang, "用户", "User"), html.Select(
            [html.Option(_zh_en(lang, "全部", "all"), value="")]
            + [html.Option(a, value=a, selected=a == f.actor) for a in actors],
            name="actor", id=AuditIds.ACTOR)]),
        # Dash 4's annotations list no "date" type; the input passes it to the browser as is (the date
        # picker of tests/browser/test_audit_page.py), a native date box a GET form submits as YYYY-MM-DD
        html.Label([_zh_en(lang, "从", "From"), dcc.Input(type="date", name="start", id=AuditIds.START,  # type: ignore[arg-type]
                                                         value=f.start.isoformat() if f.start else None)]),
        html.Label([_zh_en(lang, "至", "To"), dcc.Input(type="date", name="end", id=AuditIds.END,  # type: ignore[arg-type]
                                                       value=f.end.isoformat() if f.end else None)]),
        *([dcc.Input(type="hidden", name="lang", value="en")] if lang == "en" else []),
        html.Button(_zh_en(lang, "筛选", "Filter"), type="submit", id=AuditIds.SUBMIT),
        html.A(_zh_en(lang, "重置", "reset"), href=_href(AuditFilter(), lang)),
    ]
    return html.Form([html.Div(fields_, className="cv-audit-form"), html.P(links, className="cv-audit-filters")],
                     action="/audit", method="get", id=AuditIds.FORM)


def _pager(f: AuditFilter, lang: str, total: int) -> html.Nav:
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    first = (f.page - 1) * PAGE_SIZE + 1 if total else 0
    last = min(f.page * PAGE_SIZE, total)
    text = _zh_en(lang, f"第 {f.page} / {pages} 页 · 第 {first}–{last} 条，共 {total} 条",
                  f"page {f.page} of {pages} · entries {first}–{last} of {total}")
    prev = (html.A(_zh_en(lang, "‹ 上一页", "‹ previous"), href=_href(f, lang, page=f.page - 1), id=AuditIds.PREV)
            if f.page > 1 else html.Span(_zh_en(lang, "‹ 上一页", "‹ previous"), className="cv-muted"))
    nxt = (html.A(_zh_en(lang, "下一页 ›", "next ›"), href=_href(f, lang, page=f.page + 1), id=AuditIds.NEXT)
           if f.page < pages else html.Span(_zh_en(lang, "下一页 ›", "next ›"), className="cv-muted"))
    return html.Nav([prev, " ", html.Span(text, id=AuditIds.COUNT), " ", nxt], className="cv-audit-pager")


def layout(lang: str | None = None, **query: Any) -> html.Div:
    lang = lang_of(lang)
    principal = access.current_principal()
    if principal.role != "admin":
        return html.Div(_zh_en(lang, "无权查看审计日志", "Not allowed to view the audit log"), className="cv-page")
    state = flask.current_app.extensions.get(access.EXTENSION)
    if state is None:
        return html.Div(_zh_en(lang, "未启用访问控制", "Access control is not installed"), className="cv-page")
    f = parse_filter(query, ACTIONS)
    zone_name = data.site_zone()
    zone = ZoneInfo(zone_name)
    window = {"action": f.action, "actor": f.actor, "since": _epoch(f.start, zone),
              "until": _epoch(f.end + dt.timedelta(days=1) if f.end else None, zone)}
    total = state.store.audit_count(**window)
    entries = state.store.audit_entries(PAGE_SIZE, offset=(f.page - 1) * PAGE_SIZE, **window)
    head = [_zh_en(lang, f"时间（{zone_name}）", f"Time ({zone_name})"), _zh_en(lang, "操作人", "Actor"),
            _zh_en(lang, "事件", "Action"), _zh_en(lang, "对象", "Target"), _zh_en(lang, "详情", "Detail"),
            _zh_en(lang, "地址", "IP")]
    rows = [
        html.Tr([
            html.Td(dt.datetime.fromtimestamp(e.ts, zone).strftime("%Y-%m-%d %H:%M:%S")),
            html.Td(e.actor or ""),
            html.Td(action_label(e.action, lang), title=e.action),
            html.Td(e.target or ""),
            html.Td(detail_text(e.detail, lang), className="cv-audit-detail"),
            html.Td(e.ip or ""),
        ])
        for e in entries
    ]
    return html.Div(
        className="cv-page cv-audit",
        children=[
            html.H1(_zh_en(lang, "审计日志", "Audit log")),
            _filters(f, lang, state.store.audit_actors()),
            _pager(f, lang, total),
            html.Table([html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(rows)], id=AuditIds.TABLE,
                       className="cv-table"),
        ],
    )

