"""Access control through the real app and Flask's full request dispatch (the guard runs).

Every role against every page and every registered callback; cross-scope and hostile callback
payloads by raw HTTP POSTs; sign-in, lockout, cookies, screen tokens, proxy header, exports.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dash
import duckdb
import pytest
from flask.testing import FlaskClient

from dashboard.app import create_app
from dashboard.auth.model import ROLES
from dashboard.auth.store import UserStore
from tests.clock import pinned_settings
from tests.dashboard import auth_probe, callback_bodies
from tests.dashboard.minimal_warehouse import copy_warehouse, publish

PW = "correct horse battery"
SCRIPT = "<script>alert('x')</script><img src=x onerror=alert(1)>"
SQLI = "x' OR '1'='1'; DROP TABLE hotline_orders; --"
PAYLOADS = (SCRIPT, SQLI, "'; SELECT * FROM users; --", "../../etc/passwd", "%27%20OR%201=1", "\x00", "１" * 300)


class Units:
    """Two sibling units that both have hotline rows (街镇 where there are two, else grids) and the
    column naming them, so the tests hold on the tiny demo (one 街镇) and on the minimal fixture."""

    def __init__(self, col: str, own: str, other: str) -> None:
        self.col, self.own, self.other = col, own, other

    def __getitem__(self, i: int) -> str:
        return (self.own, self.other)[i]

    def __iter__(self) -> Iterator[str]:
        return iter((self.own, self.other))


def units(warehouse: Path) -> Units:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        for col in ("town_code", "grid_code", "village_code"):
            sql = f"SELECT DISTINCT {col} FROM hotline_orders WHERE {col} IS NOT NULL ORDER BY 1"
            rows = con.execute(sql).fetchall()
            if len(rows) >= 2:
                return Units(col, str(rows[0][0]), str(rows[1][0]))
    finally:
        con.close()
    raise AssertionError("the test warehouse has no two units with hotline rows")


def _poison(con: duckdb.DuckDBPyConnection) -> None:
    """Hostile and personal text in loaded hotline rows, as a real export could carry."""
    con.execute(
        "UPDATE hotline_orders SET content = ?, citizen_name = ?, address = ?"
        " WHERE order_id IN (SELECT order_id FROM hotline_orders ORDER BY order_id LIMIT 5)",
        [f"{SCRIPT} 市民王小明反映，电话13912345678，身份证310118199001011234", SQLI, "城中北路88弄3号1201室"],
    )


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, tiny_warehouse: Path) -> Path:
    root = tmp_path_factory.mktemp("auth-warehouse")
    copy_warehouse(tiny_warehouse, root)
    return publish(root, _poison)


@pytest.fixture(scope="module")
def town(warehouse: Path) -> Units:
    return units(warehouse)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "users.sqlite"


@pytest.fixture
def app(warehouse: Path, store_path: Path, town: Units) -> dash.Dash:
    auth = {"store": str(store_path), "secure_cookies": False, "max_failures": 3,
            "trusted_header": "X-Remote-User", "trusted_proxies": ["10.9.9.9"]}
    app = create_app(pinned_settings(warehouse, sections=({"auth": auth})))
    auth_probe.add_probe(app)
    store = UserStore(store_path)
    store.add_user("wall", PW, "screen")
    store.add_user("boss", PW, "leader")
    store.add_user("ana", PW, "analyst", town[0])
    store.add_user("cleared", PW, "analyst", town[0], clearance=True)
    store.add_user("root", PW, "admin")
    return app


USER_OF_ROLE = {"screen": "wall", "leader": "boss", "analyst": "ana", "admin": "root"}


def client_for(app: dash.Dash, user: str | None) -> FlaskClient:
    c = app.server.test_client()
    if user is not None:
        r = c.post("/auth/login", data={"username": user, "password": PW})
        assert r.status_code == 302, r.text
    return c


def pages() -> list[str]:
    return sorted(str(p["path"]) for p in dash.page_registry.values())


def allowed(role: str, path: str) -> bool:
    if role == "screen":
        return path == "/screen"
    if path == "/audit":
        return role == "admin"
    return True


# -- anonymous ------------------------------------------------------------------------------------
def test_anonymous_gets_nothing(app: dash.Dash) -> None:
    c = client_for(app, None)
    for path in [*pages(), "/_dash-layout", "/_dash-dependencies", "/auth/me"]:
        r = c.get(path)
        assert r.status_code in (302, 401), path
        if r.status_code == 302:
            assert r.headers["Location"].startswith("/auth/login")
    r = c.post("/_dash-update-component", json=auth_probe.body(None))
    assert r.status_code == 401
    assert "citizen" not in r.text
    assert c.get("/auth/login").status_code == 200


# -- every role × every page ----------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_every_role_against_every_page(app: dash.Dash, role: str) -> None:
    c = client_for(app, USER_OF_ROLE[role])
    assert set(pages()) >= {"/", "/screen", "/audit"}
    for path in pages():
        r = c.get(path)
        if allowed(role, path):
            assert r.status_code == 200, (role, path)
        elif role == "screen":
            assert r.status_code == 302 and r.headers["Location"] == "/screen", path
        else:
            assert r.status_code == 403, (role, path)
        # the page router callback: what renders a page's layout, asked for by raw POST
        r = c.post("/_dash-update-component", json=_router_body(app, path))
        assert r.status_code == (200 if allowed(role, path) else 403), (role, path, r.status_code)


def _router_body(app: dash.Dash, path: str) -> dict[str, Any]:
    c = app.server.test_client()
    c.get("/_dash-dependencies")  # Dash registers the page router on the first request
    key = next(k for k in app.callback_map if "_pages_content.children" in k)
    return {
        "output": key,
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                   {"id": "_pages_location", "property": "search", "value": ""}],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }


# -- every role × every callback ------------------------------------------------------------------
def _page_of_callback(app: dash.Dash, key: str) -> str | None:
    """The page a callback belongs to by the project's convention: dashboard/callbacks/<page>.py."""
    module = app.callback_map[key]["callback"].__module__
    if not module.startswith("dashboard.callbacks."):
        return None
    name = module.rsplit(".", 1)[-1]
    # Shared callbacks (pages_shared) belong to no page module: the ids' "page" key decides for them.
    return next((str(p["path"]) for p in dash.page_registry.values() if str(p["module"]).endswith("." + name)), None)


