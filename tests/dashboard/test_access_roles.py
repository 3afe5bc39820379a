# ruff: noqa: F811  (the fixtures of test_auth_app are imported, then named as test arguments)
"""Per-role navigation, the shared-callback page whitelist, and the bugs the live tests found:
browser sign-in with ``Origin: null``, sibling 街镇 in a scoped user's unit menus, a scoped wall's
map showing every town, and an out-of-scope export answered with a 500.

Runs the real app through Flask's request dispatch (the guard runs) on the fixtures of
``test_auth_app``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dash
import duckdb
import pytest

from dashboard import access
from dashboard.auth.model import ROLES, SHARED_PAGES, Principal
from dashboard.auth.store import UserStore
from dashboard.callbacks.pages_shared import checked_page
from dashboard.pages.rankings_ids import RankIds
from dashboard.pages.screen_ids import ScreenIds
from dashboard.shell import ShellIds
from tests.dashboard.test_auth_app import (  # noqa: F401
    PW,
    USER_OF_ROLE,
    Units,
    allowed,
    app,
    client_for,
    store_path,
    town,
    warehouse,
)


def _key(app: dash.Dash, fragment: str) -> str:
    app.server.test_client().get("/_dash-dependencies")  # Dash registers page callbacks on first use
    return next(k for k, cb in app.callback_map.items() if fragment in k and "callback" in cb)


def _outputs(key: str) -> list[dict[str, str]]:
    """The outputs spec of a multi-output callback with plain string ids, from its map key."""
    return [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
            for part in key.strip(".").split("...")]


def _shell_body(app: dash.Dash, path: str) -> dict[str, Any]:
    key = _key(app, f"{ShellIds.NAV_LINKS}.children")
    return {"output": key, "outputs": _outputs(key), "changedPropIds": [f"{ShellIds.URL}.pathname"],
            "inputs": [{"id": ShellIds.URL, "property": "pathname", "value": path},
                       {"id": ShellIds.URL, "property": "search", "value": ""}], "state": []}


def _nav_hrefs(response: dict[str, Any]) -> set[str]:
    links = response["response"][ShellIds.NAV_LINKS]["children"]
    return {link["props"]["href"] for link in links}


# -- navigation per role --------------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_menu_lists_exactly_the_pages_the_role_may_open(app: dash.Dash, role: str) -> None:
    c = client_for(app, USER_OF_ROLE[role])
    home = "/screen" if role == "screen" else "/"
    r = c.post("/_dash-update-component", json=_shell_body(app, home))
    assert r.status_code == 200
    nav = {str(p["path"]) for p in dash.page_registry.values() if p.get("nav_key")}
    expected = {p for p in nav if allowed(role, p)}
    assert _nav_hrefs(r.json) == expected
    # and every listed page opens, every other one is refused: the menu and the guard agree
    for path in nav:
        status = c.get(path).status_code
        assert (status == 200) == (path in expected), (role, path, status)
    if role == "admin":
        assert "/audit" in expected
    if role == "screen":
        assert expected == {"/screen"}


def test_may_open_follows_the_site_policy(warehouse: Path, tmp_path: Path) -> None:

    from dashboard.app import create_app
    from tests.clock import pinned_settings

    auth = {"store": str(tmp_path / "u.sqlite"), "secure_cookies": False,
            "pages": {"leader": ["/", "/rankings"]}}
    site = create_app(pinned_settings(warehouse, sections=({"auth": auth})))
    UserStore(tmp_path / "u.sqlite").add_user("boss", PW, "leader")
    c = client_for(site, "boss")
    assert _nav_hrefs(c.post("/_dash-update-component", json=_shell_body(site, "/")).json) == {"/", "/rankings"}
    assert c.get("/cases").status_code == 403
    with site.server.test_request_context("/"):
        assert access.may_open("leader", "/rankings") and not access.may_open("leader", "/cases")


# -- the shared callbacks' page whitelist ---------------------------------------------------------
def _rows_body(app: dash.Dash, page: str, search: str = "") -> dict[str, Any]:
    key = next(k for k, cb in app.callback_map.items()
               if "callback" in cb and any(i.get("property") == "getRowsRequest" for i in cb.get("inputs", [])))
    outputs = [[{"id": {"type": "cv-rows", "page": page, "table": "cases"}, "property": "getRowsResponse"}],
               {"id": {"type": "cv-rows-total", "page": page}, "property": "children"}]
    return {
        "output": key, "outputs": outputs, "changedPropIds": [],
        "inputs": [[{"id": {"type": "cv-rows", "page": page, "table": "cases"}, "property": "getRowsRequest",
                     "value": {"startRow": 0, "endRow": 100}}]],
        "state": [{"id": {"type": "cv-state", "page": page}, "property": "data", "value": search},
                  {"id": {"type": "cv-rows-label", "page": page}, "property": "data", "value": None}],
    }


@pytest.mark.parametrize(("user", "page"), [("wall", "screen"), ("ana", "screen"), ("root", "audit"),
                                            ("boss", "nowhere"), ("boss", "../cases")])
def test_shared_callbacks_refuse_pages_outside_the_whitelist(app: dash.Dash, user: str, page: str) -> None:
    c = client_for(app, user)
    _key(app, "cv-url")
    r = c.post("/_dash-update-component", json=_rows_body(app, page))
    assert r.status_code == 403, (user, page, r.status_code)
    assert "rowData" not in r.text and "no such page" in r.json["error"]


def test_shared_callbacks_serve_whitelisted_pages(app: dash.Dash) -> None:
    c = client_for(app, "boss")
    _key(app, "cv-url")
    r = c.post("/_dash-update-component", json=_rows_body(app, "cases"))
    assert r.status_code == 200
    assert json.dumps(r.json).count("rowData") == 1


def test_checked_page_takes_whitelist_and_role(app: dash.Dash) -> None:
    assert "screen" not in SHARED_PAGES and "audit" not in SHARED_PAGES
    for principal, page, ok in [(Principal("a", "analyst"), "cases", True),
                                (Principal("w", "screen"), "cases", False),
                                (Principal("r", "admin"), "audit", False),
                                (Principal("r", "admin"), "screen", False),
                                (Principal("a", "analyst"), None, False)]:
        with app.server.test_request_context("/"):
            import flask

            flask.g.setdefault(access.G_PRINCIPAL, principal)
            if ok:
                assert checked_page(page) == page
            else:
                with pytest.raises(access.AccessDenied):
                    checked_page(page)


# -- browser sign-in: Origin null -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("headers", "status"),
    [({"Origin": "null", "Sec-Fetch-Site": "same-origin"}, 302),  # Chromium's form post under no-referrer
     ({"Origin": "null", "Sec-Fetch-Site": "cross-site"}, 403),
     ({"Origin": "null"}, 403),
     ({"Sec-Fetch-Site": "same-site"}, 403),
     ({"Origin": "http://evil.example", "Sec-Fetch-Site": "same-origin"}, 403),
     ({"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}, 302),
     ({}, 302)],  # no browser headers at all: curl, not a cookie-riding page
)
def test_sign_in_csrf_check(app: dash.Dash, headers: dict[str, str], status: int) -> None:
    r = app.server.test_client().post("/auth/login", data={"username": "boss", "password": PW}, headers=headers)
    assert r.status_code == status, r.text[:200]


# -- scoped unit menus ----------------------------------------------------------------------------
def _router_body(app: dash.Dash, path: str, search: str = "") -> dict[str, Any]:
    key = _key(app, "_pages_content.children")
    return {"output": key, "changedPropIds": ["_pages_location.pathname"], "state": [],
            "outputs": [{"id": "_pages_content", "property": "children"},
                        {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                       {"id": "_pages_location", "property": "search", "value": search}]}


def _tree(warehouse: Path) -> dict[str, str | None]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {str(c): (str(p) if p is not None else None)
                for c, p in con.execute("SELECT unit_code, parent_code FROM org_unit").fetchall()}
    finally:
        con.close()


def _sibling_units(warehouse: Path, own: str) -> list[str]:
    """Units under the same parent as ``own``, from the warehouse."""
    parent = _tree(warehouse)
    return [c for c, p in parent.items() if p == parent[own] and c != own]


def _foreign_units(warehouse: Path, scope: str) -> set[str]:
    """Every unit neither in ``scope``'s subtree nor above it (walked here, independently of the app)."""
    parent = _tree(warehouse)

    def chain(code: str) -> list[str]:
        out = [code]
        while parent.get(out[-1]):
            out.append(str(parent[out[-1]]))
        return out

    above = set(chain(scope))
    below = {c for c in parent if scope in chain(c)}
    return set(parent) - above - below


