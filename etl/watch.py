"""`vitals etl watch DIR`: load export files as they land in a directory (a live feed).

Which mapping loads a file: the first ``[[route]]`` of ``DIR/watch.toml`` (or ``--config``) whose
``pattern`` (a shell glob on the file name) matches, else the name's own prefix before ``--``
(``demo_cases--20260701T0905.parquet`` → the shipped mapping ``demo_cases``); the mapping names the
kind. A file is taken once two polls in a row see the same size and modification time (a writer that
is still copying it changes both), oldest first. Each file is its own load (``etl.load``: all or
nothing, a failure is recorded as a failed run and leaves the previous data published) and gets one
progress line; it is then moved to ``DIR/loaded/``, or to ``DIR/failed/`` with ``<name>.error.txt``
beside it. Loads are idempotent (upserts by natural key), so a file loaded by a watcher killed before
the move is loaded again by the next one and changes no row.

    [[route]]
    pattern = "cases-*.csv"
    mapping = "example_grid_cases_zh"     # shipped name, or a path relative to watch.toml
"""

from __future__ import annotations

import fnmatch
import os
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from etl.alarms import derive_alarms
from etl.load import FAILURES, LoadReport, load_into, recording_failure
from etl.mapping import MappingError, load_mapping, resolve_mapping_path
from etl.overlay import base_of
from etl.settings import Settings
from etl.snapshots import current_snapshot, load_writer

CONFIG_NAME = "watch.toml"
LOADED_DIR = "loaded"
FAILED_DIR = "failed"
NAME_SEPARATOR = "--"
# Files a copy in progress leaves behind under a temporary name: never loaded.
IGNORED_SUFFIXES = (".part", ".tmp", ".crdownload", ".error.txt")

Echo = Callable[[str], None]


class WatchConfigError(ValueError):
    """watch.toml cannot be used (bad TOML, a route without pattern or mapping)."""


@dataclass(frozen=True)
class Route:
    pattern: str
    mapping: str


@dataclass(frozen=True)
class Outcome:
    file: str
    ok: bool
    line: str
    report: LoadReport | None = None


def read_routes(path: Path) -> tuple[Route, ...]:
    if not path.exists():
        return ()
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise WatchConfigError(f"{path}: {exc}") from exc
    routes = []
    for i, r in enumerate(doc.get("route", [])):
        pattern, mapping = r.get("pattern"), r.get("mapping")
        if not isinstance(pattern, str) or not isinstance(mapping, str):
            raise WatchConfigError(f"{path}: route {i + 1} needs a pattern and a mapping (strings)")
        local = path.parent / mapping
        routes.append(Route(pattern, str(local) if local.exists() else mapping))
    return tuple(routes)


def mapping_for(name: str, routes: tuple[Route, ...]) -> str | None:
    for r in routes:
        if fnmatch.fnmatchcase(name, r.pattern):
            return r.mapping
    if NAME_SEPARATOR in name:
        prefix = name.split(NAME_SEPARATOR, 1)[0]
        try:
            resolve_mapping_path(prefix)
        except MappingError:
            return None
        return prefix
    return None


def load_one(warehouse: Path, settings: Settings, path: Path, mapping: str) -> LoadReport:
    """One file, one published snapshot; readings also derive their alarms (as `vitals etl load`)."""
    m = load_mapping(mapping)
    with (recording_failure(warehouse, settings, m.kind, m, [path]),
          load_writer(warehouse, settings, inputs=[path]) as con):
        report = load_into(con, m.kind, [path], m)
        if m.kind == "readings":
            derive_alarms(con, report.run_id)
    return report


def published_as(warehouse: Path) -> str:
    """How the last load was published: a small delta on a base (a feed load), or a full snapshot
    (the first load, or a compaction of a delta grown past its limit)."""
    current = current_snapshot(warehouse)
    base = base_of(current) if current is not None else None
    return f"delta on {base.name}" if base is not None else "full snapshot"


def _move_aside(path: Path, target_dir: Path) -> Path:
    """Move into target_dir without overwriting an earlier file of the same name."""
    target_dir.mkdir(exist_ok=True)
    dest = target_dir / path.name
    n = 1
    while dest.exists():
        dest = target_dir / f"{path.stem}.{n}{path.suffix}"
        n += 1
    os.replace(path, dest)
    return dest


@dataclass
class Watcher:
    """Polls ``incoming``; ``poll()`` loads the files that stood still since the previous poll."""

    incoming: Path
    warehouse: Path
    settings: Settings
    routes: tuple[Route, ...] = ()
    echo: Echo = print
    _seen: dict[str, tuple[int, int]] = field(default_factory=dict)

    def _candidates(self) -> list[Path]:
        files = [p for p in self.incoming.iterdir()
                 if p.is_file() and not p.name.startswith(".") and p.name != CONFIG_NAME
                 and not p.name.endswith(IGNORED_SUFFIXES)]
        return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))

    def poll(self) -> list[Outcome]:
        stable: list[Path] = []
        seen: dict[str, tuple[int, int]] = {}
        for p in self._candidates():
            st = p.stat()
            sig = (st.st_size, st.st_mtime_ns)
            seen[p.name] = sig
            if self._seen.get(p.name) == sig:
                stable.append(p)
        self._seen = seen
        outcomes = [self._take(p) for p in stable]
        for o in outcomes:
            self._seen.pop(o.file, None)
        return outcomes

    def _take(self, path: Path) -> Outcome:
        mapping = mapping_for(path.name, self.routes)
        if mapping is None:
            return self._failed(path, f"no route in {CONFIG_NAME} and no '<mapping>{NAME_SEPARATOR}' prefix")
        t0 = time.monotonic()
        try:
            report = load_one(self.warehouse, self.settings, path, mapping)
        except (*FAILURES, MappingError, OSError) as exc:
            return self._failed(path, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        _move_aside(path, self.incoming / LOADED_DIR)
        line = (f"loaded {path.name}: {report.kind} run {report.run_id}, {report.rows_read:,} read, "
                f"{report.rows_loaded:,} loaded, {report.rows_rejected:,} rejected ({time.monotonic() - t0:.1f} s,"
                f" {published_as(self.warehouse)})")
        self.echo(line)
        return Outcome(path.name, True, line, report)

    def _failed(self, path: Path, message: str) -> Outcome:
        dest = _move_aside(path, self.incoming / FAILED_DIR)
        dest.with_name(dest.name + ".error.txt").write_text(message + "\n", encoding="utf-8")
        line = f"failed {path.name}: {message} (moved to {FAILED_DIR}/)"
        self.echo(line)
        return Outcome(path.name, False, line)


def watch(watcher: Watcher, interval: float, once: bool = False) -> list[Outcome]:
    """Poll every ``interval`` seconds until interrupted; ``once``: two polls (what has landed and
    stands still is loaded), then return."""
    outcomes = watcher.poll()
    while True:
        time.sleep(interval)
        outcomes += watcher.poll()
        if once:
            return outcomes
