"""审计日志 / Audit log: sign-ins, failed attempts, exports, user and token changes (admins only).

The guard refuses this page to every role but admin (``/audit`` is a reserved page); the layout
checks again, so a policy typo in the config cannot open it. The log is read from the user store,
not the warehouse, and rendered as text cells: a user name or filter value holding markup is shown,
never interpreted.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import dash
import flask
from dash import html

from dashboard import access
from dashboard.i18n import lang_of

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


def layout(lang: str | None = None, action: str | None = None, **_query: Any) -> html.Div:
    lang = lang_of(lang)
    principal = access.current_principal()
    if principal.role != "admin":
        return html.Div(_zh_en(lang, "无权查看审计日志", "Not allowed to view the audit log"), className="cv-page")
    state = flask.current_app.extensions.get(access.EXTENSION)
    if state is None:
        return html.Div(_zh_en(lang, "未启用访问控制", "Access control is not installed"), className="cv-page")
    action = action if action in ACTIONS else None  # an unknown filter shows everything, it never errors
    entries = state.store.audit_entries(limit=500, action=action)
    head = [_zh_en(lang, *p) for p in (("时间 (UTC)", "Time (UTC)"), ("操作人", "Actor"), ("事件", "Action"),
                                       ("对象", "Target"), ("详情", "Detail"), ("地址", "IP"))]
    rows = [
        html.Tr([
            html.Td(dt.datetime.fromtimestamp(e.ts, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")),
            html.Td(e.actor or ""),
            html.Td(action_label(e.action, lang), title=e.action),
            html.Td(e.target or ""),
            html.Td(json.dumps(dict(e.detail), ensure_ascii=False), className="cv-audit-detail"),
            html.Td(e.ip or ""),
        ])
        for e in entries
    ]
    filters = [html.A(_zh_en(lang, "全部", "all"), href="/audit" + ("?lang=en" if lang == "en" else ""))]
    for a in ACTIONS:
        filters += [" · ", html.A(action_label(a, lang), title=a,
                                  href=f"/audit?action={a}" + ("&lang=en" if lang == "en" else ""))]
    return html.Div(
        className="cv-page cv-audit",
        children=[
            html.H1(_zh_en(lang, "审计日志", "Audit log")),
            html.P(filters, className="cv-audit-filters"),
            html.P(_zh_en(lang, f"最近 {len(entries)} 条", f"latest {len(entries)} entries")),
            html.Table([html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(rows)], id="audit-table",
                       className="cv-table"),
        ],
    )