def test_scoped_analyst_menus_list_no_foreign_units(app: dash.Dash, warehouse: Path, town: Units) -> None:
    parent = _tree(warehouse)[town[0]]
    search = f"?unit={parent}"  # the level above the analyst's scope: its menu lists the children
    foreign = _foreign_units(warehouse, town[0])
    assert town[1] in foreign
    boss = client_for(app, "boss").post("/_dash-update-component", json=_router_body(app, "/cases", search))
    assert town[1] in boss.text  # the full-scope leader's menu lists it: the check below can fail
    for path in ("/cases", "/rankings"):
        r = client_for(app, "ana").post("/_dash-update-component", json=_router_body(app, path, search))
        assert r.status_code == 200 and (town[0] in r.text or path != "/cases")
        leaked = sorted(code for code in foreign if code in r.text)
        assert not leaked, (path, leaked)


# -- a scoped wall's map --------------------------------------------------------------------------
def test_scoped_screen_token_map_shows_only_its_units(app: dash.Dash, store_path: Path,
                                                      warehouse: Path, town: Units) -> None:
    _, signed = UserStore(store_path).create_token("街镇屏", scope=town[0])
    c = app.server.test_client()
    assert c.get(f"/screen?token={signed}", follow_redirects=True).status_code == 200
    key = _key(app, f"{ScreenIds.MAP_UNITS}.data")
    body = {"output": key, "outputs": _outputs(key), "changedPropIds": [f"{ScreenIds.REFRESHED}.data"],
            "inputs": [{"id": ScreenIds.MAP_SCOPE, "property": "data", "value": None},
                       {"id": ScreenIds.REFRESHED, "property": "data", "value": 1}],
            "state": [{"id": ScreenIds.CONFIG, "property": "data", "value": None},
                      {"id": ScreenIds.MAP_FINGERPRINTS, "property": "data", "value": None}]}
    r = c.post("/_dash-update-component", json=body)
    assert r.status_code == 200
    feats = r.json["response"][ScreenIds.MAP_UNITS]["data"]["features"]
    codes = {f["properties"]["unit_code"] for f in feats}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        mine = {str(x[0]) for x in con.execute(
            "SELECT unit_code FROM org_unit WHERE parent_code = ? OR unit_code = ?", [town[0], town[0]]).fetchall()}
    finally:
        con.close()
    assert codes and codes <= mine
    for code in _sibling_units(warehouse, town[0]):
        assert code not in r.text
    # drilling to a sibling by a crafted scope: nothing of it
    body["inputs"][0]["value"] = town[1]
    r = c.post("/_dash-update-component", json=body)
    assert town[1] not in json.dumps(r.json.get("response", {}).get(ScreenIds.MAP_UNITS, {}))


