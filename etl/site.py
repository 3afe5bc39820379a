"""The site's facts in ``warehouse_meta`` (name, time zone, datum, level names, hotline name) and changing them.

A new warehouse takes them from ``vitals.toml`` [site]; after that the warehouse's own record is what
the ETL converts to. Changing the zone re-expresses every stored local time (an instant stays the
same instant); changing the datum converts every stored point and polygon. Run inside
``etl.snapshots.writer``: readers see the old or the new site, never a mix.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import numpy as np
import pandas as pd

from etl import schema
from etl.datum import convert as datum_convert
from etl.rollups import build_rollups
from etl.settings import DATUMS, ConfigError, Settings

# Local-time meta values (the demo's pinned 'now') move with the zone like the stored times.
LOCAL_META_KEYS = ("now", "data_now")


@dataclass(frozen=True)
class SiteChange:
    name_zh: str | None = None
    name_en: str | None = None
    timezone: str | None = None
    datum: str | None = None
    # level -> (Chinese name, English name); None keeps that language's name
    level_names: Mapping[str, tuple[str | None, str | None]] = field(default_factory=dict)
    # what the site calls its citizen hotline (a US city's 311): page titles, the wall, the briefings
    hotline_name_zh: str | None = None
    hotline_name_en: str | None = None


def site_facts(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return {str(k): str(v) for k, v in con.execute("SELECT key, value FROM warehouse_meta").fetchall()}


def level_names(facts: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """``warehouse_meta.level_names`` (JSON {level: {"zh": ..., "en": ...}}), empty when not set."""
    try:
        raw = json.loads(facts.get("level_names", "{}"))
    except json.JSONDecodeError:
        return {}
    return {str(k): {str(a): str(b) for a, b in v.items()} for k, v in raw.items() if isinstance(v, dict)}


def config_differences(facts: Mapping[str, str], settings: Settings) -> list[str]:
    """Where vitals.toml sets a zone or datum unlike the warehouse's: the warehouse's record wins for the
    data (a config edited after the first load changes nothing by itself)."""
    declared = settings.section("site")
    pairs = (("timezone", settings.timezone), ("datum", settings.datum))
    return [f"vitals.toml [site] {key} = {want} but this warehouse's site is {facts[key]}: loads convert to"
            f" {facts[key]}; `vitals site set --{key} {want}` changes the warehouse"
            for key, want in pairs if key in declared and key in facts and facts[key] != want]


def _check_zone(zone: str) -> None:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"unknown time zone {zone!r} (an IANA name such as America/New_York)") from exc


def set_site(con: duckdb.DuckDBPyConnection, change: SiteChange) -> list[str]:
    """Apply ``change``; returns one line per thing changed."""
    facts = site_facts(con)
    done: list[str] = []
    if change.timezone and change.timezone != facts.get("timezone"):
        _check_zone(change.timezone)
        old = facts.get("timezone", Settings.timezone)
        n = reexpress_times(con, old, change.timezone)
        build_rollups(con)  # every anchor moved to another local day: partitions are rebuilt whole
        done.append(f"timezone {old} → {change.timezone}: {n:,} stored times re-expressed")
        _put(con, "timezone", change.timezone)
    if change.datum and change.datum != facts.get("datum"):
        if change.datum not in DATUMS:
            raise ConfigError(f"datum must be one of {', '.join(DATUMS)}, not {change.datum!r}")
        old = facts.get("datum", Settings.datum)
        n = convert_points(con, old, change.datum)
        done.append(f"datum {old} → {change.datum}: {n:,} points and polygons converted")
        _put(con, "datum", change.datum)
    for key, value in (("site_name_zh", change.name_zh), ("site_name_en", change.name_en),
                       ("hotline_name_zh", change.hotline_name_zh), ("hotline_name_en", change.hotline_name_en)):
        if value is not None and value != facts.get(key):
            _put(con, key, value)
            done.append(f"{key} = {value}")
    if change.level_names:
        names = level_names(facts)
        for level, (zh, en) in change.level_names.items():
            if level not in schema.LEVELS:
                raise ConfigError(f"unknown level {level!r}; levels: {', '.join(schema.LEVELS)}")
            entry = names.setdefault(level, {})
            for lang, value in (("zh", zh), ("en", en)):
                if value is not None:
                    entry[lang] = value
            done.append(f"level {level}: {', '.join(f'{k} {v}' for k, v in entry.items())}")
        _put(con, "level_names", json.dumps(names, ensure_ascii=False, sort_keys=True))
    return done


def _put(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute("INSERT INTO warehouse_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET"
                " value = excluded.value", [key, value])


def local_time_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(table, column) of every stored local time: TIMESTAMP columns of the schema not kept in UTC."""
    present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    return [(t.name, c.name) for t in schema.TABLES if t.name in present
            for c in t.columns if c.type == "TIMESTAMP" and "(UTC)" not in c.doc]


def reexpress_times(con: duckdb.DuckDBPyConnection, old: str, new: str) -> int:
    """Every local time of zone ``old`` becomes the same instant's local time in ``new``."""
    n = 0
    for table, col in local_time_columns(con):  # identifiers from etl.schema only
        n += int(con.execute(f'SELECT count("{col}") FROM {table}').fetchone()[0])  # type: ignore[index]
        con.execute(f'UPDATE {table} SET "{col}" = timezone($2, timezone($1, "{col}")) WHERE "{col}" IS NOT NULL',
                    [old, new])
    for key in LOCAL_META_KEYS:
        row = con.execute("SELECT value FROM warehouse_meta WHERE key = ?", [key]).fetchone()
        if row and row[0]:
            t = datetime.fromisoformat(str(row[0])).replace(tzinfo=ZoneInfo(old)).astimezone(ZoneInfo(new))
            _put(con, key, t.replace(tzinfo=None).isoformat(sep=" "))
    return n


def convert_points(con: duckdb.DuckDBPyConnection, old: str, new: str) -> int:
    """Every stored lon/lat pair and unit polygon from datum ``old`` to ``new``."""
    from etl.load import convert_geojson

    n = 0
    present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    for t in schema.TABLES:
        if t.name not in present or not {"lon", "lat"} <= set(t.column_names):
            continue
        df = con.execute(f"SELECT rowid AS rid, lon, lat FROM {t.name} WHERE lon IS NOT NULL AND lat IS NOT NULL").df()
        if df.empty:
            continue
        lon, lat = datum_convert(df["lon"].to_numpy(np.float64), df["lat"].to_numpy(np.float64), old, new)
        con.register("__pts", pd.DataFrame({"rid": df["rid"].to_numpy(), "lon": lon, "lat": lat}))
        try:
            con.execute(f"UPDATE {t.name} SET lon = p.lon, lat = p.lat FROM __pts p WHERE {t.name}.rowid = p.rid")
        finally:
            con.unregister("__pts")
        n += len(df)
    geo = con.execute("SELECT unit_code, geojson FROM unit_geometry WHERE geojson IS NOT NULL").df()
    if not geo.empty:
        out = convert_geojson(geo["geojson"].to_numpy(object), old, new)
        out["unit_code"] = geo["unit_code"].to_numpy(object)
        con.register("__geo", out)
        try:
            con.execute("UPDATE unit_geometry SET geojson = g.geojson, datum = $1, min_lon = g.min_lon,"
                        " min_lat = g.min_lat, max_lon = g.max_lon, max_lat = g.max_lat FROM __geo g"
                        " WHERE unit_geometry.unit_code = g.unit_code", [new])
        finally:
            con.unregister("__geo")
        n += len(geo)
    return n
