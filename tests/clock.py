"""THE test instant: one clock for every test warehouse and every test app of a run.

Taken once, at import, from the real clock in the site's zone (whole minutes), so that a run under
libfaketime (``.ci/run``'s adversarial instants: a Monday 00:30, 1 January, 29 February) builds its
warehouses and pins its apps at the faked instant, and no test sees the clock move during the run.
``VITALS_TEST_NOW=2026-06-01T00:30`` pins it without faketime (reproducing a CI failure locally).
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from etl.settings import Settings

SITE_TZ = ZoneInfo("Asia/Shanghai")


def _the_instant() -> datetime:
    pinned = os.environ.get("VITALS_TEST_NOW")
    if pinned:
        return datetime.fromisoformat(pinned).replace(tzinfo=None, second=0, microsecond=0)
    return datetime.now(SITE_TZ).replace(tzinfo=None, second=0, microsecond=0)


NOW: datetime = _the_instant()


def site_now() -> datetime:
    """The site's 'now' for this run: naive local time, like every warehouse timestamp."""
    return NOW


def site_section() -> dict[str, str]:
    """The ``[site]`` settings section that pins an app to the run's instant."""
    return {"now": NOW.isoformat(timespec="minutes")}


def pinned_config(path: Path, extra_toml: str = "", now: datetime | None = None) -> Path:
    """A ``vitals.toml`` at ``path`` whose ``[site] now`` is the run's instant (for served test apps),
    or ``now`` for a test that pins an instant of its own, followed by ``extra_toml`` (auth tests add
    their ``[auth]`` section)."""
    at = (now or NOW).isoformat(timespec="minutes")
    path.write_text(f'[site]\nnow = "{at}"\n\n{extra_toml}', encoding="utf-8")
    return path


def pinned_settings(warehouse: Path, **kw: Any) -> Settings:
    """``Settings(warehouse=..., **kw)`` with the site clock pinned at the run's instant (other
    ``sections`` given in ``kw`` are kept)."""
    sections = dict(kw.pop("sections", {}))
    sections["site"] = {**sections.get("site", {}), **site_section()}
    return Settings(warehouse=warehouse, sections=MappingProxyType(sections), **kw)


def anchor_day() -> date:
    """The day page tests anchor their preset periods at: yesterday, so that the month, quarter and
    week viewed hold data whatever the run's instant (at 00:10 on 1 January the current ones hold ten
    minutes, and on a Monday at 00:30 the current week half an hour)."""
    return NOW.date() - timedelta(days=1)
