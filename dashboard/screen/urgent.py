"""Urgent-case countdown tiles on the wall (15 minutes on site, 1 hour first result).

The server draws each tile in its state at the refresh instant (``metrics.urgent``: the rule the
catalog's urgent rates count by) and puts the deadlines on it as epoch milliseconds; assets/urgent.js
runs the clocks every second between refreshes (amber, then red; a breach stays red until the case
is handled), flashes a banner for a new tile and may play assets/urgent.wav. The list carries the
server's instant (``data-now``) so a wall whose own clock is off, or a replay with a pinned
``[site] now``, counts from the site's time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from dash import html

from dashboard import access
from dashboard.i18n import t, t_or
from dashboard.screen import model
from dashboard.screen.config import ScreenConfig
from metrics import urgent as U


@dataclass(frozen=True)
class Step:
    state: str  # met | late | pending | warn | breached
    due_ms: int
    done_ms: int | None


@dataclass(frozen=True)
class Tile:
    case_id: str
    kind: str  # case | alarm
    title: str
    unit: str
    state: str  # bad | warn | ok | done
    reported_ms: int
    arrival: Step
    result: Step


@dataclass(frozen=True)
class UrgentView:
    now_ms: int
    tiles: tuple[Tile, ...]  # worst first, at most ``cfg.urgent_max``
    total: int  # every tile in scope (the rest are counted, not drawn)
    counts: dict[str, int]  # tiles per state
    hidden: dict[str, int]  # of those, not drawn (beyond ``urgent_max``)


def epoch_ms(value: Any, tz: ZoneInfo) -> int | None:
    """A naive site-local timestamp as epoch milliseconds (None for a missing one)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        return None
    return int(ts.to_pydatetime().replace(tzinfo=tz).timestamp() * 1000)


def view(cfg: ScreenConfig, at: datetime) -> UrgentView:
    tz = ZoneInfo(cfg.timezone)
    # the tiles' states change only when an instant of ``tile_changes`` passes: kept per stretch
    tiles, total, counts, hidden = model.live("urgent", cfg, at, U.tile_changes, lambda: _tiles(cfg, at, tz))
    return UrgentView(epoch_ms(at, tz) or 0, tiles, total, counts, hidden)


def _tiles(cfg: ScreenConfig, at: datetime, tz: ZoneInfo) -> tuple[tuple[Tile, ...], int, dict[str, int],
                                                                     dict[str, int]]:
    df = access.mask_rows(U.urgent_tiles(model.day_rows(at), model.base_query(cfg, at), at))
    en = cfg.lang == "en"
    tiles = []
    for r in df.head(cfg.urgent_max).to_dict("records"):
        title = (t_or(f"sensor.{r['alarm_title']}", str(r["alarm_title"]), cfg.lang) if r["kind"] == "alarm"
                 else str(r["title"] or ""))
        unit = (r.get("unit_en") if en and r.get("unit_en") else r.get("unit_zh")) or ""
        tiles.append(Tile(
            str(r["case_id"]), str(r["kind"]), title, str(unit), str(r["state"]), epoch_ms(r["reported_at"], tz) or 0,
            Step(str(r["arrival"]), epoch_ms(r["arrive_by"], tz) or 0, epoch_ms(r["arrived_at"], tz)),
            Step(str(r["result"]), epoch_ms(r["result_by"], tz) or 0, epoch_ms(r["first_result_at"], tz)),
        ))
    counts = {s: int((df["state"] == s).sum()) for s in ("bad", "warn", "ok", "done")}
    rest = df["state"].iloc[cfg.urgent_max:]
    hidden = {s: int((rest == s).sum()) for s in ("bad", "warn", "ok", "done")}
    return tuple(tiles), len(df), counts, hidden


