"""Roles, principals and the page policy: pure values, no Flask.

A principal is who a request acts for: a signed-in user, a screen token, a user named by a trusted
proxy header, or the explicit "auth disabled" demo principal. Every decision downstream (pages,
callbacks, unit scope, masking) is taken from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

Role = Literal["screen", "leader", "analyst", "admin"]
ROLES: tuple[Role, ...] = ("screen", "leader", "analyst", "admin")
AuthMethod = Literal["password", "token", "proxy", "disabled", "system"]

# Which pages (Dash page paths) each role may open. "*" = every page not reserved below.
# The wall shows only the screen: it is seen by visitors, so it gets nothing else, and masked data.
# The audit log is for admins only. Anything not listed for a role is refused (default deny).
DEFAULT_PAGE_POLICY: Mapping[Role, tuple[str, ...]] = {
    "screen": ("/screen",),
    "leader": ("*",),
    "analyst": ("*",),
    "admin": ("*", "/audit"),
}
# Pages that "*" does not cover: they must be named for a role explicitly.
RESERVED_PAGES: tuple[str, ...] = ("/audit",)
# Pages served by the shared pattern-matching callbacks (dashboard/callbacks/pages_shared.py), named
# by the "page" key of their component ids. A crafted request naming any other page (the wall's
# "screen", the admin's "audit", an invented one) is refused whatever the role may open.
SHARED_PAGES: tuple[str, ...] = ("rankings", "stations", "cases", "hotline", "sensors", "staffing")
# Where a role lands after sign-in.
HOME: Mapping[Role, str] = {"screen": "/screen", "leader": "/", "analyst": "/", "admin": "/"}


def is_role(value: str) -> bool:
    return value in ROLES


@dataclass(frozen=True)
class Principal:
    """Who a request acts for.

    ``scope`` is the root of the unit subtree the principal may see (None = the whole warehouse).
    ``clearance`` lets the principal see personal data unmasked; the screen role never has it.
    """

    name: str
    role: Role
    scope: str | None = None
    clearance: bool = False
    method: AuthMethod = "password"
    session_id: str | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}")
        if self.role == "screen" and self.clearance:
            # The wall is seen by visitors: no configuration may give it personal data.
            object.__setattr__(self, "clearance", False)

    @property
    def home(self) -> str:
        return HOME[self.role]


# Outside any request (CLI, scheduled exports, tests of the metrics layer) code runs as the operator.
SYSTEM = Principal("system", "admin", None, True, "system")


def normalise_path(path: str) -> str:
    """'/cases/' → '/cases'; '' → '/'. Dash page paths have no trailing slash."""
    path = "/" + path.strip().lstrip("/")
    return path.rstrip("/") or "/"


@dataclass(frozen=True)
class PagePolicy:
    """Which page paths each role may open."""

    allowed: Mapping[Role, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_PAGE_POLICY))
    reserved: tuple[str, ...] = RESERVED_PAGES

    @staticmethod
    def from_config(raw: Mapping[str, Iterable[str]] | None) -> PagePolicy:
        allowed: dict[Role, tuple[str, ...]] = dict(DEFAULT_PAGE_POLICY)
        for role, pages in (raw or {}).items():
            if not is_role(role):
                raise ValueError(f"[auth.pages] names an unknown role {role!r}; roles: {', '.join(ROLES)}")
            allowed[role] = tuple(p if p == "*" else normalise_path(p) for p in pages)  # type: ignore[index]
        return PagePolicy(allowed)

    def may_open(self, role: Role, path: str) -> bool:
        path = normalise_path(path)
        pages = self.allowed.get(role, ())
        if path in pages:
            return True
        return "*" in pages and path not in self.reserved
