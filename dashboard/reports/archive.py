"""The briefing archive under the data folder: ``reports/<scope>/<kind>-<period>.pdf|.xlsx`` and an
``index.json`` listing them. Re-running a period replaces its files and its index entry (idempotent);
files are written beside their target and moved into place, the index under a file lock, so two runs
(two timers, or a run and a reader) never see half a file."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from etl.settings import Settings

INDEX = "index.json"
_SAFE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_LABEL = re.compile(r"^\d{4}-(\d{2}|W\d{2})$")


@dataclass(frozen=True)
class Entry:
    kind: str  # monthly | weekly
    scope: str  # a unit code, or "" for the whole warehouse
    scope_name: str
    label: str  # 2026-11 | 2026-W47
    period_text: str
    start: str  # ISO date, inclusive
    end: str  # ISO date, exclusive
    generated_at: str
    data_now: str
    summary: tuple[str, ...]

    @property
    def stem(self) -> str:
        return f"{self.scope or 'all'}/{self.kind}-{self.label}"

    def path(self, root: Path, fmt: str) -> Path:
        if fmt not in ("pdf", "xlsx"):
            raise ValueError(f"unknown report format {fmt!r}")
        return root / f"{self.stem}.{fmt}"


def root_of(settings: Settings) -> Path:
    """``[reports] dir`` if set, else ``reports/`` beside the warehouse link (the data folder)."""
    configured = settings.section("reports").get("dir")
    return Path(str(configured)) if configured else Path(settings.warehouse).parent / "reports"


def check_names(kind: str, scope: str, label: str) -> None:
    """Path parts come from our own parsing, but are checked again before they touch the disk."""
    if kind not in ("monthly", "weekly") or (scope and not _SAFE.match(scope)) or not _LABEL.match(label):
        raise ValueError(f"unusable report name {kind!r} {scope!r} {label!r}")


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def read_index(root: Path) -> tuple[Entry, ...]:
    """Every archived briefing, newest period first; an absent archive is empty."""
    try:
        raw = json.loads((root / INDEX).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ()
    entries = [Entry(**{**e, "summary": tuple(e.get("summary", ()))}) for e in raw.get("reports", [])]
    return tuple(sorted(entries, key=lambda e: (e.start, e.kind, e.scope), reverse=True))


def write_files(root: Path, entry: Entry, files: dict[str, bytes]) -> None:
    check_names(entry.kind, entry.scope, entry.label)
    for fmt, content in files.items():
        target = entry.path(root, fmt)
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        part.write_bytes(content)
        os.replace(part, target)


def record(root: Path, entry: Entry) -> None:
    """Add ``entry`` to the index, replacing the one for the same kind, scope and period."""
    check_names(entry.kind, entry.scope, entry.label)
    with _locked(root):
        keep = [e for e in read_index(root) if (e.kind, e.scope, e.label) != (entry.kind, entry.scope, entry.label)]
        body = {"reports": [asdict(e) for e in sorted([*keep, entry], key=lambda e: (e.start, e.kind, e.scope))]}
        part = root / (INDEX + ".part")
        part.write_text(json.dumps(body, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(part, root / INDEX)
