"""The sign-in rate limit over the wire: a real server (waitress, a port), plain HTTP requests.

After ``ip_max_failures`` failed sign-ins from one address, every further attempt — even with the
right password — gets 429 with a ``Retry-After`` that counts down the window, and is audited as
``login.ratelimited``; another account from the same address is limited too (password guessing
across accounts)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from dashboard.auth.store import UserStore
from tests.browser.conftest import LiveServer, start_server, stop_server
from tests.dashboard.minimal_warehouse import copy_warehouse

pytestmark = pytest.mark.browser
PW = "correct horse battery"


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory, tiny_warehouse: Path) -> Iterator[tuple[LiveServer, Path]]:
    root = tmp_path_factory.mktemp("rate-limit")
    copy_warehouse(tiny_warehouse, root)
    store_path = root / "users.sqlite"
    store = UserStore(store_path)
    store.add_user("ana", PW, "analyst")
    store.add_user("bob", PW, "analyst")
    auth = (f'[auth]\nstore = "{store_path}"\nsecure_cookies = false\nmax_failures = 50\n'
            "ip_max_failures = 3\nip_window_minutes = 15\n")
    server = start_server(root / "vitals.duckdb", root / "server.log", auth_toml=auth)
    yield server, store_path
    stop_server(server)


def test_rate_limit_over_http(limited: tuple[LiveServer, Path]) -> None:
    server, store_path = limited
    url = server.url + "/auth/login"

    def attempt(user: str, password: str) -> requests.Response:
        return requests.post(url, data={"username": user, "password": password}, allow_redirects=False,
                             timeout=30)

    assert [attempt("ana", f"wrong-{i}-password").status_code for i in range(3)] == [401, 401, 401]
    r = attempt("ana", PW)  # the right password, but this address is over the limit
    assert r.status_code == 429
    retry = int(r.headers["Retry-After"])
    assert 0 < retry <= 15 * 60 + 1
    assert attempt("bob", PW).status_code == 429  # the limit is per address, not per account
    entries = UserStore(store_path).audit_entries(action="login.ratelimited")
    assert [e.actor for e in entries[:2]] == ["bob", "ana"]
    assert "vitals_session" not in r.headers.get("Set-Cookie", "")