# -- out-of-scope export --------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_rankings_export_for_another_unit_is_refused_not_a_500(app: dash.Dash, town: Units,
                                                               store_path: Path, kind: str) -> None:
    c = client_for(app, "ana")
    key = _key(app, f"{RankIds.DOWNLOAD}.data")
    trig = RankIds.XLSX if kind == "xlsx" else RankIds.CSV
    body = {"output": key, "outputs": {"id": RankIds.DOWNLOAD, "property": "data"},
            "changedPropIds": [f"{trig}.n_clicks"],
            "inputs": [{"id": RankIds.XLSX, "property": "n_clicks", "value": 1 if kind == "xlsx" else None},
                       {"id": RankIds.CSV, "property": "n_clicks", "value": 1 if kind == "csv" else None}],
            "state": [{"id": {"type": "cv-state", "page": "rankings"}, "property": "data",
                       "value": f"?unit={town[1]}"}]}
    r = c.post("/_dash-update-component", json=body)
    assert r.status_code == 403, r.status_code
    assert r.headers["Content-Type"].startswith("application/json")
    assert "outside your scope" in r.json["error"]
    assert not [e for e in UserStore(store_path).audit_entries(action="export")]  # nothing was exported
    # a malformed filter is bad input: 400 with the message
    body["state"][0]["value"] = "?period=fortnight"
    r = c.post("/_dash-update-component", json=body)
    assert r.status_code == 400 and r.json["error"]
    # and the own unit exports, audited
    body["state"][0]["value"] = f"?unit={town[0]}"
    r = c.post("/_dash-update-component", json=body)
    assert r.status_code == 200 and r.json["response"][RankIds.DOWNLOAD]["data"]["filename"].endswith(kind)
    assert UserStore(store_path).audit_entries(action="export")[0].actor == "ana"


# -- per-IP rate limit on sign-in -----------------------------------------------------------------
def test_sign_in_is_rate_limited_per_ip(app: dash.Dash, store_path: Path) -> None:
    store = UserStore(store_path)
    # 19 failures from one address in the window (any accounts), one older than the window
    for i in range(19):
        store.audit(f"guess{i}", "login.failed", f"guess{i}", ip="10.1.1.1")
    store.audit("old", "login.failed", "old", ip="10.1.1.2")
    c = app.server.test_client()
    me = {"REMOTE_ADDR": "10.1.1.1"}
    r = c.post("/auth/login", data={"username": "nobody", "password": "x" * 12}, environ_base=me)
    assert r.status_code == 401  # the 20th failure is still checked
    r = c.post("/auth/login", data={"username": "boss", "password": PW}, environ_base=me)
    assert r.status_code == 429  # the right password does not help: it is not even checked
    assert 850 <= int(r.headers["Retry-After"]) <= 901
    assert "too many failed sign-ins" in r.text
    assert "vitals_session" not in r.headers.get("Set-Cookie", "")
    entry = store.audit_entries(1)[0]
    assert (entry.action, entry.ip, entry.target) == ("login.ratelimited", "10.1.1.1", "boss")
    # another address signs in; and the limit counts only failures inside the window
    assert client_for(app, "boss").get("/auth/me").json["name"] == "boss"
    for _ in range(25):
        store.audit("x", "login.failed", "x", ip="10.1.1.3")
    with store.connect() as con:  # age them past the 15-minute window
        con.execute("UPDATE audit SET ts = ts - 901 WHERE ip = '10.1.1.3'")
    r = c.post("/auth/login", data={"username": "boss", "password": PW}, environ_base={"REMOTE_ADDR": "10.1.1.3"})
    assert r.status_code == 302


