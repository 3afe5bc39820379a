from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from dashboard.auth.store import StoreError, UserStore

PW = "correct horse battery"


class Clock:
    def __init__(self) -> None:
        self.t = 1_800_000_000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> UserStore:
    s = UserStore(tmp_path / "users.sqlite", max_failures=3, lockout_seconds=600, now=clock)
    s.add_user("alice", PW, "analyst", "T1")
    return s


def test_passwords_are_stored_as_argon2_hashes(store: UserStore) -> None:
    with sqlite3.connect(store.path) as con:
        (stored,) = con.execute("SELECT password_hash FROM users WHERE username = 'alice'").fetchone()
    assert stored.startswith("$argon2id$")
    assert PW not in stored


def test_sign_in_and_principal(store: UserStore) -> None:
    result = store.verify_login("alice", PW)
    assert result.ok and result.principal is not None
    assert (result.principal.role, result.principal.scope, result.principal.clearance) == ("analyst", "T1", False)
    assert not store.verify_login("alice", "wrong password!").ok
    assert store.verify_login("nobody", PW).reason == "bad_credentials"


def test_lockout_after_repeated_failures_then_expiry(store: UserStore, clock: Clock) -> None:
    for _ in range(3):
        assert not store.verify_login("alice", "wrong password!").ok
    # locked: even the right password is refused
    assert store.verify_login("alice", PW).reason == "locked"
    clock.t += 601
    assert store.verify_login("alice", PW).ok
    actions = [e.action for e in store.audit_entries()]
    assert actions.count("login.failed") == 3 and "login.locked" in actions and "login.ok" in actions


def test_weak_or_duplicate_or_bad_users_are_refused(store: UserStore) -> None:
    with pytest.raises(StoreError, match="at least"):
        store.add_user("bob", "short", "leader")
    with pytest.raises(StoreError, match="exists"):
        store.add_user("alice", PW, "leader")
    with pytest.raises(StoreError, match="role"):
        store.add_user("carol", PW, "superuser")
    with pytest.raises(StoreError, match="user name"):
        store.add_user("x'; DROP TABLE users; --", PW, "leader")
    with pytest.raises(StoreError, match="screen"):
        store.add_user("wall", PW, "screen", clearance=True)
    assert [u.username for u in store.list_users()] == ["alice"]


def test_injection_in_login_is_just_a_wrong_name(store: UserStore) -> None:
    assert not store.verify_login("alice' OR '1'='1", PW).ok
    assert not store.verify_login("alice'--", "x").ok
    assert store.get_user("alice") is not None


def test_sessions_expire_slide_and_end(store: UserStore, clock: Clock) -> None:
    raw = store.create_session(3600, username="alice")
    assert store.session_principal(raw) is not None
    clock.t += 3000
    assert store.session_principal(raw, extend_seconds=3600) is not None  # slides
    clock.t += 3000
    assert store.session_principal(raw) is not None
    clock.t += 3601
    assert store.session_principal(raw) is None
    raw = store.create_session(3600, username="alice")
    store.end_session(raw)
    assert store.session_principal(raw) is None
    assert store.session_principal("forged") is None


def test_session_ids_are_stored_hashed(store: UserStore) -> None:
    raw = store.create_session(3600, username="alice")
    with sqlite3.connect(store.path) as con:
        ids = [r[0] for r in con.execute("SELECT id_hash FROM sessions")]
    assert raw not in ids


def test_disable_and_passwd_end_sessions(store: UserStore) -> None:
    raw = store.create_session(3600, username="alice")
    store.set_password("alice", "another good password")
    assert store.session_principal(raw) is None
    raw = store.create_session(3600, username="alice")
    store.set_disabled("alice", True)
    assert store.session_principal(raw) is None
    assert store.verify_login("alice", "another good password").reason == "disabled"
    store.set_disabled("alice", False)
    assert store.verify_login("alice", "another good password").ok


def test_screen_token_round_trip_and_revocation(store: UserStore, clock: Clock) -> None:
    token, signed = store.create_token("大厅主屏", scope="T1")
    assert store.token_id_of(signed) == token.token_id
    raw = store.create_session(7 * 86400, token_id=token.token_id)
    p = store.session_principal(raw)
    assert p is not None and (p.role, p.scope, p.clearance, p.method) == ("screen", "T1", False, "token")
    # a tampered signature or payload is refused
    assert store.token_id_of(signed[:-2] + ("AA" if not signed.endswith("AA") else "BB")) is None
    assert store.token_id_of("eyJ0IjoiYWJjIn0.forged") is None
    store.revoke_token(token.token_id)
    assert store.token_id_of(signed) is None
    assert store.session_principal(raw) is None  # the wall's open session dies with the token
    with pytest.raises(StoreError):
        store.revoke_token("no-such-token")


def test_token_expiry(store: UserStore, clock: Clock) -> None:
    _, signed = store.create_token("临时屏", days=1)
    assert store.token_id_of(signed) is not None
    clock.t += 86401
    assert store.token_id_of(signed) is None


def test_token_from_another_store_is_refused(store: UserStore, tmp_path: Path) -> None:
    other = UserStore(tmp_path / "other.sqlite")
    _, signed = other.create_token("elsewhere")
    assert store.token_id_of(signed) is None


def test_user_changes_are_audited(store: UserStore) -> None:
    store.set_role("alice", "leader", None, False, actor="cli:root")
    entry = store.audit_entries(1)[0]
    assert (entry.actor, entry.action, entry.target) == ("cli:root", "user.change", "alice")
    assert entry.detail["role"] == "leader"


def test_production_hashing_stays_strong_and_only_the_tests_switch_is_cheap(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite hashes cheaply (``VITALS_INSECURE_TEST_HASHING=1``, set by tests/conftest.py); without it
    (production never sets it) passwords get argon2id at RFC 9106's parameters, and any other value
    of the switch changes nothing."""
    from argon2.profiles import RFC_9106_LOW_MEMORY

    from dashboard.auth import passwords

    assert os.environ.get(passwords.CHEAP_TEST_HASHING_ENV) == "1"
    cheap = passwords.hash_password(PW)
    assert "$m=8,t=1,p=1$" in cheap and passwords.verify(cheap, PW)
    strong_params = (f"$m={RFC_9106_LOW_MEMORY.memory_cost},t={RFC_9106_LOW_MEMORY.time_cost},"
                     f"p={RFC_9106_LOW_MEMORY.parallelism}$")
    for value in (None, "0", "yes", "true"):
        if value is None:
            monkeypatch.delenv(passwords.CHEAP_TEST_HASHING_ENV)
        else:
            monkeypatch.setenv(passwords.CHEAP_TEST_HASHING_ENV, value)
        strong = passwords.hash_password(PW)
        assert strong.startswith("$argon2id$v=19" + strong_params), (value, strong)
        assert passwords.verify(strong, PW) and passwords.verify(cheap, PW)  # either verifies either way
        assert passwords.needs_rehash(cheap)  # a cheap hash met in production is upgraded at sign-in
