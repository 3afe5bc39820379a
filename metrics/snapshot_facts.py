"""Small facts of a read-only snapshot, looked up once per connection instead of once per call.

A page render runs a dozen scans, and each used to ask the warehouse again for the data's 'now', the
level of the query's unit and whether the rollups are current: on the hotline page at district scale
~20 one-row statements per render, ~1 ms of DuckDB CPU each on a busy 2-core machine (bench/targets.py,
issue 19; docs/architecture.md, "Read-side targets"). These facts cannot change while a connection reads one
published snapshot (its files are immutable: ``metrics.connection``), so they are kept per
connection (a request's cursor), and dropped with it.

Only a connection whose every attached database file is read-only is memoised: a writable one (the
ETL's, a test that edits its warehouse between two reads) always asks again. The memo is weakly
keyed by the connection object, so it lives exactly as long as that connection; it holds no state
shared between requests or gunicorn workers.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import duckdb

T = TypeVar("T")

# the files a connection reads: every attached database except DuckDB's own in-memory catalogs
# (an overlay reader's views live in one; they are defined once when it opens)
_READ_ONLY_SQL = ("SELECT count(*) > 0 AND bool_and(readonly) FROM duckdb_databases() "
                  "WHERE NOT internal AND path IS NOT NULL")

_lock = threading.Lock()
_facts: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, dict[Hashable, Any]] = weakref.WeakKeyDictionary()
_writable: weakref.WeakSet[duckdb.DuckDBPyConnection] = weakref.WeakSet()


def _memo_of(con: duckdb.DuckDBPyConnection) -> dict[Hashable, Any] | None:
    with _lock:
        memo = _facts.get(con)
        if memo is not None or con in _writable:
            return memo
    row = con.execute(_READ_ONLY_SQL).fetchone()
    with _lock:
        if row is not None and row[0]:
            return _facts.setdefault(con, {})
        _writable.add(con)
        return None


def fact(con: duckdb.DuckDBPyConnection, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` once per read-only connection and ``key``; every time on a writable one.
    ``compute`` must read only through ``con`` (a value of this snapshot) and may raise (not kept)."""
    memo = _memo_of(con)
    if memo is None:
        return compute()
    with _lock:
        if key in memo:
            return memo[key]  # type: ignore[no-any-return]
    value = compute()
    with _lock:
        memo[key] = value
    return value
