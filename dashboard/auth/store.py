"""The user store: users, sessions, screen tokens and the audit log in one SQLite file.

It lives next to the warehouse (``data/users.sqlite``), never inside it: the ETL replaces the
DuckDB warehouse by snapshots, which would lose or roll back accounts and audit entries.

Several gunicorn workers share the file: every operation opens its own connection (no module or
process state), WAL mode lets readers run beside a writer, and a busy timeout waits out short write
locks. Writes that read-then-update (lockout counters) run in ``BEGIN IMMEDIATE`` transactions.
Every statement binds its parameters.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from itsdangerous import BadSignature, URLSafeSerializer

from dashboard.auth import passwords
from dashboard.auth.model import ROLES, Principal, Role

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    scope TEXT,
    clearance INTEGER NOT NULL DEFAULT 0,
    password_hash TEXT,
    disabled INTEGER NOT NULL DEFAULT 0,
    failed_count INTEGER NOT NULL DEFAULT 0,
    locked_until REAL,
    created_at REAL NOT NULL,
    password_changed_at REAL
);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY,
    username TEXT,
    token_id TEXT,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    token_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    scope TEXT,
    created_at REAL NOT NULL,
    created_by TEXT,
    expires_at REAL,
    revoked_at REAL
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    actor TEXT,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT,
    ip TEXT
);
CREATE INDEX IF NOT EXISTS audit_ts ON audit (ts);
"""

USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
TOKEN_SALT = "vitals-screen-token"


class StoreError(ValueError):
    """A refused user-store operation; the message is fit to show an operator."""


@dataclass(frozen=True)
class User:
    username: str
    role: Role
    scope: str | None
    clearance: bool
    disabled: bool
    failed_count: int
    locked_until: float | None
    created_at: float

    def principal(self, method: str = "password", session_id: str | None = None) -> Principal:
        return Principal(self.username, self.role, self.scope, self.clearance, method, session_id)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ScreenToken:
    token_id: str
    name: str
    scope: str | None
    created_at: float
    created_by: str | None
    expires_at: float | None
    revoked_at: float | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class AuditEntry:
    id: int
    ts: float
    actor: str | None
    action: str
    target: str | None
    detail: Mapping[str, Any]
    ip: str | None


@dataclass(frozen=True)
class LoginResult:
    principal: Principal | None
    reason: str  # ok | bad_credentials | locked | disabled

    @property
    def ok(self) -> bool:
        return self.principal is not None


