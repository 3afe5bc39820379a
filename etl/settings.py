"""Site configuration, shared by every layer.

`etl` owns the warehouse definition (schema, snapshot layout, settings); `metrics` and `dashboard`
import these definitions read-only. Configuration comes from a TOML file (``VITALS_CONFIG`` or
``./vitals.toml``) with environment overrides for the few values an operator changes per process.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"
REFERENCE_DIR = DATA_DIR / "reference"
DEFAULT_WAREHOUSE = DATA_DIR / "vitals.duckdb"

DATUMS = ("WGS-84", "GCJ-02", "BD-09")


class ConfigError(ValueError):
    """A configuration file or value that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    warehouse: Path = DEFAULT_WAREHOUSE
    site_name_zh: str = "青浦区"
    site_name_en: str = "Qingpu District"
    # Timestamps in the warehouse are naive local times of this zone (a command-hall "day" is local).
    timezone: str = "Asia/Shanghai"
    # Datum every stored coordinate and geometry is converted to at load time.
    datum: str = "GCJ-02"
    language: str = "zh"
    # Big screen
    refresh_seconds: int = 60
    tile_url: str | None = None
    tile_datum: str = "GCJ-02"
    tile_attribution: str = ""
    # Sections of the TOML file owned by other layers (metrics overrides, screen playlists, auth...).
    sections: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def section(self, name: str) -> Mapping[str, Any]:
        value = self.sections.get(name, {})
        return value if isinstance(value, Mapping) else {}


def _config_path(explicit: Path | None, env: Mapping[str, str]) -> Path | None:
    if explicit is not None:
        return explicit
    if env.get("VITALS_CONFIG"):
        return Path(env["VITALS_CONFIG"])
    local = Path.cwd() / "vitals.toml"
    return local if local.exists() else None


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read settings from TOML (optional) and the environment (``VITALS_WAREHOUSE``)."""
    env = os.environ if env is None else env
    raw: dict[str, Any] = {}
    cfg = _config_path(path, env)
    if cfg is not None:
        try:
            raw = tomllib.loads(cfg.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"config file not found: {cfg}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {cfg} is not valid TOML: {exc}") from exc
    site = raw.get("site", {})
    screen = raw.get("screen", {})
    warehouse = env.get("VITALS_WAREHOUSE") or raw.get("warehouse", {}).get("path") or DEFAULT_WAREHOUSE
    datum = str(site.get("datum", "GCJ-02"))
    tile_datum = str(screen.get("tile_datum", datum))
    for name, value in (("site.datum", datum), ("screen.tile_datum", tile_datum)):
        if value not in DATUMS:
            raise ConfigError(f"{name} must be one of {', '.join(DATUMS)}, not {value!r}")
    refresh = int(screen.get("refresh_seconds", 60))
    if refresh < 5:
        raise ConfigError("screen.refresh_seconds must be at least 5")
    return Settings(
        warehouse=Path(warehouse),
        site_name_zh=str(site.get("name_zh", Settings.site_name_zh)),
        site_name_en=str(site.get("name_en", Settings.site_name_en)),
        timezone=str(site.get("timezone", Settings.timezone)),
        datum=datum,
        language=str(site.get("language", "zh")),
        refresh_seconds=refresh,
        tile_url=screen.get("tile_url") or None,
        tile_datum=tile_datum,
        tile_attribution=str(screen.get("tile_attribution", "")),
        sections=MappingProxyType(raw),
    )
