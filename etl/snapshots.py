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
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import duckdb

from etl import overlay, schema
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


def _number(p: Path) -> int | None:
    """The sequence number of a snapshot or delta file (one sequence for both: a path names one content)."""
    if m := _SNAP_RE.match(p.name):
        return int(m.group(1))
    if m := overlay.DELTA_RE.match(p.name):
        return int(m.group(1))
    return None


def _files(sdir: Path) -> dict[int, Path]:
    if not sdir.is_dir():
        return {}
    return {n: p for p in sdir.iterdir() if (n := _number(p)) is not None}


def _next_number(sdir: Path) -> int:
    return max(_files(sdir), default=0) + 1


def _remove(p: Path) -> None:
    for f in (p, p.with_name(p.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            f.unlink()


def _cleanup(warehouse: Path, keep: set[Path], grace: float) -> None:
    """Delete orphans (never published) and superseded files older than the grace period, keeping the
    published file, the newest superseded one, and the base of every delta that stays."""
    files = _files(snapshot_dir(warehouse))
    current = current_snapshot(warehouse)
    cur_n = _number(current) if current else None
    now = time.time()
    older = sorted(n for n in files if cur_n is not None and n < cur_n)
    protected = set(older[-(KEEP_AT_LEAST - 1):]) if KEEP_AT_LEAST > 1 and older else set()
    doomed: set[int] = set()
    for n, p in files.items():
        if p in keep or n == cur_n or n in protected:
            continue
        try:
            age = now - p.stat().st_mtime
        except FileNotFoundError:
            continue
        if cur_n is None or n > cur_n or age > grace:  # an orphan, or superseded long enough ago
            doomed.add(n)
    # A base stays while a delta on it stays (readers of that delta read the base too).
    for n, p in files.items():
        base = overlay.base_of(p)
        if n not in doomed and base is not None:
            doomed.discard(_number(base) or -1)
    for n in doomed:
        _remove(files[n])


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
    threads = os.environ.get("VITALS_ETL_THREADS", "")
    if threads:
        if not _SIZE_RE.match(threads) or int(threads) < 1:
            raise ValueError(f"VITALS_ETL_THREADS must be a whole number of at least 1, not {threads!r}")
        con.execute(f"SET threads = {int(threads)}")  # validated above


def _prepare(warehouse: Path | str, settings: Settings | None) -> tuple[Path, Settings, Path]:
    warehouse = Path(warehouse).absolute()
    settings = settings or Settings(warehouse=warehouse)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    sdir = snapshot_dir(warehouse)
    sdir.mkdir(exist_ok=True)
    return warehouse, settings, sdir


def _published(warehouse: Path, sdir: Path, grace_seconds: float) -> tuple[Path | None, int]:
    """The published file after removing orphans and adopting a plain file, and the number the new
    file takes (caller holds the lock)."""
    # Numbers are never reused (an orphan's number included), so a path names one content forever.
    next_n = _next_number(sdir)
    _cleanup(warehouse, set(), grace_seconds)
    # A plain file at the warehouse path (older layout, or a copied-in warehouse): adopt it as the
    # first snapshot so the rest of the scheme applies.
    if warehouse.exists() and not warehouse.is_symlink():
        adopted = _snapshot_path(sdir, next_n)
        next_n += 1
        shutil.copyfile(warehouse, adopted)
        _publish(warehouse, adopted)
    current = current_snapshot(warehouse)
    if current is None or not current.exists():
        return None, next_n  # dangling link: start afresh rather than fail every load
    base = overlay.base_of(current)
    return (None if base is not None and not base.exists() else current), next_n


@contextlib.contextmanager
def _written(warehouse: Path, new: Path, grace_seconds: float, sdir: Path,
             setup: Callable[[duckdb.DuckDBPyConnection], None]) -> Iterator[duckdb.DuckDBPyConnection]:
    """Connect to the new file, let the caller write, checkpoint, publish; on any error remove it."""
    con = duckdb.connect(str(new))
    try:
        _limit_memory(con, sdir)
        setup(con)
        yield con
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        _remove(new)
        raise
    con.close()
    _publish(warehouse, new)
    _cleanup(warehouse, {new}, grace_seconds)


def _full(warehouse: Path, settings: Settings, sdir: Path, grace_seconds: float, fresh: bool,
          current: Path | None, n: int) -> contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]:
    """New full snapshot number ``n``: a copy of ``current`` (its delta folded in), or an empty one."""
    new = _snapshot_path(sdir, n)
    base = overlay.base_of(current) if current is not None else None
    if current is not None and not fresh:
        shutil.copyfile(base or current, new)
    else:
        create_empty(new, settings)

    def setup(con: duckdb.DuckDBPyConnection) -> None:
        con.execute(schema.ddl())  # tables added to the schema since the snapshot was made
        if current is not None and base is not None and not fresh:
            # Compaction: the published delta is folded into the copy of its base.
            overlay.attach(con, current, overlay.DELTA)
            overlay.merge_into(con, overlay.DELTA)
            con.execute(f"DETACH {overlay.DELTA}")
        _init_meta(con, settings)

    return _written(warehouse, new, grace_seconds, sdir, setup)


@contextlib.contextmanager
def writer(
    warehouse: Path | str,
    settings: Settings | None = None,
    *,
    wait: bool = True,
    grace_seconds: float = GRACE_SECONDS,
    fresh: bool = False,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable connection on a private full copy of the warehouse, published atomically on success.

    ``settings`` supplies the site facts when the warehouse does not exist yet. With ``wait=False`` a
    second concurrent writer fails with :class:`WarehouseLocked` instead of queueing. ``fresh``: start
    from an empty warehouse instead of a copy of the current one (a whole new dataset, e.g. the demo);
    readers keep the previous snapshot until this one is published. When a delta is published, the
    copy is of its base with the delta folded in (compaction).
    """
    warehouse, settings, sdir = _prepare(warehouse, settings)
    with _lock(warehouse, wait):
        current, n = _published(warehouse, sdir, grace_seconds)
        with _full(warehouse, settings, sdir, grace_seconds, fresh, current, n) as con:
            yield con


_SIZE_RE = re.compile(r"^\d+$")


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, str(default))
    if not _SIZE_RE.match(value):
        raise ValueError(f"{name} must be a whole number, not {value!r}")
    return int(value)


def delta_limits() -> tuple[int, int]:
    """(bytes, rows) past which the published delta is folded into a new base by the next load:
    every load copies the delta and every read anti-joins its keys, so it must stay small. A limit of 0
    turns deltas off (every load writes a full snapshot, as before issue 19)."""
    return (_env_int("VITALS_DELTA_MAX_BYTES", 64 << 20), _env_int("VITALS_DELTA_MAX_ROWS", 500_000))


def _delta_rows(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        counts = " + ".join(f"(SELECT count(*) FROM {t})" for t in overlay.OVERLAY)  # our own names
        row = con.execute(f"SELECT {counts}").fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()


def _delta_base(current: Path | None, input_bytes: int = 0) -> Path | None:
    """The base a new delta can sit on, or None when the next load must write a full snapshot.

    ``input_bytes`` (the size of the files to load): input past the delta's byte limit that is also
    larger than the base file makes a full snapshot too. A delta of it would, most likely, outgrow the
    limits and be folded into a copy of the base by the next load, which would pay for the same rows
    twice (issue 19: the load after a 1M-case delta spent more on that fold than on its own file);
    copying a base smaller than the input costs less than reading the input."""
    max_bytes, max_rows = delta_limits()
    if current is None or max_bytes == 0 or max_rows == 0:  # a limit of 0 turns deltas off
        return None
    base = overlay.base_of(current)
    if input_bytes > max_bytes and input_bytes > (base or current).stat().st_size:
        return None
    if base is None:
        con = duckdb.connect(str(current), read_only=True)
        try:
            ok = overlay.base_columns_match(con, str(con.execute("SELECT current_database()").fetchone()[0]))  # type: ignore[index]
        finally:
            con.close()
        return current if ok else None
    if current.stat().st_size > max_bytes or _delta_rows(current) > max_rows:
        return None
    return base


@contextlib.contextmanager
def load_writer(
    warehouse: Path | str,
    settings: Settings | None = None,
    *,
    wait: bool = True,
    grace_seconds: float = GRACE_SECONDS,
    inputs: Sequence[Path] = (),
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A load's connection, published atomically on success: a new small delta on the published base
    (a copy of the published delta, not of the warehouse), or a full snapshot when there is no base
    yet, the base predates the schema, the delta has outgrown :func:`delta_limits` (compaction), or the
    files to load (``inputs``) are bigger than both the delta's byte limit and the base (:func:`_delta_base`).

    On a delta, the overlay tables hold only the delta's rows: code that must see every row reads
    :func:`etl.overlay.visible` names; it may insert and upsert, not delete from them.
    """
    warehouse, settings, sdir = _prepare(warehouse, settings)
    with _lock(warehouse, wait):
        current, n = _published(warehouse, sdir, grace_seconds)
        base = _delta_base(current, sum(p.stat().st_size for p in inputs if p.exists()))
        if current is None or base is None:
            with _full(warehouse, settings, sdir, grace_seconds, False, current, n) as con:
                yield con
            return
        new = sdir / overlay.delta_name(n, _number(base) or 0)
        if current != base:
            shutil.copyfile(current, new)  # the previous delta: megabytes, not the warehouse

        def setup(con: duckdb.DuckDBPyConnection) -> None:
            overlay.attach(con, base, overlay.BASE)
            con.execute(schema.ddl())
            if current == base:
                overlay.start_delta(con)
            _init_meta(con, settings)
            overlay.create_writer_views(con)

        with _written(warehouse, new, grace_seconds, sdir, setup) as con:
            yield con
            con.execute(f"DETACH {overlay.BASE}")


def open_readonly(warehouse: Path | str) -> duckdb.DuckDBPyConnection:
    """Open the currently published snapshot read-only (resolving the link once)."""
    warehouse = Path(warehouse).absolute()
    snap = current_snapshot(warehouse)
    if snap is None:
        raise FileNotFoundError(f"no warehouse at {warehouse}: load something first")
    return overlay.open_published(snap)


def missing_columns(warehouse: Path | str) -> tuple[str, ...]:
    """``table.column`` of every column the schema declares that the published warehouse lacks (a whole
    missing table as ``table.*``): a warehouse made by an older version, before those columns existed."""
    con = open_readonly(warehouse)
    try:
        missing: list[str] = []
        for t in schema.TABLES:
            try:
                have = {d[0] for d in con.execute(f"SELECT * FROM {t.name} LIMIT 0").description}
            except duckdb.CatalogException:
                missing.append(f"{t.name}.*")
                continue
            missing += [f"{t.name}.{c.name}" for c in t.columns if c.name not in have]
        return tuple(missing)
    finally:
        con.close()


def upgrade(warehouse: Path | str, settings: Settings | None = None) -> tuple[str, ...]:
    """Bring a warehouse made by an older version to this schema before serving it: readers compile
    statements against the declared columns, so a missing one would fail every page. A writer adds them
    (``schema.ddl``) and publishes like any load; nothing is written when nothing is missing. Returns what
    was added."""
    if current_snapshot(Path(warehouse).absolute()) is None:
        return ()
    missing = missing_columns(warehouse)
    if missing:
        with writer(warehouse, settings):
            pass
    return missing
