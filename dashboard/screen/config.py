"""Big-screen options from the URL, over the ``[screen]`` config section, over defaults.

URL parameters: ``lang=en``, ``kiosk=1``, ``scale=1.5`` (font/size factor), ``mode=emergency``,
``playlist=overview,stations,hotline,sensors,emergency``, ``dwell=30`` (seconds per screen; 0 = no
rotation), ``refresh=60`` (seconds), ``indicator=open_cases`` (map colouring), ``unit=<code>``
(start the map and every panel at that unit), ``mode=quiet`` (no urgent-case banner or sound).
``drill_return=60`` (seconds before a drilled map returns to the wall's scope; 0 = never).
``[screen]`` also sets ``urgent_tiles`` (6), ``urgent_banner_seconds`` (10), ``urgent_sound`` (true) and
``drill_return_seconds`` (60).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from dashboard.i18n import Lang, lang_of
from dashboard.shell import truthy
from etl.settings import Settings

VIEWS = ("overview", "stations", "hotline", "sensors", "emergency")
MODES = ("normal", "emergency")
MAP_INDICATORS = ("open_cases", "overdue_cases", "open_urgent", "active_alarms", "on_duty", "open_hotline")


@dataclass(frozen=True)
class ScreenConfig:
    lang: Lang = "zh"
    kiosk: bool = False
    scale: float = 1.0
    mode: str = "normal"  # normal | emergency (平战转换)
    playlist: tuple[str, ...] = ("overview",)
    dwell_seconds: int = 0
    refresh_seconds: int = 60
    indicator: str = "open_cases"
    unit: str | None = None
    site_name: str = ""
    site_datum: str = "GCJ-02"
    timezone: str = "Asia/Shanghai"
    tile_url: str | None = None
    tile_datum: str = "GCJ-02"
    tile_attribution: str = ""
    # urgent-case countdowns (dashboard/screen/urgent.py): tiles drawn, banner seconds, sound; quiet = neither
    urgent_max: int = 6
    banner_seconds: int = 10
    sound: bool = True
    quiet: bool = False
    # a drilled map returns to the wall's own scope after this many seconds (0 = stays): a kiosk wall
    # left on one town would keep showing it while the other panels speak of the whole district
    drill_return_seconds: int = 60

    def to_store(self) -> dict[str, Any]:
        data = asdict(self)
        data["playlist"] = list(self.playlist)
        return data

    @staticmethod
    def from_store(data: Mapping[str, Any] | None) -> ScreenConfig:
        data = dict(data or {})
        data["playlist"] = tuple(data.get("playlist") or ("overview",))
        known = set(ScreenConfig.__dataclass_fields__)
        return ScreenConfig(**{k: v for k, v in data.items() if k in known})


def _float(value: object, default: float, lo: float, hi: float) -> float:
    try:
        f = float(str(value))
    except (TypeError, ValueError):
        return default
    return min(hi, max(lo, f)) if f == f else default


def _int(value: object, default: int, lo: int, hi: int) -> int:
    return int(_float(value, default, lo, hi))


def parse(query: Mapping[str, Any], settings: Settings) -> ScreenConfig:
    """Options for one screen; unknown or malformed values fall back to the defaults (never an error)."""
    cfg = settings.section("screen")
    lang = lang_of(query.get("lang") or settings.language)
    raw_playlist = query.get("playlist") or cfg.get("playlist") or "overview"
    if isinstance(raw_playlist, str):
        raw_playlist = raw_playlist.split(",")
    playlist = tuple(v.strip() for v in raw_playlist if str(v).strip() in VIEWS) or ("overview",)
    mode = "emergency" if str(query.get("mode") or cfg.get("mode") or "") == "emergency" else "normal"
    # ?mode=quiet: a normal wall without the new-case banner and sound (a meeting in the hall)
    quiet = str(query.get("mode") or "") == "quiet" or truthy(query.get("quiet"))
    if mode == "emergency" and "playlist" not in query:
        playlist = ("emergency",)
    default_dwell = int(cfg.get("dwell_seconds", 30)) if len(playlist) > 1 else 0
    indicator = str(query.get("indicator") or cfg.get("indicator") or "open_cases")
    default_return = _int(cfg.get("drill_return_seconds", 60), 60, 0, 3600)
    return ScreenConfig(
        lang=lang,
        kiosk=truthy(query.get("kiosk")),
        scale=_float(query.get("scale", cfg.get("scale", 1.0)), 1.0, 0.5, 4.0),
        mode=mode,
        playlist=playlist,
        dwell_seconds=_int(query.get("dwell", default_dwell), default_dwell, 0, 3600),
        refresh_seconds=_int(query.get("refresh", settings.refresh_seconds), settings.refresh_seconds, 5, 3600),
        indicator=indicator if indicator in MAP_INDICATORS else "open_cases",
        unit=str(query["unit"]) if query.get("unit") else None,
        site_name=settings.site_name_en if lang == "en" else settings.site_name_zh,
        site_datum=settings.datum,
        timezone=settings.timezone,
        tile_url=settings.tile_url,
        tile_datum=settings.tile_datum,
        tile_attribution=settings.tile_attribution,
        urgent_max=_int(cfg.get("urgent_tiles", 6), 6, 0, 48),
        banner_seconds=_int(cfg.get("urgent_banner_seconds", 10), 10, 0, 600),
        sound=bool(cfg.get("urgent_sound", True)),
        quiet=quiet,
        drill_return_seconds=_int(query.get("drill_return", default_return), default_return, 0, 3600),
    )