def test_behind_a_proxy_the_limit_counts_the_proxy_unless_forwarded_for(warehouse: Path, tmp_path: Path) -> None:

    from dashboard.app import create_app
    from tests.clock import pinned_settings

    def site(forwarded: bool, name: str) -> tuple[dash.Dash, UserStore]:
        auth = {"store": str(tmp_path / name), "secure_cookies": False, "trusted_proxies": ["10.9.9.9"],
                "forwarded_for": forwarded, "ip_max_failures": 2}
        a = create_app(pinned_settings(warehouse, sections=({"auth": auth})))
        s = UserStore(tmp_path / name)
        s.add_user("boss", PW, "leader")
        return a, s

    proxy = {"REMOTE_ADDR": "10.9.9.9"}
    for forwarded in (False, True):
        a, store = site(forwarded, f"u{forwarded}.sqlite")
        c = a.server.test_client()
        for client in ("198.51.100.1", "198.51.100.2"):
            c.post("/auth/login", data={"username": "boss", "password": "wrong wrong"}, environ_base=proxy,
                   headers={"X-Forwarded-For": f"203.0.113.9, {client}"})
        ips = {e.ip for e in store.audit_entries(action="login.failed")}
        assert ips == ({"198.51.100.1", "198.51.100.2"} if forwarded else {"10.9.9.9"})
        r = c.post("/auth/login", data={"username": "boss", "password": PW}, environ_base=proxy,
                   headers={"X-Forwarded-For": "198.51.100.3"})
        # off: two failures behind the proxy lock everyone behind it out; on: a third client signs in
        assert r.status_code == (302 if forwarded else 429)


# -- rankings levels of a scoped user -------------------------------------------------------------
def _props_of(response: dict[str, Any], component_id: Any) -> dict[str, Any]:
    """The props of the component with ``component_id`` in a rendered page layout."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("props", {}).get("id") == component_id:
                found.append(node["props"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(response["response"]["_pages_content"]["children"])
    assert len(found) == 1, (component_id, len(found))
    return found[0]


LEVEL_MENU = {"type": "cv-filter", "page": "rankings", "field": "level"}


def test_grid_scoped_analyst_ranks_only_levels_at_or_below_the_grid(app: dash.Dash, warehouse: Path,
                                                                   store_path: Path) -> None:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        grid = str(con.execute("SELECT min(unit_code) FROM org_unit WHERE level = 'grid'").fetchone()[0])
    finally:
        con.close()
    UserStore(store_path).add_user("gridana", PW, "analyst", grid)
    boss = client_for(app, "boss").post("/_dash-update-component", json=_router_body(app, "/rankings"))
    # the levels the district's hierarchy has below its root (not the 市 / 区 slots it leaves empty)
    assert [o["value"] for o in _props_of(boss.json, LEVEL_MENU)["options"]] == [
        "town", "grid", "village", "station", "department"]
    c = client_for(app, "gridana")
    r = c.post("/_dash-update-component", json=_router_body(app, "/rankings"))
    assert r.status_code == 200
    menu = _props_of(r.json, LEVEL_MENU)
    assert [o["value"] for o in menu["options"]] == ["grid", "village", "station", "department"]  # no 街镇
    assert menu["value"] == "grid"  # the default level is the scope's own
    assert [row["key"] for row in _props_of(r.json, RankIds.GRID)["rowData"]] == [grid]
    # asking for 街镇 by URL gets the page's message, not a one-row table under the 街镇's code
    r = c.post("/_dash-update-component", json=_router_body(app, "/rankings", "?level=town"))
    assert r.status_code == 200 and "is above your scope" in r.text
    assert RankIds.GRID not in r.text
    # the leader still ranks 街镇
    r = client_for(app, "boss").post("/_dash-update-component", json=_router_body(app, "/rankings", "?level=town"))
    assert RankIds.GRID in r.text and "is above your scope" not in r.text
