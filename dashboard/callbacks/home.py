"""Data-status page (/): render the status of every source; re-read it on every tick."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import dash
from dash import Input, Output, State, html

from dashboard import access, data
from dashboard.i18n import age_text, t, t_or
from dashboard.pages.home_ids import HomeIds
from etl.schema import LEVELS
from metrics import status
from metrics.unit_scope import unit_subtree


def register(app: dash.Dash) -> None:
    @app.callback(
        Output(HomeIds.CONTENT, "children"),
        Input(HomeIds.TICK, "n_intervals"),
        State(HomeIds.LANG, "data"),
        prevent_initial_call=True,
    )
    def _refresh(_n: int | None, lang: str | None) -> object:
        return render(lang=lang or "zh")


def _fmt_dt(value: object, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.strftime(fmt) if hasattr(value, "strftime") else "—"


def _fmt_int(value: object) -> str:
    try:
        return f"{int(value):,}"  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return "—"


@data.guarded()
def render(lang: str = "zh") -> html.Div:
    cfg = data.settings()
    con = data.connection()
    scope = access.current_principal().scope
    # Everything on the page is of the principal's unit subtree; the ETL run log is of the whole
    # warehouse, so only principals without a scope see it.
    subtree = None if scope is None else unit_subtree(con, scope)
    extents = data.per_snapshot_bounded("status.extents", scope or "", lambda c: status.source_extents(c, subtree),
                                        limit=64)
    fresh = status.freshness(extents, data.site_now(cfg), cfg.section("freshness"))
    meta = status.warehouse_meta(con)
    units = status.unit_counts(con, subtree)
    runs = status.recent_runs(con, 8) if scope is None else None
    site = data.site_name(lang)
    zone = data.site_zone()  # data times are stored in it; load times (kept in UTC) are shown in it too
    facts = html.Dl(
        className="cv-facts",
        children=[
            html.Dt(t("home.site", lang)),
            html.Dd(site),
            html.Dt(t("home.snapshot", lang)),
            html.Dd(data.current_snapshot().name, className="cv-mono"),
            html.Dt(t("home.data_now", lang)),
            # the recorded 'now', else the last event the data holds (a historical export's end)
            html.Dd(_when(_meta_time(meta.get("data_now") or meta.get("now")) or data.data_end())),
            html.Dt(t("home.zone", lang)),
            html.Dd(zone, id=HomeIds.ZONE),
            html.Dt(t("home.units", lang)),
            html.Dd(" · ".join(f"{t('level.' + k, lang)} {v:,}" for k, v in sorted(units.items(), key=_level_order))),
        ],
    )
    head = ["source", "rows", "first", "last", "age", "loaded", "status"]
    rows = [
        html.Tr(
            [
                html.Td(data.source_label(f.key, lang)),
                html.Td(_fmt_int(f.rows), className="num"),
                html.Td(_fmt_dt(f.first)),
                html.Td(_fmt_dt(f.last)),
                html.Td(age_text(f.age_minutes, lang) if f.last else "—"),
                html.Td(_fmt_dt(_in_zone(f.last_load, zone))),
                html.Td(html.Span(t(f"fresh.{f.state}", lang), className=f"cv-badge cv-badge-{f.state}")),
            ],
            id={"type": "home-source", "key": f.key},
        )
        for f in fresh
    ]
    sources = html.Table(
        [html.Thead(html.Tr([html.Th(t(f"home.col.{h}", lang)) for h in head])), html.Tbody(rows)],
        className="cv-table",
    )
    note = html.P(t("home.zone_note", lang, zone=zone), className="cv-muted cv-home-zone")
    return html.Div([facts, note, sources, html.H2(t("home.runs", lang)), _runs_table(runs, lang, zone)])


def _level_order(item: tuple[str, int]) -> int:
    return LEVELS.index(item[0]) if item[0] in LEVELS else 99


def _in_zone(utc: object, zone: str) -> object:
    """A naive UTC time (etl_run's, the loads') as the site's local time; anything else as it is."""
    if not isinstance(utc, datetime):
        return utc
    return utc.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def _meta_time(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def _runs_table(runs: Any, lang: str, zone: str = "UTC") -> html.Div | html.Table:
    if runs is None:
        return html.P(t("home.runs_scoped", lang), className="cv-muted")
    if runs.empty:
        return html.P(t("home.no_runs", lang), className="cv-muted")
    head = ["kind", "run_status", "read", "loaded_rows", "rejected", "finished"]
    body = [
        html.Tr(
            [
                # a kind or result this build has no label for shows as stored rather than as a key
                html.Td(data.source_label(r.kind, lang)),
                html.Td([t_or(f"run.status.{r.status}", r.status, lang)]
                        # a failed load's error, so the page says why the data did not change
                        + ([html.Div(str(r.message), className="cv-muted cv-run-error")] if r.status == "failed"
                           and r.message else [])),
                html.Td(_fmt_int(r.rows_read), className="num"),
                html.Td(_fmt_int(r.rows_loaded), className="num"),
                html.Td(_fmt_int(r.rows_rejected), className="num"),
                html.Td(_fmt_dt(_in_zone(r.finished_at, zone))),
            ]
        )
        for r in runs.itertuples()
    ]
    return html.Table(
        [html.Thead(html.Tr([html.Th(t(f"home.col.{h}", lang)) for h in head])), html.Tbody(body)],
        className="cv-table",
    )


def _when(ts: datetime | None) -> str:
    return "—" if ts is None else f"{ts:%Y-%m-%d %H:%M}"