def _generic_body(app: dash.Dash, key: str) -> dict[str, Any]:
    return callback_bodies.body_for(app, key)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_against_every_callback(app: dash.Dash, role: str) -> None:
    c = client_for(app, USER_OF_ROLE[role])
    c.get("/_dash-dependencies")  # Dash moves global callbacks into the map on the first request
    # clientside callbacks run in the browser and have no server side to guard
    keys = [k for k, cb in app.callback_map.items() if "callback" in cb]
    page_callbacks = [k for k in keys if _page_of_callback(app, k) is not None]
    assert page_callbacks, "no page callbacks found: the mapping convention changed"
    for key in keys:
        shared = app.callback_map[key]["callback"].__module__.endswith(".pages_shared")
        page = "/cases" if shared else _page_of_callback(app, key)  # the bodies name page "cases"
        r = c.post("/_dash-update-component", json=_generic_body(app, key))
        if page is not None and not allowed(role, page):
            assert r.status_code == 403, (role, key)
        else:
            assert r.status_code not in (401, 403), (role, key, r.status_code)


# -- cross-scope by raw HTTP ----------------------------------------------------------------------
def test_town_analyst_gets_only_their_town(app: dash.Dash, town: Units) -> None:
    own, other = town
    c = client_for(app, "ana")
    mine = auth_probe.answer(c.post("/_dash-update-component", json=auth_probe.body(None)).json)
    assert mine["unit"] == own and mine["rows"]
    assert {r[town.col] for r in mine["rows"]} == {own}
    # asking for the other town: refused with a message, none of its rows
    r = c.post("/_dash-update-component", json=auth_probe.body(other))
    assert r.status_code == 200
    theirs = auth_probe.answer(r.json)
    assert "outside your scope" in theirs["error"] and "rows" not in theirs
    assert r.text.count(other) == 2  # its code appears only in the message (zh and en), nothing else of it
    # asking for the whole district: clamped to the own town
    district = mine["rows"][0]["district_code"]
    wide = auth_probe.answer(c.post("/_dash-update-component", json=auth_probe.body(district)).json)
    assert wide["unit"] == own and {r[town.col] for r in wide["rows"]} == {own}


