"""Auth settings from the ``[auth]`` section of vitals.toml.

    [auth]
    enabled = true                 # false only for a demo or a closed test bench (says so in the UI)
    store = "data/users.sqlite"    # default: users.sqlite next to the warehouse
    session_hours = 12             # idle sessions end after this long
    secure_cookies = true          # false for plain-HTTP intranets (cookie still HttpOnly, SameSite=Lax)
    max_failures = 5               # failed sign-ins before the account is locked ...
    lockout_minutes = 15           # ... for this long
    trusted_header = ""            # e.g. "X-Remote-User": SSO by a reverse proxy; off when empty
    trusted_proxies = ["127.0.0.1"]  # the header is believed only from these peer addresses
    forwarded_for = false          # true: behind those proxies, the client IP is the last X-Forwarded-For
    ip_max_failures = 20           # failed sign-ins from one IP address ...
    ip_window_minutes = 15         # ... within this window: further attempts get 429 until it passes
    [auth.pages]                   # role → page paths; "*" = all but reserved pages (/audit)
    leader = ["*"]

The environment variable ``VITALS_AUTH=off`` disables auth for one process (the demo), so a config
file shared with production cannot be turned off by accident of a copied line alone.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dashboard.auth.model import PagePolicy
from etl.settings import ConfigError, Settings


@dataclass(frozen=True)
class AuthConfig:
    enabled: bool = True
    store: Path = Path("data/users.sqlite")
    session_hours: float = 12.0
    secure_cookies: bool = True
    max_failures: int = 5
    lockout_minutes: float = 15.0
    trusted_header: str | None = None
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    forwarded_for: bool = False
    ip_max_failures: int = 20
    ip_window_minutes: float = 15.0
    pages: PagePolicy = field(default_factory=PagePolicy)
    cookie_name: str = "vitals_session"


def _bool(raw: Mapping[str, Any], key: str, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"auth.{key} must be true or false, not {value!r}")
    return value


def load_auth_config(settings: Settings, env: Mapping[str, str] | None = None) -> AuthConfig:
    env = os.environ if env is None else env
    raw = settings.section("auth")
    enabled = _bool(raw, "enabled", True)
    if env.get("VITALS_AUTH", "").strip().lower() in ("off", "0", "false", "disabled"):
        enabled = False
    store = Path(raw["store"]) if raw.get("store") else Path(settings.warehouse).parent / "users.sqlite"
    try:
        session_hours = float(raw.get("session_hours", 12))
        max_failures = int(raw.get("max_failures", 5))
        lockout_minutes = float(raw.get("lockout_minutes", 15))
        ip_max_failures = int(raw.get("ip_max_failures", 20))
        ip_window_minutes = float(raw.get("ip_window_minutes", 15))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"auth: a number is not a number: {exc}") from exc
    if session_hours <= 0 or max_failures < 1 or lockout_minutes <= 0:
        raise ConfigError("auth.session_hours and auth.lockout_minutes must be > 0, auth.max_failures ≥ 1")
    if ip_max_failures < 1 or ip_window_minutes <= 0:
        raise ConfigError("auth.ip_max_failures must be ≥ 1 and auth.ip_window_minutes > 0")
    header = str(raw.get("trusted_header", "") or "").strip() or None
    proxies = tuple(str(p) for p in raw.get("trusted_proxies", ("127.0.0.1", "::1")))
    try:
        pages = PagePolicy.from_config(raw.get("pages"))
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    return AuthConfig(
        enabled=enabled,
        store=store,
        session_hours=session_hours,
        secure_cookies=_bool(raw, "secure_cookies", True),
        max_failures=max_failures,
        lockout_minutes=lockout_minutes,
        trusted_header=header,
        trusted_proxies=proxies,
        forwarded_for=_bool(raw, "forwarded_for", False),
        ip_max_failures=ip_max_failures,
        ip_window_minutes=ip_window_minutes,
        pages=pages,
    )
