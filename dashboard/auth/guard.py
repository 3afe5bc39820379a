"""The request guard: every request to the Dash server is authenticated and authorised here.

``install(app, settings)`` adds a Flask ``before_request`` to ``app.server`` that runs before any
Dash route, including ``/_dash-layout``, ``/_dash-dependencies`` and ``/_dash-update-component``:

1. Who: a screen token in the URL (``?token=``, exchanged at once for an HttpOnly cookie and a
   redirect to the same URL without it), a user named by a trusted reverse-proxy header (only from
   configured proxy addresses, off by default), or the session cookie. Nobody → the sign-in page
   (pages) or 401 (Dash's XHR endpoints). With auth disabled in the config, the explicit demo
   principal (admin role, whole warehouse, personal data masked).
2. What: a page URL the role may not open → 403. A callback request must match a registered
   callback id for id and property for property (``callback_rules``), else 400; it is authorised
   by the page its outputs belong to; a page the role may not open → 403. Every refusal of a
   signed-in principal (and every cross-site POST) is written to the audit log (``refused``).
3. The principal is put in ``flask.g`` for ``dashboard.access``, which clamps every query to the
   unit scope and masks rows: the data rules do not depend on this mapping being complete.

Cross-site POSTs are refused by an Origin / Sec-Fetch-Site check (the cookie is also SameSite=Lax).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import dash
import flask
from markupsafe import escape

from dashboard.access import EXTENSION, G_GUARDED, G_PRINCIPAL, AccessDenied, may_open
from dashboard.auth import callback_rules
from dashboard.auth.config import AuthConfig, load_auth_config
from dashboard.auth.model import Principal, normalise_path
from dashboard.auth.store import UserStore
from etl.settings import Settings
from metrics.query import QueryError

log = logging.getLogger(__name__)

LOGIN = "/auth/login"
LOGOUT = "/auth/logout"
ME = "/auth/me"
# Served to anyone: the sign-in page needs the app's CSS and the renderer's bundles carry no data.
# Matched exactly (``/auth/loginX`` is not public) or, for the two static folders, by prefix.
PUBLIC_PATHS = frozenset({LOGIN, "/_favicon.ico"})
PUBLIC_PREFIXES = ("/_dash-component-suites/", "/assets/")
CSP_CONFIG = "VITALS_CSP"
MAX_CALLBACK_BODY = 1 << 20  # a real callback body is a few kB; 1 MB leaves room for a big filter state
# Dash's JSON endpoints: answered with 401/403 JSON, never with a redirect to an HTML page.
XHR_PREFIXES = ("/_dash-", "/_reload-hash")
CALLBACK_PATH = "/_dash-update-component"
TOKEN_SESSION_SECONDS = 7 * 86400  # sliding: a wall refreshing every minute never reaches it
NO_USERS = "尚无用户：请用 `vitals users add` 创建 / no users yet: run `vitals users add`"
DEMO = Principal("demo", "admin", None, False, "disabled")


class UnitResolver(Protocol):
    def lineage(self, code: str) -> tuple[str, ...]: ...

    def subtree(self, code: str) -> frozenset[str]: ...


class WarehouseUnits:
    """Unit lineage and subtrees read from the request's warehouse snapshot."""

    def lineage(self, code: str) -> tuple[str, ...]:
        from dashboard import data  # the app shell's per-request connection
        from metrics.unit_scope import unit_lineage

        return unit_lineage(data.connection(), code)

    def subtree(self, code: str) -> frozenset[str]:
        from dashboard import data
        from metrics.unit_scope import unit_subtree

        return unit_subtree(data.connection(), code)


@dataclass(frozen=True)
class AuthState:
    """What the guard and ``dashboard.access`` need, kept on the Flask app (not in a module)."""

    config: AuthConfig
    store: UserStore
    units: UnitResolver
    app: dash.Dash


