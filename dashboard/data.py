"""Per-request, read-only access to the current warehouse snapshot.

One read-only DuckDB connection per process is cached on the Flask server object (never in a module
global) and re-opened when the ``vitals.duckdb`` symlink points at a new snapshot. Each request gets
its own cursor (``connection()``), closed when the request ends.

``per_snapshot`` values live on the same object: one cache per app and process, keyed by the
snapshot file. That is safe under gunicorn because a snapshot is immutable (a load publishes a new
file and moves the link), so every worker computes the same value for the same key and nothing has
to be shared or invalidated between workers; a worker only pays for its own first computation,
which the warm-up thread (``add_warmer``/``start_warming``) does before a viewer asks. Values must
be treated as read-only by callers.

Errors never reach the user as a traceback: ``guarded`` turns a missing warehouse or a failed query
into a friendly ``message`` component.

    from dashboard import data
    con = data.connection()                      # inside a layout function or a callback
    q = access.scoped(Query(period=...))         # every Query passes the access gate
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

import duckdb
import flask
from dash import html

from dashboard.i18n import t, t_or
from etl.settings import Settings
from metrics.connection import WarehouseMissing, open_readonly, snapshot_path
from metrics.explore import OpenOverdue
from metrics.explore import open_overdue as explore_open_overdue
from metrics.hierarchy import Hierarchy
from metrics.hierarchy import hierarchy as read_hierarchy
from metrics.indicators import data_now as read_data_now
from metrics.query import GRAINS, Period, QueryError
from metrics.status import source_extents
from metrics.status import warehouse_meta as read_warehouse_meta

log = logging.getLogger(__name__)

EXTENSION_KEY = "city_vitals"
_G_CURSOR = "city_vitals_cursor"
_G_TARGET = "city_vitals_snapshot"

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class Warehouse:
    """The process's read-only connection, re-opened when the published snapshot changes."""

    settings: Settings
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _con: duckdb.DuckDBPyConnection | None = field(default=None, repr=False)
    _target: Path | None = None
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)
    _memo_target: Path | None = None
    _bounded: dict[str, list[str]] = field(default_factory=dict, repr=False)  # family → its keys, oldest first
    _inflight: dict[tuple[Path, str], threading.Event] = field(default_factory=dict, repr=False)
    _warmers: list[Callable[[], object]] = field(default_factory=list, repr=False)
    _warming: threading.Thread | None = field(default=None, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def path(self) -> Path:
        return Path(self.settings.warehouse)

    def snapshot(self) -> Path:
        """The snapshot file the warehouse link points at right now."""
        return snapshot_path(self.path)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new cursor on the current snapshot (raises WarehouseMissing when nothing is loaded)."""
        return self.cursor_and_snapshot()[0]

    def cursor_and_snapshot(self) -> tuple[duckdb.DuckDBPyConnection, Path]:
        target = self.snapshot()
        with self._lock:
            if self._con is None or target != self._target:
                # The old connection is dropped, not closed: cursors of requests still running keep
                # its database alive until they finish (the ETL deletes old snapshots after a grace period).
                self._con = open_readonly(self.path)
                self._target = target
            return self._con.cursor(), target

    def _touch(self, family: str, key: str, limit: int) -> None:
        """Mark ``key`` the most recently used of its family and drop the least recently used beyond
        ``limit`` (caller holds the lock)."""
        keys = self._bounded.setdefault(family, [])
        if key in keys:
            keys.remove(key)
        keys.append(key)
        while len(keys) > max(limit, 1):
            self._memo.pop(keys.pop(0), None)

    def memo(
        self, key: str, compute: Callable[[duckdb.DuckDBPyConnection], R], con: duckdb.DuckDBPyConnection, target: Path,
        family: str | None = None, limit: int = 0,
    ) -> R:
        """``compute(con)`` once per snapshot and key (geometry, extents: things only a load changes).

        ``target`` is the snapshot ``con`` reads, so a request that started before a swap never
        caches old data under the new snapshot. Single flight: while one thread computes a key, the
        others asking for it wait for its result instead of running the same scan in parallel (the
        first requests after a load, or a request racing the warm-up thread, used to compute each
        cold value several times over on a 2-core server).
        """
        while True:
            with self._lock:
                if target != self._memo_target:
                    self._memo.clear()
                    self._bounded.clear()
                    self._memo_target = target
                if key in self._memo:
                    if family is not None:
                        self._touch(family, key, limit)
                    return self._memo[key]
                flight = self._inflight.get((target, key))
                owner = flight is None
                if owner:
                    flight = self._inflight[(target, key)] = threading.Event()
            assert flight is not None
            if owner:
                break
            flight.wait(timeout=120)  # then look again: the owner stored the value, or failed and we try
        try:
            value = compute(con)
            with self._lock:
                if target == self._memo_target:
                    self._memo[key] = value
                    if family is not None:
                        self._touch(family, key, limit)
            return value
        finally:
            with self._lock:
                self._inflight.pop((target, key), None)
            flight.set()

    # --- warm-up ---------------------------------------------------------------------------------

    def add_warmer(self, warm: Callable[[], object]) -> None:
        """Run ``warm()`` (inside an app context) at start and whenever a new snapshot or day appears.

        Pages register what their first request would otherwise compute cold (the big screen: its
        30-day indicators and the day's rows), so no viewer waits for it. Nothing runs until
        ``start_warming`` (the served app does that; tests and scripts creating apps do not).
        """
        self._warmers.append(warm)

    def start_warming(self, server: flask.Flask, interval: float = 5.0) -> None:
        """Start the process's warm-up thread (idempotent; a daemon, so it never holds up shutdown).

        Each gunicorn worker runs its own (workers are forked before the app is created: no preload),
        filling that worker's per-snapshot cache.
        """
        with self._lock:
            if self._warming is not None or not self._warmers:
                return
            self._warming = threading.Thread(target=self._warm_loop, args=(server, interval),
                                             name="city-vitals-warmer", daemon=True)
        self._warming.start()

    def _warm_loop(self, server: flask.Flask, interval: float) -> None:
        done: tuple[Path, str] | None = None
        while not self._stop.is_set():
            try:
                state = (self.snapshot(), site_now(self.settings).date().isoformat())
            except (WarehouseMissing, OSError):
                state = None
            if state is not None and state != done:
                started = time.perf_counter()
                ok = True
                for warm in list(self._warmers):
                    try:
                        with server.app_context():  # its teardown closes the cursor warm() opened
                            warm()
                    except Exception:  # a warm-up failure only costs the first viewer some time
                        ok = False
                        log.exception("warm-up %s failed", getattr(warm, "__qualname__", warm))
                log.info("warmed %s in %.1f s", state[0].name, time.perf_counter() - started)
                done = state if ok else None
            self._stop.wait(interval)

    def stop_warming(self, timeout: float = 30.0) -> None:
        """Stop the warm-up thread and wait for a warm-up in progress to finish (tests, shutdown)."""
        self._stop.set()
        thread = self._warming
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)


def install(server: flask.Flask, settings: Settings) -> Warehouse:
    """Attach the warehouse and settings to the server and close request cursors on teardown."""
    wh = Warehouse(settings)
    server.extensions[EXTENSION_KEY] = wh

    @server.teardown_appcontext
    def _close_cursor(_exc: BaseException | None) -> None:
        flask.g.pop(_G_TARGET, None)
        cur = flask.g.pop(_G_CURSOR, None)
        if cur is not None:
            with contextlib.suppress(duckdb.Error):  # a cursor of a dropped connection
                cur.close()

    return wh


def warehouse(server: flask.Flask | None = None) -> Warehouse:
    app = server or flask.current_app
    return app.extensions[EXTENSION_KEY]


def settings() -> Settings:
    """The settings the running app was created with."""
    return warehouse().settings


def metrics_config() -> Mapping[str, Any]:
    """The site's ``[metrics]`` section (targets, weights, bands ...) of the settings the app was created
    with: a page passes it as ``overrides=`` to every metrics call that takes one (the metrics layer
    reads no configuration of its own). Read it in the request, not inside a ``per_snapshot`` compute."""
    return settings().section("metrics")


def connection() -> duckdb.DuckDBPyConnection:
    """The request's cursor on the current snapshot (one per request, opened on first use)."""
    cur = flask.g.get(_G_CURSOR)
    if cur is None:
        cur, target = warehouse().cursor_and_snapshot()
        flask.g.setdefault(_G_CURSOR, cur)
        flask.g.setdefault(_G_TARGET, target)
    return cur


def current_snapshot() -> Path:
    """The snapshot file the request's cursor reads."""
    connection()
    return flask.g.get(_G_TARGET)


def per_snapshot(key: str, compute: Callable[[duckdb.DuckDBPyConnection], R]) -> R:
    """A value computed once per published snapshot (per process), e.g. unit polygons."""
    con = connection()
    return warehouse().memo(key, compute, con, current_snapshot())


def data_now() -> datetime | None:
    """The data's 'now' (``metrics.indicators.data_now``'s rule) of the request's snapshot, read once per
    snapshot: it changes only with a load, and a page passes it to each metrics call that needs it
    (``now=``) instead of each reading ``warehouse_meta`` again."""
    return per_snapshot("metrics.data_now", read_data_now)


def site_facts() -> Mapping[str, str]:
    """The site as the warehouse records it (``warehouse_meta``: what `vitals site set` writes), read once
    per snapshot; empty without a warehouse (the sign-in page, a fresh install) or outside an app (a
    helper called on its own): the defaults then apply."""
    if not flask.has_app_context():
        return {}
    try:
        return per_snapshot("site.facts", read_warehouse_meta)
    except (WarehouseMissing, duckdb.Error):
        return {}


def site_zone() -> str:
    """The site's time zone as the warehouse records it (what stored times are in), else vitals.toml's."""
    return site_facts().get("timezone") or settings().timezone


def site_text(facts: Mapping[str, str], key: str, lang: object, fallback: str) -> str:
    """``{key}_zh`` / ``{key}_en`` of the warehouse's record ``facts`` (a `vitals site set` after the first
    load wins, like its zone), else ``fallback``. Pages pass ``site_facts()``; `vitals report` its own read."""
    return facts.get(f"{key}_{'en' if lang == 'en' else 'zh'}") or fallback


def site_name(lang: object) -> str:
    """The site's name (``vitals site set --name``), else vitals.toml [site]'s."""
    cfg = settings()
    return site_text(site_facts(), "site_name", lang, cfg.site_name_en if lang == "en" else cfg.site_name_zh)


def hotline_name(lang: object) -> str:
    """What the site calls its citizen hotline (``vitals site set --hotline-name 311``): 12345 热线 /
    12345 hotline unless set."""
    return site_text(site_facts(), "hotline_name", lang, t("hotline.name", lang))


def hotline_short(lang: object) -> str:
    """The hotline's name where a measure follows it ("12345满意率", "311满意率"): without the word
    热线 / hotline the default name carries."""
    name = hotline_name(lang)
    short = name.removesuffix("热线").removesuffix(" hotline").removesuffix(" Hotline").strip()
    return short or name


def source_label(key: str, lang: object) -> str:
    """A source's name on the data-status page and the wall's freshness chips: the hotline is the site's."""
    return hotline_name(lang) if key == "hotline" else t_or(f"source.{key}", key, lang)


def data_start(source: str) -> datetime | None:
    """When a source's data begins (its earliest timestamp: ``metrics.status.source_extents``, the
    data-status page's figures, kept under the same key). Before it a day has no data rather than no
    cases, and a previous period reaching back before it is only partly covered."""
    extents = per_snapshot("status.extents", source_extents)
    return next((e.first for e in extents if e.key == source), None)


# Sources whose last timestamp says when the data ends (rosters are planned ahead; alarms follow readings).
EVENT_SOURCES = ("cases", "hotline", "readings")
# Data whose end lies further back than this is historical: pages and the wall show where it ends,
# not today. A live feed that stalled for a few days stays on today (its 数据滞后 badges say so).
LIVE_DAYS = 7


def data_end() -> datetime | None:
    """When the request's snapshot's data ends: the recorded 'now' (``data_now``) if the ETL wrote one,
    else the latest event timestamp of cases, hotline orders and readings. None for a warehouse
    without events."""
    recorded = data_now()
    if recorded is not None:
        return recorded
    extents = per_snapshot("status.extents", source_extents)
    lasts = [e.last for e in extents if e.key in EVENT_SOURCES and e.last is not None]
    return max(lasts) if lasts else None


def data_ended() -> datetime | None:
    """The data's end when the data is historical (it ended more than ``LIVE_DAYS`` before the site's
    clock), else None: the data is live and 'now' is the site's clock."""
    end = data_end()
    if end is None or end >= site_now() - timedelta(days=LIVE_DAYS):
        return None
    return end


def historical() -> bool:
    """True when the request's data is historical (``data_ended``): a period holding its end runs "to the
    data's end", not "to date". False outside an app (a helper called on its own) or without a warehouse."""
    if not flask.has_app_context():
        return False
    try:
        return data_ended() is not None
    except (WarehouseMissing, duckdb.Error):
        return False


def data_begin() -> datetime | None:
    """When the snapshot's events begin (the earliest of cases, hotline orders and readings)."""
    firsts = [e.first for e in per_snapshot("status.extents", source_extents)
              if e.key in EVENT_SOURCES and e.first is not None]
    return min(firsts) if firsts else None


def last_full_anchor(grain: str, begin: datetime | None, end: datetime) -> date:
    """A day inside the period of ``grain`` that historical data ending at ``end`` shows by default: the
    last FULL period (the data reaches its last day: data ending 2018-10-22 opens on September, data
    ending 31 December on December), or the period holding ``end`` when the full one before it holds no
    data (a two-day sample opens on its own month, not on an empty one)."""
    if grain not in GRAINS or grain == "custom":
        return end.date()
    held = Period.containing(grain, end.date())
    if end.date() >= (held.end - timedelta(days=1)).date():
        return end.date()
    previous_last = held.start.date() - timedelta(days=1)
    return end.date() if begin is not None and begin.date() > previous_last else previous_last


def view_anchor(grain: str) -> date:
    """The day a preset period of ``grain`` (day/week/month/quarter/year) is anchored at when the URL names
    none: today at the site while the data is live, else within the data's last full period
    (``last_full_anchor``; the page says "数据截至 …")."""
    ended = data_ended()
    return site_now().date() if ended is None else last_full_anchor(grain, data_begin(), ended)


def view_now() -> datetime:
    """The instant pages and the wall treat as 'now': the site's clock while the data is live, the
    data's end when it is historical (an export that ends in 2018 opens on its last day, not on an
    empty today). Default periods, the wall's day and its 30-day window are anchored on it."""
    return data_ended() or site_now()


def hierarchy() -> Hierarchy:
    """The levels the snapshot's hierarchy uses and their declared names (``metrics.hierarchy``)."""
    return per_snapshot("metrics.hierarchy", read_hierarchy)


def level_name(slot: str, lang: object) -> str | None:
    """The name the data declares for a level in ``lang`` (None: the caller's standard name of the slot)."""
    lv = hierarchy().level(slot)
    if lv is None:
        return None
    return lv.name_en if str(lang or "").lower().startswith("en") else lv.name_zh


def open_overdue() -> OpenOverdue | None:
    """Every case open past its deadline at the data's 'now' (``metrics.explore.open_overdue``), kept
    per snapshot: the overdue lists of every current period filter these few thousand rows instead of
    scanning the million cases. None without a recorded 'now' (no fixed instant to keep it for)."""
    now = data_now()
    if now is None:
        return None
    return per_snapshot("explore.open_overdue", lambda con: explore_open_overdue(con, now))


def per_snapshot_bounded(family: str, key: str, compute: Callable[[duckdb.DuckDBPyConnection], R],
                         limit: int) -> R:
    """Like ``per_snapshot`` for values keyed by a request parameter (e.g. a past period's as-of instant):
    at most ``limit`` keys of ``family`` are kept per snapshot, the least recently used dropped first, so
    memory stays bounded however many periods viewers browse."""
    con = connection()
    return warehouse().memo(f"{family}\x00{key}", compute, con, current_snapshot(), family, limit)


def message(kind: str, lang: object, detail: str | None = None) -> html.Div:
    """A calm, translated notice for a missing warehouse, a failed query or a bad filter."""
    body = detail if detail is not None else t(f"error.{kind}.body", lang)
    return html.Div(
        [html.H2(t(f"error.{kind}.title", lang)), html.P(body)],
        className=f"cv-message cv-message-{kind}",
        role="status",
    )


def error_kind(exc: BaseException) -> str:
    if isinstance(exc, WarehouseMissing):
        return "missing"
    if isinstance(exc, QueryError):
        return "input"
    return "query"


def guarded(lang_arg: str = "lang") -> Callable[[Callable[P, R]], Callable[P, R | html.Div]]:
    """Decorate a layout/render function: data errors become ``message`` components.

    The language is read from the keyword argument ``lang_arg`` (``?lang=en`` in a page layout).
    """

    def deco(fn: Callable[P, R]) -> Callable[P, R | html.Div]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | html.Div:
            try:
                return fn(*args, **kwargs)
            except (WarehouseMissing, QueryError, duckdb.Error, KeyError, ValueError) as exc:
                kind = error_kind(exc)
                if kind == "query":
                    log.exception("data error in %s", fn.__qualname__)
                lang: Any = kwargs.get(lang_arg)
                return message(kind, lang, str(exc) if kind == "input" else None)

        return wrapper

    return deco


def site_now(cfg: Settings | None = None) -> datetime:
    """Wall-clock time in the site time zone, naive (like every warehouse timestamp).

    ``[site] now = "2026-07-01T10:00"`` in the config pins it (replaying an old snapshot, demos).
    """
    cfg = cfg or settings()
    pinned = cfg.section("site").get("now")
    if pinned:
        return datetime.fromisoformat(str(pinned))
    return datetime.now(ZoneInfo(cfg.timezone)).replace(tzinfo=None)
