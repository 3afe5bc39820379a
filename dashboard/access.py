"""The one gate between a request and the metrics layer.

Every page and callback passes each ``Query`` through ``scoped`` and every table of rows through
``mask_rows`` before it leaves the server; exports go through ``export_rows``. The principal comes
from ``flask.g``, where the request guard (``dashboard.auth.guard``) put it after authenticating the
request, so a crafted callback request meets the same rules as a click in the menu.

- ``scoped``: a query inside the principal's unit subtree passes; one above it (the whole district
  for a 街镇 user) is clamped down to the scope; one for any other unit raises ``OutOfScope`` (a
  ``QueryError``, whose message pages show) — nothing of the other unit is ever computed.
- ``mask_rows``: drops rows whose unit columns lie outside the scope (a second line behind
  ``scoped``) and masks personal data for principals without clearance (``metrics.privacy``).

Outside a request (CLI, scheduled jobs, unit tests of the metrics layer) the operator runs as the
``SYSTEM`` principal. In a request the guard saw, a missing principal is refused: that can only be a
bug, and a bug must not widen access.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, replace
from typing import Any

import flask
import pandas as pd

from dashboard.auth.model import SYSTEM, PagePolicy, Principal, Role
from dashboard.components.audit_text import period_text
from etl.schema import PATH_COLUMNS
from metrics.privacy import mask_frame
from metrics.query import Query, QueryError

G_PRINCIPAL = "vitals_principal"
EXTENSION = "vitals_auth"
G_GUARDED = "vitals_guarded"  # set by the guard on every request it sees
# Columns naming the units a row belongs to (etl/schema.py UNIT_PATH).
UNIT_COLUMNS = (*PATH_COLUMNS, "unit_code")


class AccessDenied(QueryError):
    """The current principal may not see this; the message is shown to the user as is."""


class OutOfScope(AccessDenied):
    """A query for a unit outside the principal's scope."""


def current_principal() -> Principal:
    if not flask.has_request_context():
        return SYSTEM
    principal = flask.g.get(G_PRINCIPAL)
    if isinstance(principal, Principal):
        return principal
    if flask.g.get(G_GUARDED):
        # The guard saw this request and put no principal: only a bug gets here, and a bug must
        # not widen access.
        raise AccessDenied("未登录 / not signed in")
    # A request context the guard never saw: a test calling a layout or callback directly in
    # ``test_request_context`` (Flask runs before_request only when it dispatches a request, which
    # every served request is). There is no one to sign in, so the operator's rules apply.
    return SYSTEM


def _state() -> Any:
    return flask.current_app.extensions[EXTENSION]


def may_open(role: Role, path: str) -> bool:
    """Whether ``role`` may open the page at ``path``: the one answer the request guard enforces
    and the navigation shows (the site's ``[auth.pages]`` policy, else the default one)."""
    state = flask.current_app.extensions.get(EXTENSION) if flask.has_request_context() else None
    policy: PagePolicy = state.config.pages if state is not None else PagePolicy()
    return policy.may_open(role, path)


def _cached(kind: str, code: str) -> Any:
    """Lineage / subtree of a unit, resolved once per request (the hierarchy cannot change within
    one: a request reads one snapshot)."""
    cache: dict[tuple[str, str], Any] = flask.g.setdefault("vitals_unit_cache", {})
    key = (kind, code)
    if key not in cache:
        resolver = _state().units
        cache[key] = resolver.lineage(code) if kind == "lineage" else resolver.subtree(code)
    return cache[key]


def scoped(query: Query) -> Query:
    """The query limited to what the current user may see."""
    principal = current_principal()
    scope = principal.scope
    if scope is None:
        return query
    if query.unit is None or query.unit == scope:
        return replace(query, unit=scope)
    if query.unit in _cached("subtree", scope):
        return query
    if query.unit in _cached("lineage", scope):
        return replace(query, unit=scope)  # a wider view than allowed: narrowed to the scope
    raise OutOfScope(f"单位 {query.unit} 不在您的权限范围内 / unit {query.unit} is outside your scope")


def within_scope(rows: pd.DataFrame, principal: Principal | None = None) -> pd.DataFrame:
    """Rows whose unit columns lie in the principal's subtree (all rows for a full scope)."""
    principal = principal or current_principal()
    if principal.scope is None:
        return rows
    cols = [c for c in UNIT_COLUMNS if c in rows.columns]
    if not cols or rows.empty:
        return rows
    subtree = _cached("subtree", principal.scope)
    keep = pd.Series(False, index=rows.index)
    for col in cols:
        keep |= rows[col].isin(subtree)
    return rows.loc[keep]


def visible_units(units: pd.DataFrame, principal: Principal | None = None) -> pd.DataFrame:
    """The rows of a unit table (``unit_code`` column) a principal may pick from: its subtree and
    the units above its scope (so menus can show the path down to it), never a sibling's."""
    principal = principal or current_principal()
    if principal.scope is None or units.empty:
        return units
    keep = _cached("subtree", principal.scope) | frozenset(_cached("lineage", principal.scope))
    return units.loc[units["unit_code"].isin(keep)]


def mask_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with personal data masked for users without clearance."""
    principal = current_principal()
    rows = within_scope(rows, principal)
    return rows if principal.clearance else mask_frame(rows)


def export_rows(rows: pd.DataFrame, what: str, query: Query | None = None,
                filters: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The rows a user may download, after recording the export in the audit log.

    Every download (CSV/Excel) goes through here: the same masking as on screen, and a line in
    the audit log with who, which filters and how many rows.
    """
    principal = current_principal()
    if principal.role == "screen":
        raise AccessDenied("大屏账号不能导出数据 / the screen role cannot export")
    out = mask_rows(rows)
    detail: dict[str, Any] = {"what": what, "rows": len(out), "masked": not principal.clearance}
    if query is not None:
        # readable values: the period as its days, not a repr of its datetimes (the audit page shows them)
        detail["query"] = {"period": period_text(query.period.start, query.period.end),
                           **{k: (str(v) if v is not None else None) for k, v in asdict(query).items()
                              if k != "period"}}
    if filters:
        detail["filters"] = {str(k): str(v) for k, v in filters.items()}
    if flask.has_request_context() and flask.current_app.extensions.get(EXTENSION) is not None:
        _state().store.audit(principal.name, "export", what, detail, ip=flask.request.remote_addr)
    return out


def own_row_among_peers(rank: Callable[[Query], pd.DataFrame], query: Query, parent: str) -> pd.DataFrame:
    """The principal's own scope unit's row of a ranking computed over ``parent``'s subtree.

    A 街镇 leader is ranked against the other 街镇 (the assessment announces each unit's place to it),
    but may not see them: ``rank`` runs over the parent's subtree and only the row keyed by the
    principal's scope leaves this function — no sibling's name, code or value, only the place and the
    size of the group. Empty for a principal without a scope or whose scope is not a child of ``parent``.
    """
    scope = current_principal().scope
    if scope is None or parent not in _cached("lineage", scope) or parent == scope:
        return pd.DataFrame()
    ranked = rank(replace(query, unit=parent))
    return ranked.loc[ranked["key"] == scope].reset_index(drop=True)