def install(app: dash.Dash, settings: Settings, units: UnitResolver | None = None,
            config: AuthConfig | None = None) -> AuthState:
    config = config or load_auth_config(settings)
    store = UserStore(config.store, config.max_failures, config.lockout_minutes * 60)
    state = AuthState(config, store, units or WarehouseUnits(), app)
    server: flask.Flask = app.server
    server.extensions[EXTENSION] = state
    server.before_request(lambda: _guard(state))
    server.after_request(_headers)
    server.add_url_rule(LOGIN, "vitals_login", lambda: _login(state), methods=["GET", "POST"])
    server.add_url_rule(LOGOUT, "vitals_logout", lambda: _logout(state), methods=["GET", "POST"])
    server.add_url_rule(ME, "vitals_me", lambda: _me())
    # A refusal or bad input raised inside a callback (an export for another unit asked by a crafted
    # request) is an answer, not a server error: 403/400 with the message, audited, never a 500.
    server.register_error_handler(AccessDenied, lambda exc: _refused(state, 403, str(exc)))
    server.register_error_handler(QueryError, lambda exc: _refused(state, 400, str(exc)))
    server.register_error_handler(Exception, lambda exc: _callback_error(state, exc))
    return state


def _callback_error(state: AuthState, exc: Exception) -> Any:
    """An exception escaping a callback: the request matched a registered callback (the guard
    checked its shape) but carried values the callback could not take (a string for a row number,
    an empty sort model). That is bad input — 400, audited — not a server fault to show as 500.
    Outside callbacks, Flask's own handling stands."""
    from werkzeug.exceptions import HTTPException, InternalServerError

    if isinstance(exc, HTTPException):
        return exc
    if flask.request.path != CALLBACK_PATH:
        log.exception("unhandled error on %s", flask.request.path)
        return InternalServerError()
    log.warning("callback %s refused bad input: %r", _output_of_request(), exc, exc_info=exc)
    return _refused(state, 400, "无效的回调输入 / invalid callback input")


def _output_of_request() -> str:
    body = flask.request.get_json(silent=True)
    return str(body.get("output", ""))[:200] if isinstance(body, dict) else ""


def _refused(state: AuthState, status: int, message: str) -> flask.Response:
    """A refusal answered to a Dash XHR request, recorded in the audit log (who, what, why)."""
    principal = flask.g.get(G_PRINCIPAL)
    actor = principal.name if isinstance(principal, Principal) else None
    log.info("refused %s %s for %s: %s", status, flask.request.path, actor, message)
    if state.config.enabled:
        detail = {"status": status, "reason": message[:300], "path": flask.request.path[:200],
                  "method": flask.request.method}
        if flask.request.path == CALLBACK_PATH:
            detail["output"] = _output_of_request()
        try:
            state.store.audit(actor, "refused", flask.request.path[:200], detail, ip=_client_ip())
        except Exception:  # the refusal stands even when the audit store is unwritable
            log.exception("could not audit a refusal")
    return _refuse(status, message, xhr=True)


def content_security_policy(app: dash.Dash, tile_url: str | None = None) -> str:
    """The policy every response carries: scripts only from this origin plus Dash's own inline
    scripts by hash (the renderer's start-up and the inline clientside callbacks: computed after
    every callback is registered), no plugins, no framing, forms and XHR to this origin only.
    Styles allow inline attributes (React sets ``style``); they cannot run code. Images allow
    ``data:`` (Leaflet's and Plotly's icons) and the wall's configured tile server."""
    img = ["'self'", "data:", "blob:"]
    if tile_url:
        parts = urlsplit(tile_url)
        host = parts.netloc.replace("{s}", "*")  # Leaflet's subdomain placeholder
        if parts.scheme in ("http", "https") and host and "{" not in host:
            img.append(f"{parts.scheme}://{host}")
    scripts = ["'self'", *app.csp_hashes()]  # already quoted: "'sha256-…'"
    return "; ".join([
        "default-src 'self'", f"script-src {' '.join(scripts)}", "style-src 'self' 'unsafe-inline'",
        f"img-src {' '.join(img)}", "font-src 'self' data:", "connect-src 'self'", "worker-src 'self' blob:",
        "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
    ])


def install_csp(app: dash.Dash, settings: Settings) -> None:
    """Fix the policy once every callback is registered (the hashes cover the inline ones)."""
    app.server.config[CSP_CONFIG] = content_security_policy(app, settings.tile_url)