def test_full_scope_leader_sees_both_towns(app: dash.Dash, town: Units) -> None:
    c = client_for(app, "boss")
    rows = auth_probe.answer(c.post("/_dash-update-component", json=auth_probe.body(None)).json)["rows"]
    assert set(town) <= {r[town.col] for r in rows}


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("field", ["unit", "category"])
def test_hostile_filter_values_return_nothing_and_break_nothing(app: dash.Dash, payload: str, field: str) -> None:
    c = client_for(app, "ana")
    args = (payload, None) if field == "unit" else (None, payload)
    r = c.post("/_dash-update-component", json=auth_probe.body(*args))
    assert r.status_code == 200
    out = auth_probe.answer(r.json)
    assert out.get("rows", []) == []  # an unknown unit is out of scope; an unknown category matches nothing
    # and the warehouse and the store are intact
    again = auth_probe.answer(c.post("/_dash-update-component", json=auth_probe.body(None)).json)
    assert again["rows"]
    boss = client_for(app, "boss")
    assert boss.get("/auth/me").json["name"] == "boss"


def test_loaded_hostile_text_is_returned_as_data_and_masked(app: dash.Dash) -> None:
    c = client_for(app, "boss")
    r = c.post("/_dash-update-component", json=auth_probe.body(None))
    rows = auth_probe.answer(r.json)["rows"]
    poisoned = [row for row in rows if row["content"] and "<script>" in row["content"]]
    assert poisoned, "the poisoned rows are missing"
    row = poisoned[0]
    # JSON string data: React renders it as text. Personal data inside it is masked for the leader.
    assert "13912345678" not in row["content"] and "139****5678" in row["content"]
    assert "19900101" not in row["content"] and "王小明" not in row["content"]
    assert row["citizen_name"] == SQLI[0] + "*" * (len(SQLI) - 1)
    assert row["address"] == "城中北路**"
    assert r.headers["Content-Type"].startswith("application/json")


def test_clearance_sees_personal_data_within_scope(app: dash.Dash, town: Units) -> None:
    c = client_for(app, "cleared")
    rows = auth_probe.answer(c.post("/_dash-update-component", json=auth_probe.body(None)).json)["rows"]
    assert {r[town.col] for r in rows} == {town[0]}
    assert any(r["citizen_phone"] and re.fullmatch(r"1\d{10}", r["citizen_phone"]) for r in rows)


def test_screen_sees_no_personal_data(app: dash.Dash) -> None:
    c = client_for(app, "wall")
    rows = auth_probe.answer(c.post("/_dash-update-component", json=auth_probe.body(None)).json)["rows"]
    assert rows and not any(r["citizen_phone"] and re.fullmatch(r"1\d{10}", r["citizen_phone"]) for r in rows)


# -- sign-in, cookies, lockout --------------------------------------------------------------------
def test_session_cookie_flags(warehouse: Path, tmp_path: Path) -> None:
    app = create_app(pinned_settings(warehouse,
                              sections=({"auth": {"store": str(tmp_path / "u.sqlite")}})))
    UserStore(tmp_path / "u.sqlite").add_user("boss", PW, "leader")
    r = app.server.test_client().post("/auth/login", data={"username": "boss", "password": PW, "next": "/rankings"})
    assert r.status_code == 302 and r.headers["Location"] == "/rankings"
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie and "Max-Age=43200" in cookie