def _hash_id(raw: str) -> str:
    # Session ids are stored hashed: a copy of the file does not hand out live sessions.
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class UserStore:
    path: Path
    max_failures: int = 5
    lockout_seconds: float = 15 * 60
    now: Callable[[], float] = field(default=time.time, compare=False)

    # -- plumbing ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def connect(self, immediate: bool = False) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            con.row_factory = sqlite3.Row
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA busy_timeout=10000")
            con.executescript(SCHEMA)
            con.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()
        with contextlib.suppress(OSError):
            self.path.chmod(0o600)  # accounts and audit: readable by the service user only

    def _secret(self) -> str:
        with self.connect(immediate=True) as con:
            row = con.execute("SELECT value FROM meta WHERE key = 'token_secret'").fetchone()
            if row is not None:
                return str(row["value"])
            secret = secrets.token_urlsafe(48)
            con.execute("INSERT INTO meta (key, value) VALUES ('token_secret', ?)", (secret,))
            return secret

    # -- audit ------------------------------------------------------------------------------------
    def audit(self, actor: str | None, action: str, target: str | None = None,
              detail: Mapping[str, Any] | None = None, ip: str | None = None,
              con: sqlite3.Connection | None = None) -> None:
        args = (self.now(), actor, action, target, json.dumps(dict(detail or {}), ensure_ascii=False, default=str), ip)
        sql = "INSERT INTO audit (ts, actor, action, target, detail, ip) VALUES (?, ?, ?, ?, ?, ?)"
        if con is not None:
            con.execute(sql, args)
            return
        with self.connect() as c:
            c.execute(sql, args)

    # the audit page's filters: event, actor, and a time range [since, until) in epoch seconds
    _AUDIT_WHERE = ("(:action IS NULL OR action = :action) AND (:actor IS NULL OR actor = :actor)"
                    " AND (:since IS NULL OR ts >= :since) AND (:until IS NULL OR ts < :until)")

    def audit_entries(self, limit: int = 500, action: str | None = None, actor: str | None = None, *,
                      since: float | None = None, until: float | None = None, offset: int = 0) -> list[AuditEntry]:
        """Newest first; ``offset`` skips that many (a page of the audit page)."""
        sql = f"SELECT * FROM audit WHERE {self._AUDIT_WHERE} ORDER BY id DESC LIMIT :limit OFFSET :offset"
        args = {"action": action, "actor": actor, "since": since, "until": until, "limit": int(limit),
                "offset": max(int(offset), 0)}
        with self.connect() as con:
            rows = con.execute(sql, args).fetchall()
        return [
            AuditEntry(r["id"], r["ts"], r["actor"], r["action"], r["target"], json.loads(r["detail"] or "{}"), r["ip"])
            for r in rows
        ]

    def audit_count(self, action: str | None = None, actor: str | None = None, *, since: float | None = None,
                    until: float | None = None) -> int:
        """How many entries the same filters as :meth:`audit_entries` match (the audit page's page count)."""
        with self.connect() as con:
            row = con.execute(f"SELECT count(*) FROM audit WHERE {self._AUDIT_WHERE}",
                              {"action": action, "actor": actor, "since": since, "until": until}).fetchone()
        return int(row[0]) if row else 0

    def audit_actors(self) -> list[str]:
        """Every actor the log names, for the audit page's user filter."""
        with self.connect() as con:
            return [str(r[0]) for r in con.execute(
                "SELECT DISTINCT actor FROM audit WHERE actor IS NOT NULL ORDER BY actor LIMIT 500").fetchall()]

    def retry_after(self, ip: str | None, max_failures: int, window_seconds: float) -> float | None:
        """Seconds until ``ip`` may try to sign in again, or None when it is under the limit.

        Counted from the audit log (failed, locked-out and disabled-account attempts), so every
        worker sees the same count and a restart does not reset it."""
        if ip is None:
            return None
        now = self.now()
        with self.connect() as con:
            row = con.execute(
                "SELECT ts FROM audit WHERE ip = ? AND ts > ? AND action IN"
                " ('login.failed', 'login.locked', 'login.disabled') ORDER BY ts DESC LIMIT 1 OFFSET ?",
                (ip, now - window_seconds, max_failures - 1),
            ).fetchone()
        return None if row is None else max(1.0, row["ts"] + window_seconds - now)

    # -- users ------------------------------------------------------------------------------------
    @staticmethod
    def _user(row: sqlite3.Row) -> User:
        return User(row["username"], cast(Role, row["role"]), row["scope"], bool(row["clearance"]),
                    bool(row["disabled"]), row["failed_count"], row["locked_until"], row["created_at"])

    def has_users(self) -> bool:
        with self.connect() as con:
            return con.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None

    def get_user(self, username: str) -> User | None:
        with self.connect() as con:
            row = con.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
        return None if row is None else self._user(row)

    def list_users(self) -> list[User]:
        with self.connect() as con:
            return [self._user(r) for r in con.execute("SELECT * FROM users ORDER BY username")]

    def add_user(self, username: str, password: str, role: str, scope: str | None = None,
                 clearance: bool = False, actor: str = "cli") -> User:
        if not USERNAME.match(username):
            raise StoreError("a user name is 2–64 letters, digits or . _ @ -")
        if role not in ROLES:
            raise StoreError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
        if role == "screen" and clearance:
            raise StoreError("the screen role never sees personal data: no clearance for it")
        try:
            hashed = passwords.hash_password(password)
        except passwords.WeakPassword as exc:
            raise StoreError(str(exc)) from exc
        now = self.now()
        with self.connect(immediate=True) as con:
            if con.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
                raise StoreError(f"user {username!r} exists already")
            con.execute(
                "INSERT INTO users (username, role, scope, clearance, password_hash, created_at, password_changed_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (username, role, scope or None, int(clearance), hashed, now, now),
            )
            self.audit(actor, "user.add", username, {"role": role, "scope": scope, "clearance": clearance}, con=con)
        user = self.get_user(username)
        assert user is not None
        return user

    def _require(self, con: sqlite3.Connection, username: str) -> None:
        if con.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone() is None:
            raise StoreError(f"no user {username!r}")

    def set_disabled(self, username: str, disabled: bool, actor: str = "cli") -> None:
        with self.connect(immediate=True) as con:
            self._require(con, username)
            con.execute("UPDATE users SET disabled = ?, failed_count = 0, locked_until = NULL WHERE username = ?",
                        (int(disabled), username))
            if disabled:
                con.execute("DELETE FROM sessions WHERE username = ?", (username,))
            self.audit(actor, "user.disable" if disabled else "user.enable", username, con=con)

    def set_password(self, username: str, password: str, actor: str = "cli") -> None:
        try:
            hashed = passwords.hash_password(password)
        except passwords.WeakPassword as exc:
            raise StoreError(str(exc)) from exc
        with self.connect(immediate=True) as con:
            self._require(con, username)
            con.execute(
                "UPDATE users SET password_hash = ?, password_changed_at = ?, failed_count = 0, locked_until = NULL"
                " WHERE username = ?",
                (hashed, self.now(), username),
            )
            # A new password ends every session of the old one (a stolen session dies with it).
            con.execute("DELETE FROM sessions WHERE username = ?", (username,))
            self.audit(actor, "user.passwd", username, con=con)

    def set_role(self, username: str, role: str, scope: str | None, clearance: bool, actor: str = "cli") -> None:
        if role not in ROLES:
            raise StoreError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
        if role == "screen" and clearance:
            raise StoreError("the screen role never sees personal data: no clearance for it")
        with self.connect(immediate=True) as con:
            self._require(con, username)
            con.execute("UPDATE users SET role = ?, scope = ?, clearance = ? WHERE username = ?",
                        (role, scope or None, int(clearance), username))
            con.execute("DELETE FROM sessions WHERE username = ?", (username,))
            self.audit(actor, "user.change", username, {"role": role, "scope": scope, "clearance": clearance}, con=con)

    def verify_login(self, username: str, password: str, ip: str | None = None) -> LoginResult:
        """Check a password, counting failures and locking the account after ``max_failures``."""
        with self.connect() as con:
            row = con.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
        now = self.now()
        if row is not None and row["locked_until"] is not None and row["locked_until"] > now:
            passwords.verify(None, password)  # same cost as a real attempt: no timing oracle
            self.audit(username, "login.locked", username, ip=ip)
            return LoginResult(None, "locked")
        ok = passwords.verify(row["password_hash"] if row is not None else None, password)
        if row is None:
            self.audit(username[:64], "login.failed", username[:64], {"reason": "unknown user"}, ip=ip)
            return LoginResult(None, "bad_credentials")
        if not ok:
            with self.connect(immediate=True) as con:
                count = con.execute("SELECT failed_count FROM users WHERE username = ?", (username,)).fetchone()[0] + 1
                locked = now + self.lockout_seconds if count >= self.max_failures else None
                con.execute("UPDATE users SET failed_count = ?, locked_until = ? WHERE username = ?",
                            (0 if locked else count, locked, username))
                self.audit(username, "login.failed", username, {"failures": count, "locked": locked is not None},
                           ip=ip, con=con)
            return LoginResult(None, "bad_credentials")
        if row["disabled"]:
            self.audit(username, "login.disabled", username, ip=ip)
            return LoginResult(None, "disabled")
        with self.connect(immediate=True) as con:
            con.execute("UPDATE users SET failed_count = 0, locked_until = NULL WHERE username = ?", (username,))
            if passwords.needs_rehash(row["password_hash"]):
                con.execute("UPDATE users SET password_hash = ? WHERE username = ?",
                            (passwords.hash_password(password), username))
            self.audit(username, "login.ok", username, {"method": "password"}, ip=ip, con=con)
        return LoginResult(self._user(row).principal("password"), "ok")

    # -- sessions ---------------------------------------------------------------------------------
    def create_session(self, seconds: float, username: str | None = None, token_id: str | None = None) -> str:
        """A new session for a user or a screen token; returns the raw id for the cookie."""
        if (username is None) == (token_id is None):
            raise StoreError("a session belongs to exactly one user or one screen token")
        raw = secrets.token_urlsafe(32)
        now = self.now()
        with self.connect() as con:
            con.execute("DELETE FROM sessions WHERE expires_at < ?", (now,))
            con.execute("INSERT INTO sessions (id_hash, username, token_id, created_at, expires_at) VALUES (?,?,?,?,?)",
                        (_hash_id(raw), username, token_id, now, now + seconds))
        return raw

    def session_principal(self, raw: str, extend_seconds: float | None = None,
                          token_extend_seconds: float | None = None) -> Principal | None:
        """Who the session is for, or None when it expired, was ended, or its user or token was
        disabled/revoked since (checked on every request, so revocation takes effect at once)."""
        if not raw or len(raw) > 200:
            return None
        now = self.now()
        with self.connect() as con:
            s = con.execute("SELECT * FROM sessions WHERE id_hash = ?", (_hash_id(raw),)).fetchone()
            if s is None or s["expires_at"] < now:
                return None
            principal: Principal | None = None
            if s["username"] is not None:
                u = con.execute("SELECT * FROM users WHERE username = ?", (s["username"],)).fetchone()
                if u is not None and not u["disabled"]:
                    principal = self._user(u).principal("password", raw)
            else:
                t = con.execute("SELECT * FROM tokens WHERE token_id = ?", (s["token_id"],)).fetchone()
                if t is not None and self._token_live(t, now):
                    principal = Principal(f"token:{t['name']}", "screen", t["scope"], False, "token", raw)
            if principal is None:
                con.execute("DELETE FROM sessions WHERE id_hash = ?", (_hash_id(raw),))
                return None
            # Sliding expiry, written at most once a minute per session to spare the file.
            if principal.method == "token":
                extend_seconds = token_extend_seconds
            if extend_seconds and now + extend_seconds - s["expires_at"] > 60:
                con.execute("UPDATE sessions SET expires_at = ? WHERE id_hash = ?",
                            (now + extend_seconds, _hash_id(raw)))
            return principal

    def end_session(self, raw: str) -> None:
        with self.connect() as con:
            con.execute("DELETE FROM sessions WHERE id_hash = ?", (_hash_id(raw),))

    # -- screen tokens ----------------------------------------------------------------------------
    @staticmethod
    def _token(row: sqlite3.Row) -> ScreenToken:
        return ScreenToken(row["token_id"], row["name"], row["scope"], row["created_at"], row["created_by"],
                           row["expires_at"], row["revoked_at"])

    @staticmethod
    def _token_live(row: sqlite3.Row, now: float) -> bool:
        return row["revoked_at"] is None and (row["expires_at"] is None or row["expires_at"] > now)

    def create_token(self, name: str, scope: str | None = None, days: float | None = None,
                     actor: str = "cli") -> tuple[ScreenToken, str]:
        """A screen token for a wall; returns it and the signed string for the URL (``?token=``)."""
        if not name.strip():
            raise StoreError("a screen token needs a name (which wall it is for)")
        token_id = secrets.token_hex(12)
        now = self.now()
        expires = now + days * 86400 if days else None
        with self.connect(immediate=True) as con:
            con.execute("INSERT INTO tokens (token_id, name, scope, created_at, created_by, expires_at)"
                        " VALUES (?,?,?,?,?,?)", (token_id, name.strip(), scope or None, now, actor, expires))
            self.audit(actor, "token.create", token_id, {"name": name, "scope": scope, "days": days}, con=con)
        signed = URLSafeSerializer(self._secret(), salt=TOKEN_SALT).dumps({"t": token_id})
        return ScreenToken(token_id, name.strip(), scope or None, now, actor, expires, None), str(signed)

    def revoke_token(self, token_id: str, actor: str = "cli") -> None:
        with self.connect(immediate=True) as con:
            if con.execute("SELECT 1 FROM tokens WHERE token_id = ?", (token_id,)).fetchone() is None:
                raise StoreError(f"no screen token {token_id!r}")
            con.execute("UPDATE tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL",
                        (self.now(), token_id))
            con.execute("DELETE FROM sessions WHERE token_id = ?", (token_id,))
            self.audit(actor, "token.revoke", token_id, con=con)

    def list_tokens(self) -> list[ScreenToken]:
        with self.connect() as con:
            return [self._token(r) for r in con.execute("SELECT * FROM tokens ORDER BY created_at")]

    def token_id_of(self, signed: str) -> str | None:
        """The live token a signed URL string names, or None (bad signature, revoked, expired)."""
        if not signed or len(signed) > 500:
            return None
        try:
            payload = URLSafeSerializer(self._secret(), salt=TOKEN_SALT).loads(signed)
        except BadSignature:
            return None
        token_id = payload.get("t") if isinstance(payload, dict) else None
        if not isinstance(token_id, str):
            return None
        with self.connect() as con:
            row = con.execute("SELECT * FROM tokens WHERE token_id = ?", (token_id,)).fetchone()
        return token_id if row is not None and self._token_live(row, self.now()) else None