# -- who ------------------------------------------------------------------------------------------
def _client_ip() -> str | None:
    """The peer address; behind a trusted proxy with ``forwarded_for`` on, the address that proxy
    appended to X-Forwarded-For (the last entry: earlier ones are whatever the client sent)."""
    req = flask.request
    state: AuthState | None = flask.current_app.extensions.get(EXTENSION)
    if state is not None and state.config.forwarded_for and req.remote_addr in state.config.trusted_proxies:
        hops = [h.strip() for h in req.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
        if hops:
            return hops[-1][:64]
    return req.remote_addr


def _authenticate(state: AuthState) -> tuple[Principal | None, str | None]:
    """The principal of this request and, when a new session was opened, its raw id for the cookie."""
    cfg = state.config
    if not cfg.enabled:
        return DEMO, None
    req = flask.request
    token = req.args.get("token")
    if token and req.method == "GET":
        token_id = state.store.token_id_of(token)
        if token_id is None:
            state.store.audit(None, "token.refused", None, {"path": req.path}, ip=_client_ip())
            return None, None
        raw = state.store.create_session(TOKEN_SESSION_SECONDS, token_id=token_id)
        state.store.audit(f"token:{token_id}", "login.ok", token_id, {"method": "token"}, ip=_client_ip())
        return state.store.session_principal(raw), raw
    if cfg.trusted_header and req.remote_addr in cfg.trusted_proxies:
        name = req.headers.get(cfg.trusted_header, "").strip()
        if name:
            user = state.store.get_user(name)
            if user is not None and not user.disabled:
                return user.principal("proxy"), None
            state.store.audit(name[:64], "login.failed", name[:64], {"method": "proxy"}, ip=_client_ip())
            return None, None
    raw = req.cookies.get(cfg.cookie_name)
    if raw:
        # Sliding expiry: a user session idles out after session_hours, a wall's after a week.
        return state.store.session_principal(raw, cfg.session_hours * 3600, TOKEN_SESSION_SECONDS), None
    return None, None


def _set_cookie(resp: flask.Response, state: AuthState, raw: str, seconds: float) -> None:
    resp.set_cookie(state.config.cookie_name, raw, max_age=int(seconds), httponly=True,
                    samesite="Lax", secure=state.config.secure_cookies, path="/")


# -- what -----------------------------------------------------------------------------------------
def _page_paths() -> dict[str, str]:
    """Page module's last name → page path, from Dash's page registry."""
    return {str(p["module"]).rsplit(".", 1)[-1]: str(p["path"]) for p in dash.page_registry.values()}


def _is_page_path(path: str) -> bool:
    return normalise_path(path) in {normalise_path(p) for p in _page_paths().values()}


def _check_callback(state: AuthState, body: Any) -> callback_rules.Verdict:
    """The pages a callback request acts for (``BadCallback`` when it is no registered callback).
    The index is rebuilt per request: a few dozen callbacks, microseconds, and never stale."""
    pages = _page_paths()
    return callback_rules.check(callback_rules.build_index(state.app.callback_map, pages), body, pages)


def _refuse(status: int, message: str, xhr: bool) -> flask.Response:
    if xhr:
        resp = flask.Response(json.dumps({"error": message}, ensure_ascii=False), status=status,
                              mimetype="application/json")
    else:
        resp = flask.Response(_page(message, f'{_logout_form()}<p><a href="/">首页 / home</a></p>'),
                              status=status, mimetype="text/html")
    return resp


def _same_origin() -> bool:
    """Whether a state-changing request comes from our own pages.

    Browsers send ``Origin: null`` on same-site form posts from pages served with
    ``Referrer-Policy: no-referrer`` (ours: the wall's token is in its URL), so a null Origin is
    judged by ``Sec-Fetch-Site``, which every current browser sends and no page script can set. A
    request with neither header is not from a browser (curl, tests): no cookie-riding attack there.
    """
    headers = flask.request.headers
    origin = headers.get("Origin")
    fetch_site = headers.get("Sec-Fetch-Site")
    if origin and origin != "null":
        return urlsplit(origin).netloc == flask.request.host
    if fetch_site is not None:
        return fetch_site == "same-origin"
    return origin is None


def _guard(state: AuthState) -> flask.Response | None:
    req = flask.request
    flask.g.setdefault(G_GUARDED, True)
    path = req.path
    xhr = path.startswith(XHR_PREFIXES)
    if req.method not in ("GET", "HEAD", "OPTIONS") and not _same_origin():
        return _refused(state, 403, "跨站请求被拒绝 / cross-site request refused")
    if path.startswith(PUBLIC_PREFIXES):
        # Dash serves these from package folders; a dot segment is never one of its files (and
        # made its resolver fail with a 500).
        if ".." in path.split("/") or "\\" in path or "\x00" in path:
            return _refuse(404, "not found", xhr=True)
        return None
    if path in PUBLIC_PATHS:
        return None
    principal, new_session = _authenticate(state)
    if principal is None:
        if xhr or path == ME:
            return _refuse(401, "未登录或会话已过期 / not signed in or session expired", xhr=True)
        target = req.full_path if req.query_string else path
        return flask.redirect(f"{LOGIN}?next={_quote_next(target)}")
    flask.g.setdefault(G_PRINCIPAL, principal)
    if new_session is not None:
        # The wall's token is exchanged for an HttpOnly session cookie and dropped from the URL at
        # once, so no script on the page (nor a screenshot, nor the history) can read it.
        flask.g.setdefault("vitals_new_session", new_session)
        return flask.redirect(_without_token(), code=303)
    if path == CALLBACK_PATH:
        if req.method != "POST":
            return _refused(state, 405, "method not allowed")
        if (req.content_length or 0) > MAX_CALLBACK_BODY:
            return _refused(state, 413, "请求过大 / request too large")
        try:
            verdict = _check_callback(state, req.get_json(silent=True))
        except callback_rules.BadCallback as exc:
            return _refused(state, exc.status, f"无效的回调请求 / invalid callback request: {exc}")
        for page in verdict.pages:
            if not may_open(principal.role, page):
                return _refused(state, 403, f"无权访问 {page} / not allowed: {page}")
    elif not xhr and path not in (LOGOUT, ME) and _is_page_path(path) and not may_open(principal.role, path):
        _audit_page_refusal(state, principal, path)
        if principal.role == "screen":
            return flask.redirect(principal.home)
        return _refuse(403, f"无权访问 {path} / not allowed: {path}", xhr=False)
    return None


def _audit_page_refusal(state: AuthState, principal: Principal, path: str) -> None:
    state.store.audit(principal.name, "refused", path[:200],
                      {"status": 403, "reason": "page not allowed for the role", "path": path[:200],
                       "method": flask.request.method}, ip=_client_ip())


def _without_token() -> str:
    """The request's own URL (path and query) without ``token``."""
    from urllib.parse import urlencode

    rest = [(k, v) for k, v in flask.request.args.items(multi=True) if k != "token"]
    return flask.request.path + ("?" + urlencode(rest) if rest else "")


def _headers(resp: flask.Response) -> flask.Response:
    new_session = flask.g.get("vitals_new_session")
    state: AuthState | None = flask.current_app.extensions.get(EXTENSION)
    if new_session and state is not None:
        _set_cookie(resp, state, new_session, TOKEN_SESSION_SECONDS)
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("X-Frame-Options", "DENY")
    csp = flask.current_app.config.get(CSP_CONFIG)
    if csp:
        resp.headers.setdefault("Content-Security-Policy", csp)
    resp.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    resp.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
    # The screen token travels in the URL: never leak it in a Referer.
    resp.headers.setdefault("Referrer-Policy", "no-referrer")
    if flask.request.path.startswith(("/_dash-update-component", "/_dash-layout", "/auth/")):
        resp.headers["Cache-Control"] = "no-store"
    return resp


# -- sign-in pages --------------------------------------------------------------------------------
def _quote_next(target: str) -> str:
    from urllib.parse import quote

    return quote(target, safe="")


def _safe_next(value: str | None, default: str) -> str:
    """Only a local path: an open redirect would let a phishing link land on a foreign site."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


def _page(message: str, body: str = "") -> str:
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>城运体征 · 登录</title>"
        '<style>body{font-family:"Noto Sans CJK SC",sans-serif;background:#0b1a2b;color:#e6eef7;'
        "display:flex;justify-content:center;align-items:center;min-height:100vh;margin:0}"
        "form,div.box{background:#13263d;padding:2rem 2.5rem;border-radius:8px;min-width:20rem}"
        "input{display:block;width:100%;margin:.4rem 0 1rem;padding:.5rem;font-size:1rem;box-sizing:border-box}"
        "button{padding:.5rem 1.5rem;font-size:1rem}.msg{color:#ffb4a2;min-height:1.2em}a{color:#9fd3ff}</style>"
        f'</head><body><div class="box"><h1>城运体征</h1><p class="msg" role="alert">{escape(message)}</p>'
        f"{body}</div></body></html>"
    )


def _login_form(message: str, next_path: str) -> str:
    return _page(
        message,
        f'<form method="post" action="{LOGIN}"><input type="hidden" name="next" value="{escape(next_path)}">'
        '<label>用户名 / user<input name="username" autocomplete="username" required autofocus></label>'
        '<label>密码 / password<input name="password" type="password" autocomplete="current-password" required>'
        '</label><button type="submit">登录 / sign in</button></form>',
    )


def _login(state: AuthState) -> flask.Response:
    req = flask.request
    if not state.config.enabled:
        return flask.redirect("/")
    next_path = _safe_next(req.values.get("next"), "")
    if req.method == "GET":
        message = "" if state.store.has_users() else NO_USERS
        return flask.Response(_login_form(message, next_path), mimetype="text/html")
    username = str(req.form.get("username", ""))[:64].strip()
    password = str(req.form.get("password", ""))[:1024]
    ip = _client_ip()
    cfg = state.config
    wait = state.store.retry_after(ip, cfg.ip_max_failures, cfg.ip_window_minutes * 60)
    if wait is not None:
        # Many failures from one address: password guessing across accounts, which the per-account
        # lockout alone does not stop. The password is not even checked.
        state.store.audit(username or None, "login.ratelimited", username or None, {"retry_after": int(wait)}, ip=ip)
        msg = "尝试次数过多，请稍后再试 / too many failed sign-ins from this address, try again later"
        resp = flask.Response(_login_form(msg, next_path), status=429, mimetype="text/html")
        resp.headers["Retry-After"] = str(int(wait) + 1)
        return resp
    result = state.store.verify_login(username, password, ip=ip)
    if result.principal is None:
        # One message for every failure: no hint whether the user exists.
        time.sleep(0.2)
        msg = "用户名或密码错误，或账号已被锁定 / wrong user name or password, or the account is locked"
        return flask.Response(_login_form(msg, next_path), status=401, mimetype="text/html")
    seconds = state.config.session_hours * 3600
    raw = state.store.create_session(seconds, username=result.principal.name)
    resp = flask.redirect(next_path or result.principal.home)
    _set_cookie(resp, state, raw, seconds)
    return resp


def _logout_form() -> str:
    """Sign-out is a POST (a cross-site GET, an <img src>, must not end a session); the guard's
    same-origin check refuses a POST from another site."""
    return (f'<form method="post" action="{LOGOUT}" style="padding:0;background:none">'
            '<button type="submit">退出 / sign out</button></form>')


def _logout(state: AuthState) -> flask.Response:
    if flask.request.method != "POST":
        return flask.Response(_page("确认退出？ / sign out?", _logout_form()), mimetype="text/html")
    raw = flask.request.cookies.get(state.config.cookie_name)
    principal = flask.g.get(G_PRINCIPAL)
    if raw:
        state.store.end_session(raw)
    if isinstance(principal, Principal):
        state.store.audit(principal.name, "logout", principal.name, ip=_client_ip())
    resp = flask.redirect(LOGIN)
    resp.delete_cookie(state.config.cookie_name, path="/", httponly=True, samesite="Lax",
                       secure=state.config.secure_cookies)
    return resp


def _me() -> flask.Response:
    p = flask.g.get(G_PRINCIPAL)
    if not isinstance(p, Principal):
        return flask.Response(json.dumps({"error": "not signed in"}), status=401, mimetype="application/json")
    body = {"name": p.name, "role": p.role, "scope": p.scope, "clearance": p.clearance, "method": p.method}
    return flask.Response(json.dumps(body, ensure_ascii=False), mimetype="application/json")
