"""`vitals users ...`: manage accounts and screen tokens in the user store.

    vitals users add alice --role analyst --scope 310118102 [--clearance]   (asks for the password)
    vitals users list | disable NAME | enable NAME | passwd NAME | set NAME --role ... --scope ...
    vitals users token create "大厅主屏" [--scope CODE] [--days N]   → prints the URL suffix ?token=...
    vitals users token list | revoke TOKEN_ID
    vitals users audit [--limit N] [--action login.failed]

The store path comes from ``[auth] store`` (default: users.sqlite next to the warehouse);
``--store`` overrides it. Passwords are read from a prompt, or from ``VITALS_PASSWORD`` for scripts,
never from the command line, where they would end up in shell history and ``ps``.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from pathlib import Path
from typing import Annotated

import typer

from dashboard.auth.config import load_auth_config
from dashboard.auth.model import ROLES
from dashboard.auth.store import StoreError, UserStore
from etl.settings import load_settings

app = typer.Typer(help="Users, roles, unit scopes and screen tokens.", no_args_is_help=True)
token_app = typer.Typer(help="Signed, revocable screen tokens for unattended walls.", no_args_is_help=True)
app.add_typer(token_app, name="token")

StoreOpt = Annotated[Path | None, typer.Option("--store", help="user store file (default: from the config)")]
ACTOR = "cli:" + (os.environ.get("SUDO_USER") or os.environ.get("USER") or "operator")


def _store(path: Path | None) -> UserStore:
    cfg = load_auth_config(load_settings())
    return UserStore(path or cfg.store, cfg.max_failures, cfg.lockout_minutes * 60)


def _password(confirm: bool = True) -> str:
    env = os.environ.get("VITALS_PASSWORD")
    if env:
        return env
    first = getpass.getpass("password: ")
    if confirm and getpass.getpass("again: ") != first:
        raise StoreError("the two passwords differ")
    return first


def _checked_scope(scope: str | None) -> str | None:
    """The scope when it names a unit of the warehouse. A mistyped code would be a scope that holds
    nothing — or, once a unit of that code is loaded, a scope nobody meant to grant."""
    if scope is None:
        return None
    from metrics.connection import WarehouseMissing, open_readonly
    from metrics.unit_scope import unit_exists

    try:
        con = open_readonly(load_settings().warehouse)
    except WarehouseMissing as exc:
        raise StoreError(f"cannot check scope {scope!r}: {exc}") from exc
    try:
        if not unit_exists(con, scope):
            raise StoreError(f"scope {scope!r} is no unit of the warehouse (see org_unit.unit_code)")
    finally:
        con.close()
    return scope


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(1)


def _when(ts: float | None) -> str:
    return "" if ts is None else dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


@app.command()
def add(
    username: str,
    role: Annotated[str, typer.Option(help=f"one of {', '.join(ROLES)}")],
    scope: Annotated[str | None, typer.Option(help="unit code of the subtree the user sees (default: all)")] = None,
    clearance: Annotated[bool, typer.Option(help="may see personal data unmasked")] = False,
    store: StoreOpt = None,
) -> None:
    """Add a user (asks for the password)."""
    try:
        user = _store(store).add_user(username, _password(), role, _checked_scope(scope), clearance, actor=ACTOR)
    except StoreError as exc:
        raise _fail(exc) from exc
    typer.echo(f"added {user.username} ({user.role}, scope {user.scope or 'all'})")


@app.command("list")
def list_(store: StoreOpt = None) -> None:
    """List users."""
    for u in _store(store).list_users():
        state = "disabled" if u.disabled else ("locked" if u.locked_until and u.locked_until > dt.datetime.now(
            dt.UTC).timestamp() else "active")
        typer.echo(f"{u.username}\t{u.role}\t{u.scope or 'all'}\t{'clearance' if u.clearance else 'masked'}\t{state}")


@app.command()
def disable(username: str, store: StoreOpt = None) -> None:
    """Disable a user and end their sessions."""
    try:
        _store(store).set_disabled(username, True, actor=ACTOR)
    except StoreError as exc:
        raise _fail(exc) from exc
    typer.echo(f"disabled {username}")


@app.command()
def enable(username: str, store: StoreOpt = None) -> None:
    """Enable a user again (also clears a lockout)."""
    try:
        _store(store).set_disabled(username, False, actor=ACTOR)
    except StoreError as exc:
        raise _fail(exc) from exc
    typer.echo(f"enabled {username}")


@app.command()
def passwd(username: str, store: StoreOpt = None) -> None:
    """Set a new password (ends the user's sessions, clears a lockout)."""
    try:
        _store(store).set_password(username, _password(), actor=ACTOR)
    except StoreError as exc:
        raise _fail(exc) from exc
    typer.echo(f"password changed for {username}")


@app.command("set")
def set_(
    username: str,
    role: Annotated[str, typer.Option(help=f"one of {', '.join(ROLES)}")],
    scope: Annotated[str | None, typer.Option(help="unit code (default: all)")] = None,
    clearance: Annotated[bool, typer.Option(help="may see personal data unmasked")] = False,
    store: StoreOpt = None,
) -> None:
    """Change a user's role, scope and clearance (ends their sessions)."""
    try:
        _store(store).set_role(username, role, _checked_scope(scope), clearance, actor=ACTOR)
    except StoreError as exc:
        raise _fail(exc) from exc
    typer.echo(f"{username}: {role}, scope {scope or 'all'}, {'clearance' if clearance else 'masked'}")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="which wall, e.g. 大厅主屏")],
    scope: Annotated[str | None, typer.Option(help="unit code the wall shows (default: all)")] = None,
    days: Annotated[float | None, typer.Option(help="expires after N days (default: until revoked)")] = None,
    store: StoreOpt = None,
) -> None:
    """Create a screen token; open /screen?token=... on the wall."""
    try:
        token, signed = _store(store).create_token(name, _checked_scope(scope), days, actor=ACTOR)
    except StoreError as exc:
        raise _fail(exc) from exc
    typer.echo(f"token {token.token_id} for {token.name!r} (scope {token.scope or 'all'})")
    typer.echo(f"/screen?token={signed}")


@token_app.command("list")
def token_list(store: StoreOpt = None) -> None:
    """List screen tokens."""
    for t in _store(store).list_tokens():
        state = f"revoked {_when(t.revoked_at)}" if t.revoked_at else "active"
        typer.echo(f"{t.token_id}\t{t.name}\t{t.scope or 'all'}\t{_when(t.created_at)}\t{state}")


@token_app.command("revoke")
def token_revoke(token_id: str, store: StoreOpt = None) -> None:
    """Revoke a screen token: the wall using it is signed out at its next request."""
    try:
        _store(store).revoke_token(token_id, actor=ACTOR)
    except StoreError as exc:
        raise _fail(exc) from exc
    typer.echo(f"revoked {token_id}")


@app.command()
def audit(
    limit: Annotated[int, typer.Option(help="newest N entries")] = 50,
    action: Annotated[str | None, typer.Option(help="only this action, e.g. login.failed")] = None,
    store: StoreOpt = None,
) -> None:
    """Show the audit log."""
    for e in _store(store).audit_entries(limit, action):
        typer.echo(f"{_when(e.ts)}\t{e.actor or ''}\t{e.action}\t{e.target or ''}\t{e.ip or ''}\t{dict(e.detail)}")
