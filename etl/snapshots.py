"""Warehouse snapshots: readers never see a half-written load (docs/architecture.md).

``data/vitals.duckdb`` is a symlink to ``data/snapshots/vitals-<n>.duckdb``. A writer copies the
current snapshot to ``vitals-<n+1>.duckdb``, writes it, checkpoints, closes, and swaps the link with
``os.replace`` (atomic on POSIX). Anything that goes wrong before the swap leaves the published
snapshot untouched; the half-written file is an orphan the next writer deletes.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from etl import schema
from etl.settings import Settings

log = logging.getLogger(__name__)
SNAPSHOT_DIR = "snapshots"
_SNAP_RE = re.compile(r"^vitals-(\d+)\.duckdb$")
# Readers resolve the link once per request; a superseded snapshot stays on disk this long so
# requests that started on it can finish.
GRACE_SECONDS = 600.0
KEEP_AT_LEAST = 2


class WarehouseLocked(RuntimeError):
    """Another writer holds the warehouse lock."""


def snapshot_dir(warehouse: Path) -> Path:
    return warehouse.parent / SNAPSHOT_DIR


def current_snapshot(warehouse: Path) -> Path | None:
    """The file readers should open now (the link target), or None when nothing is published."""
    if warehouse.is_symlink():
        target = Path(os.readlink(warehouse))
        return target if target.is_absolute() else (warehouse.parent / target)
    return warehouse if warehouse.exists() else None


def _snapshot_numbers(sdir: Path) -> list[int]:
    if not sdir.is_dir():
        return []
    return sorted(int(m.group(1)) for p in sdir.iterdir() if (m := _SNAP_RE.match(p.name)))


def _snapshot_path(sdir: Path, n: int) -> Path:
    return sdir / f"vitals-{n}.duckdb"


def _publish(warehouse: Path, target: Path) -> None:
    """Point the warehouse link at target atomically (relative link, so the data dir can move)."""
    tmp = warehouse.parent / f".{warehouse.name}.link-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(os.path.relpath(target, warehouse.parent), tmp)
    os.replace(tmp, warehouse)
    # Make the rename durable before we tell anyone the load succeeded.
    dfd = os.open(warehouse.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def _init_meta(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    rows = [
        ("site_name_zh", settings.site_name_zh),
        ("site_name_en", settings.site_name_en),
        ("timezone", settings.timezone),
        ("datum", settings.datum),
        ("schema_version", schema.SCHEMA_VERSION),
    ]
    con.executemany(
        "INSERT INTO warehouse_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", rows
    )


def create_empty(path: Path, settings: Settings) -> None:
    """A new warehouse file with the declared schema and the site facts in warehouse_meta."""
    con = duckdb.connect(str(path))
    try:
        con.execute(schema.ddl())
        _init_meta(con, settings)
        con.execute("CHECKPOINT")
    finally:
        con.close()


def _cleanup(warehouse: Path, keep: set[Path], grace: float) -> None:
    """Delete orphans (never published) and superseded snapshots older than the grace period."""
    sdir = snapshot_dir(warehouse)
    nums = _snapshot_numbers(sdir)
    # The newest KEEP_AT_LEAST published-or-older snapshots survive regardless of age.
    current = current_snapshot(warehouse)
    cur_n = int(m.group(1)) if current and (m := _SNAP_RE.match(current.name)) else None
    now = time.time()
    older = [n for n in nums if cur_n is not None and n < cur_n]
    protected = set(older[-(KEEP_AT_LEAST - 1):]) if KEEP_AT_LEAST > 1 and older else set()
    for n in nums:
        p = _snapshot_path(sdir, n)
        if p in keep or n == cur_n or n in protected:
            continue
        try:
            age = now - p.stat().st_mtime
        except FileNotFoundError:
            continue
        is_orphan = cur_n is None or n > cur_n
        if is_orphan or age > grace:
            for f in (p, p.with_name(p.name + ".wal")):
                with contextlib.suppress(FileNotFoundError):
                    f.unlink()


@contextlib.contextmanager
def _lock(warehouse: Path, wait: bool) -> Iterator[None]:
    lock_path = warehouse.parent / f".{warehouse.name}.lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            if not wait:
                raise WarehouseLocked(
                    f"another load is writing {warehouse} (lock {lock_path}); wait for it to finish"
                ) from exc
            log.warning("another load is writing %s; waiting for it to finish", warehouse)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the flock, also when the process is killed


_MEM_RE = re.compile(r"^\d+(\.\d+)?\s*[KMGT]i?B$", re.IGNORECASE)


def _limit_memory(con: duckdb.DuckDBPyConnection, sdir: Path) -> None:
    """Cap the loader's memory (VITALS_ETL_MEMORY, default 6GB) and let big loads spill to disk,
    so a 45M-row load shares a 24 GB machine with the dashboard workers instead of swapping."""
    limit = os.environ.get("VITALS_ETL_MEMORY", "6GB")
    if not _MEM_RE.match(limit):
        raise ValueError(f"VITALS_ETL_MEMORY must look like 6GB or 512MB, not {limit!r}")
    con.execute(f"SET memory_limit = '{limit}'")  # validated above; SET takes no parameters
    spill = sdir / ".spill"
    spill.mkdir(exist_ok=True)
    con.execute("SET temp_directory = ?", [str(spill)])


@contextlib.contextmanager
def writer(
    warehouse: Path | str,
    settings: Settings | None = None,
    *,
    wait: bool = True,
    grace_seconds: float = GRACE_SECONDS,
    fresh: bool = False,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable connection on a private copy of the warehouse, published atomically on success.

    ``settings`` supplies the site facts when the warehouse does not exist yet. With ``wait=False`` a
    second concurrent writer fails with :class:`WarehouseLocked` instead of queueing. ``fresh``: start
    from an empty warehouse instead of a copy of the current one (a whole new dataset, e.g. the demo);
    readers keep the previous snapshot until this one is published.
    """
    warehouse = Path(warehouse).absolute()
    settings = settings or Settings(warehouse=warehouse)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    sdir = snapshot_dir(warehouse)
    sdir.mkdir(exist_ok=True)
    with _lock(warehouse, wait):
        # Numbers are never reused (an orphan's number included), so a path names one content forever.
        next_n = (_snapshot_numbers(sdir) or [0])[-1] + 1
        _cleanup(warehouse, set(), grace_seconds)
        # A plain file at the warehouse path (older layout, or a copied-in warehouse): adopt it as
        # the first snapshot so the rest of the scheme applies.
        if warehouse.exists() and not warehouse.is_symlink():
            adopted = _snapshot_path(sdir, next_n)
            next_n += 1
            shutil.copyfile(warehouse, adopted)
            _publish(warehouse, adopted)
        current = current_snapshot(warehouse)
        if current is not None and not current.exists():
            current = None  # dangling link: start afresh rather than fail every load
        new = _snapshot_path(sdir, max(next_n, (_snapshot_numbers(sdir) or [0])[-1] + 1))
        if current is not None and not fresh:
            shutil.copyfile(current, new)
        else:
            create_empty(new, settings)
        con = duckdb.connect(str(new))
        try:
            _limit_memory(con, sdir)
            con.execute(schema.ddl())  # tables added to the schema since the snapshot was made
            _init_meta(con, settings)
            yield con
            con.execute("CHECKPOINT")
        except BaseException:
            con.close()
            for f in (new, new.with_name(new.name + ".wal")):
                with contextlib.suppress(FileNotFoundError):
                    f.unlink()
            raise
        con.close()
        _publish(warehouse, new)
        _cleanup(warehouse, {new}, grace_seconds)


def open_readonly(warehouse: Path | str) -> duckdb.DuckDBPyConnection:
    """Open the currently published snapshot read-only (resolving the link once)."""
    warehouse = Path(warehouse).absolute()
    snap = current_snapshot(warehouse)
    if snap is None:
        raise FileNotFoundError(f"no warehouse at {warehouse}: load something first")
    return duckdb.connect(str(snap), read_only=True)