def duration(seconds: float, lang: str = "zh") -> str:
    """12:34, 1:02:03, 2天 03:04 (2d 03:04 in English) — as assets/urgent.js writes it."""
    s = int(abs(seconds))
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    if d:
        return f"{d}{t('urgent.day', lang)} {h:02d}:{m:02d}"
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def step_text(step: Step, now_ms: int, lang: str) -> str:
    if step.state in ("pending", "warn"):
        return f"{t('urgent.left', lang)} {duration((step.due_ms - now_ms) / 1000, lang)}"
    if step.state == "breached":
        return f"{t('urgent.over', lang)} +{duration((now_ms - step.due_ms) / 1000, lang)}"
    if step.state == "late" and step.done_ms is not None:
        return f"✓ {t('urgent.late', lang)} +{duration((step.done_ms - step.due_ms) / 1000, lang)}"
    return "✓"


STEP_CLASS = {"met": "done", "late": "bad", "pending": "ok", "warn": "warn", "breached": "bad"}


def _step(name: str, step: Step, now_ms: int, lang: str) -> html.Div:
    data: dict[str, Any] = {"data-step": name, "data-due": str(step.due_ms), "data-done": str(step.done_ms or "")}
    return html.Div([html.Span(t(f"urgent.{name}", lang), className="scr-ustep-label"),
                     html.Span(step_text(step, now_ms, lang), className="scr-ustep-value")],
                    className=f"scr-ustep is-{STEP_CLASS[step.state]}", **data)


def panel(v: UrgentView, cfg: ScreenConfig) -> list[Any]:
    lang = cfg.lang

    def tile_data(tile: Tile) -> dict[str, Any]:
        return {"data-id": tile.case_id, "data-reported": str(tile.reported_ms),
                "data-label": f"{t(f'urgent.kind.{tile.kind}', lang)}：{tile.title} · {tile.unit}"}

    tiles = [html.Div([
        html.Div([html.Span(t(f"urgent.kind.{tile.kind}", lang), className="scr-utile-kind"),
                  html.Span(tile.title, className="scr-utile-title")], className="scr-utile-head"),
        html.Div([html.Span(tile.unit, className="scr-utile-unit"), " · ", html.Span(t("urgent.since", lang)),
                  " ", html.Span(duration((v.now_ms - tile.reported_ms) / 1000, lang), className="scr-utile-age")],
                 className="scr-utile-sub"),
        _step("arrive", tile.arrival, v.now_ms, lang),
        _step("result", tile.result, v.now_ms, lang),
    ], className=f"scr-utile is-{tile.state}", title=tile.case_id, **tile_data(tile)) for tile in v.tiles]
    more = v.total - len(v.tiles)
    counts: dict[str, Any] = {"data-hidden-bad": str(v.hidden["bad"]), "data-hidden-warn": str(v.hidden["warn"]),
                              "data-total": str(v.total), "data-template": t("urgent.summary", lang)}
    summary = html.Div([
        # assets/urgent.js refills the counts every second from the drawn tiles (+ the hidden ones)
        html.Span(t("urgent.summary", lang, bad=v.counts["bad"], warn=v.counts["warn"], total=v.total),
                  className="scr-urgent-counts", **counts),
        *([html.Span(f" +{more}", className="scr-urgent-more")] if more > 0 else []),
    ], className="scr-urgent-head")
    labels = {k: t(f"urgent.{k}", lang) for k in ("left", "over", "late", "banner", "day")}
    attrs: dict[str, Any] = {"data-now": str(v.now_ms), "data-banner": str(0 if cfg.quiet else cfg.banner_seconds),
             "data-sound": "0" if cfg.quiet or not cfg.sound else "1",
             "data-warn-arrive": str(int(U.WARN_ARRIVE.total_seconds() * 1000)),
             "data-warn-result": str(int(U.WARN_RESULT.total_seconds() * 1000)),
             **{f"data-l-{k}": text for k, text in labels.items()}}
    return [html.Div([summary, html.Div(tiles, className="scr-utiles")],
                     className="scr-urgent-list" + (" is-empty" if not v.total else ""), **attrs)]
