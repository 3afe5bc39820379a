"""The shape of the loaded hierarchy: which of the level slots a site uses and what it calls them.

``org_unit.level`` is one of the six fixed slots ``city → district → town → grid → village → microgrid``
(``etl.schema.LEVELS``; fact rows carry a code column per slot but the lowest), and a site fills only
the slots its hierarchy has, 1 to 6 of them: New York's city → community districts uses ``district``
and ``grid`` and no ``town``; a 6-level Chinese city uses all six.
So "the level below X" is the next slot *in use*, never the next slot of the list, and a level's
display name is the one the site declares (``warehouse_meta.level_names``, JSON written by
``vitals site set --level grid=社区/Community district``; ``etl.site.level_names``), else ours.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from etl.schema import LEVELS, PATH_LEVELS
from etl.site import level_names


@dataclass(frozen=True)
class Level:
    slot: str  # one of etl.schema.LEVELS
    units: int  # how many units the slot holds
    shaped: int  # how many of them have a polygon
    name_zh: str | None = None  # declared by the data; None: the standard name of the slot
    name_en: str | None = None


@dataclass(frozen=True)
class Hierarchy:
    levels: tuple[Level, ...]  # the slots in use, top first

    @property
    def slots(self) -> tuple[str, ...]:
        return tuple(lv.slot for lv in self.levels)

    def below(self, slot: str | None) -> str | None:
        """The first slot in use under ``slot`` (None: under the whole jurisdiction, i.e. under the root
        level); None when ``slot`` is the lowest level in use."""
        used = [s for s in self.slots if s in PATH_LEVELS]
        if slot is None:
            return used[1] if len(used) > 1 else (used[0] if used else None)
        rank = LEVELS.index(slot) if slot in LEVELS else len(LEVELS)
        return next((s for s in used if LEVELS.index(s) > rank), None)

    def under(self, slot: str | None) -> tuple[str, ...]:
        """Every slot in use below ``slot`` (the whole hierarchy below the root for None), top first."""
        first = self.below(slot)
        if first is None:
            return ()
        return tuple(s for s in self.slots if s in PATH_LEVELS and LEVELS.index(s) >= LEVELS.index(first))

    def level(self, slot: str) -> Level | None:
        return next((lv for lv in self.levels if lv.slot == slot), None)


def hierarchy(con: duckdb.DuckDBPyConnection) -> Hierarchy:
    """The slots ``org_unit`` uses (with unit and polygon counts) and their declared names."""
    counts = {str(lv): (int(n), int(s)) for lv, n, s in con.execute(
        "SELECT o.level, count(*), count(g.unit_code) FROM org_unit o "
        "LEFT JOIN unit_geometry g USING (unit_code) GROUP BY o.level").fetchall()}
    row = con.execute("SELECT value FROM warehouse_meta WHERE key = 'level_names'").fetchone()
    names = level_names({"level_names": str(row[0])} if row and row[0] else {})
    return Hierarchy(tuple(
        Level(slot, *counts[slot], names.get(slot, {}).get("zh") or None, names.get(slot, {}).get("en") or None)
        for slot in LEVELS if slot in counts))


def child_of(con: duckdb.DuckDBPyConnection, slot: str | None) -> str:
    """The level a breakdown of a unit at ``slot`` groups by: the next slot in use below it, or the
    unit's own slot for the lowest level (its one row). Unknown hierarchy (no units): ``town``."""
    # only the slots (no polygon counts, no names): this runs in every breakdown of a page
    used = {str(r[0]) for r in con.execute("SELECT DISTINCT level FROM org_unit").fetchall()}
    h = Hierarchy(tuple(Level(lv, 0, 0) for lv in LEVELS if lv in used))
    below = h.below(slot)
    if below is not None:
        return below
    return slot if slot in PATH_LEVELS else (h.slots[-1] if h.slots else "town")
