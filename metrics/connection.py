"""Read-only access to the published warehouse snapshot.

The ETL never writes the file readers have open: it builds a new snapshot file and atomically swaps
the ``vitals.duckdb`` symlink (see ``etl/snapshots.py``). A reader resolves the link once per
connection, so it stays on one consistent snapshot even while a load publishes the next one. The
link may name a small delta on a big base (``etl/overlay.py``): the connection then reads both files
through views, under the same table names.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

from etl.overlay import open_published


class WarehouseMissing(FileNotFoundError):
    """No warehouse has been loaded at the configured path yet."""


def snapshot_path(warehouse: Path) -> Path:
    """The file the warehouse path points at right now (the path itself if it is not a link)."""
    return Path(os.path.realpath(warehouse))


def open_readonly(warehouse: Path) -> duckdb.DuckDBPyConnection:
    target = snapshot_path(warehouse)
    if not target.exists():
        raise WarehouseMissing(f"no warehouse at {warehouse}: run `vitals demo` or `vitals etl load` first")
    return open_published(target)


@contextlib.contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, table: Any) -> Iterator[str]:
    """``table`` (a frame or Arrow table a page keeps per snapshot) as view ``name`` on this cursor for
    the statements of the ``with`` block only: the cursor keeps no state between requests."""
    con.register(name, table)
    try:
        yield name
    finally:
        con.unregister(name)