def test_wrong_password_lockout_and_no_open_redirect(app: dash.Dash, store_path: Path) -> None:
    c = app.server.test_client()
    for _ in range(3):
        r = c.post("/auth/login", data={"username": "ana", "password": "wrong password!"})
        assert r.status_code == 401
    r = c.post("/auth/login", data={"username": "ana", "password": PW})
    assert r.status_code == 401  # locked
    r = c.post("/auth/login", data={"username": "boss", "password": PW, "next": "//evil.example/x"})
    assert r.status_code == 302 and r.headers["Location"] == "/"
    actions = [e.action for e in UserStore(store_path).audit_entries()]
    assert actions.count("login.failed") == 3 and "login.locked" in actions


def test_login_page_escapes_next(app: dash.Dash) -> None:
    r = app.server.test_client().get('/auth/login?next=/"><script>alert(1)</script>')
    assert "<script>alert(1)" not in r.text


def test_logout_ends_the_session(app: dash.Dash) -> None:
    c = client_for(app, "boss")
    assert c.get("/auth/me").status_code == 200
    c.get("/auth/logout")  # a GET (a cross-site <img src>) only asks; the session stays
    assert c.get("/auth/me").status_code == 200
    c.post("/auth/logout")
    assert c.get("/auth/me").status_code == 401


def test_disabling_a_user_ends_their_open_session(app: dash.Dash, store_path: Path) -> None:
    c = client_for(app, "ana")
    UserStore(store_path).set_disabled("ana", True)
    assert c.post("/_dash-update-component", json=auth_probe.body(None)).status_code == 401


def test_cross_site_posts_are_refused(app: dash.Dash) -> None:
    c = client_for(app, "boss")
    r = c.post("/_dash-update-component", json=auth_probe.body(None), headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    r = c.post("/_dash-update-component", json=auth_probe.body(None), headers={"Origin": "http://localhost"})
    assert r.status_code == 200


# -- screen tokens --------------------------------------------------------------------------------
def test_screen_token_runs_the_wall_and_revocation_stops_it(app: dash.Dash, store_path: Path,
                                                             town: Units) -> None:
    store = UserStore(store_path)
    token, signed = store.create_token("大厅主屏", scope=town[1])
    c = app.server.test_client()
    r = c.get(f"/screen?token={signed}&view=hotline")
    # exchanged for an HttpOnly cookie and gone from the URL: no script on the wall can read it
    assert r.status_code == 303 and r.headers["Location"] == "/screen?view=hotline"
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and signed not in cookie
    r = c.get(r.headers["Location"])
    assert r.status_code == 200  # no sign-in prompt
    assert r.headers["Referrer-Policy"] == "no-referrer"
    me = c.get("/auth/me").json
    assert (me["role"], me["scope"], me["clearance"]) == ("screen", town[1], False)
    out = auth_probe.answer(c.post("/_dash-update-component", json=auth_probe.body(None)).json)
    assert {r[town.col] for r in out["rows"]} == {town[1]}
    assert c.get("/rankings").headers["Location"] == "/screen"  # the wall may open nothing else
    store.revoke_token(token.token_id)
    assert c.post("/_dash-update-component", json=auth_probe.body(None)).status_code == 401
    r = c.get(f"/screen?token={signed}")
    assert r.status_code == 302 and r.headers["Location"].startswith("/auth/login")
    assert c.get("/screen?token=forged.token").status_code == 302


# -- proxy header ---------------------------------------------------------------------------------
def test_proxy_header_is_trusted_only_from_the_proxy(app: dash.Dash) -> None:
    c = app.server.test_client()
    r = c.get("/auth/me", headers={"X-Remote-User": "root"})
    assert r.status_code == 401  # from 127.0.0.1, not the configured proxy
    r = c.get("/auth/me", headers={"X-Remote-User": "root"}, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert r.status_code == 200 and r.json["name"] == "root" and r.json["method"] == "proxy"
    r = c.get("/auth/me", headers={"X-Remote-User": "nobody"}, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert r.status_code == 401


def test_proxy_header_is_off_by_default(warehouse: Path, tmp_path: Path) -> None:
    app = create_app(pinned_settings(warehouse,
                              sections=({"auth": {"store": str(tmp_path / "u.sqlite")}})))
    UserStore(tmp_path / "u.sqlite").add_user("root", PW, "admin")
    for header in ("X-Remote-User", "Remote-User", "X-Forwarded-User"):
        r = app.server.test_client().get("/auth/me", headers={header: "root"})
        assert r.status_code == 401


# -- audit page -----------------------------------------------------------------------------------
def test_admin_audit_page_lists_events_as_text(app: dash.Dash, store_path: Path) -> None:
    from dashboard.pages import audit

    c = app.server.test_client()
    c.post("/auth/login", data={"username": "<b>x</b>", "password": "nope nope nope"})
    admin = client_for(app, "root")
    r = admin.post("/_dash-update-component", json=_router_body(app, "/audit"))
    assert r.status_code == 200
    assert "login.failed" in r.text and "<b>x</b>" in r.json["response"]["_pages_content"]["children"].__repr__()
    assert audit.ACTIONS  # the filter list exists
    # the event reads in the admin's language, its code stays in the tooltip and the filter URL
    content = repr(r.json["response"]["_pages_content"]["children"])
    assert "登录失败" in content and "'title': 'login.failed'" in content and "action=login.failed" in content
    logged = set(re.findall(r'audit\([^,]+, "([a-z.]+)"', "".join(
        p.read_text(encoding="utf-8") for p in Path(audit.__file__).parents[1].rglob("*.py"))))
    assert logged and logged <= set(audit.ACTIONS), logged - set(audit.ACTIONS)  # every logged event is labelled


@pytest.fixture
def no_users_app(warehouse: Path, tmp_path: Path) -> Iterator[dash.Dash]:
    yield create_app(pinned_settings(warehouse,
                              sections=({"auth": {"store": str(tmp_path / "empty.sqlite")}})))


def test_no_users_fails_closed_and_says_what_to_do(no_users_app: dash.Dash) -> None:
    c = no_users_app.server.test_client()
    assert c.get("/").status_code == 302
    assert "vitals users add" in c.get("/auth/login").text


@pytest.mark.parametrize("role", ROLES)
def test_shared_page_callbacks_are_guarded_by_the_page_in_their_ids(app: dash.Dash, role: str) -> None:
    """The pages' shared pattern-matching callbacks serve every page: the ``page`` key of the ids
    decides, so a screen token cannot page through the case table by a crafted POST."""
    c = client_for(app, USER_OF_ROLE[role])
    c.get("/_dash-dependencies")
    key = next(k for k, cb in app.callback_map.items()
               if "callback" in cb and any(i.get("property") == "getRowsRequest" for i in cb.get("inputs", [])))
    body = {
        "output": key, "outputs": callback_bodies.body_for(app, key, "cases")["outputs"], "changedPropIds": [],
        "inputs": [[{"id": {"type": "cv-rows", "page": "cases", "table": "cases"}, "property": "getRowsRequest",
                     "value": {"startRow": 0, "endRow": 100}}]],
        "state": [{"id": {"type": "cv-state", "page": "cases"}, "property": "data", "value": ""},
                  {"id": {"type": "cv-rows-label", "page": "cases"}, "property": "data", "value": None}],
    }
    r = c.post("/_dash-update-component", json=body)
    if allowed(role, "/cases"):
        assert r.status_code not in (401, 403), (role, r.status_code)
    else:
        assert r.status_code == 403, role
