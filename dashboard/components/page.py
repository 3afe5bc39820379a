"""The one path from a URL to a rendered analyst page: parse → validate → Query → access.scoped → render.

Every page layout calls ``run``; every callback that re-reads data calls ``context_from_search``. So each
Query passes ``dashboard.access.scoped`` and each row table passes ``mask_rows`` (``rows_page``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import duckdb
import pandas as pd
from dash import dcc, html

from dashboard import access, data
from dashboard.components import period_text
from dashboard.components.labels import translator
from dashboard.filters import FilterState, parse, to_query, validate_unit
from metrics import explore
from metrics.connection import WarehouseMissing
from metrics.query import Query, QueryError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ctx:
    """What a page render needs: the cursor, the validated state, the scoped query, labels."""

    con: duckdb.DuckDBPyConnection
    state: FilterState
    query: Query
    units: pd.DataFrame
    extra: Mapping[str, str]
    lang: str | None
    t: Callable[..., str]

    @property
    def en(self) -> bool:
        return str(self.lang or "").lower().startswith("en")

    def previous_text(self, source: str, value: str) -> str:
        """"上期 80,636", and when the previous period begins before the source's data: "(数据始于
        2025-11-29)", so a year compared with a year of which only a month was loaded says so."""
        first = data.data_start(source)
        # a running period is compared with the same days before: "上月同期 1,234", not "上期"
        text = f"{period_text.previous_name(self.query.period, self.lang)} {value}"
        if first is not None and self.query.previous().period.start < first:
            text += f" ({self.t('page.data_from', d=f'{first:%Y-%m-%d}')})"
        return text

    def scope_title(self) -> str:
        """"青浦区 · 2026-12-01–12-07（本月至今）": the unit and the days the period covers (a running period
        is titled by its days so far, ``period_text.title``)."""
        return f"{self.unit_name(self.state.unit)} · {period_text.title(self.query.period, self.lang)}"

    def level_label(self, slot: str) -> str:
        """A level's name: the one the data declares (a New York "Community district"), else ours."""
        return data.level_name(slot, self.lang) or self.t(f"level.{slot}")

    def picker_label(self, slot: str) -> str:
        """The filter bar's name for a level's unit picker (declared by the data, else ours)."""
        return data.level_name(slot, self.lang) or self.t(f"filter.{slot}")

    def unit_name(self, code: str | None) -> str:
        if code is None:  # the whole jurisdiction, named by its top level: 全区 (Qingpu), 全市 (Shanghai)
            levels = data.hierarchy().levels
            top = self.level_label(levels[0].slot if levels else "district")
            return top if self.en else f"全{top}"
        hit = self.units.loc[self.units["unit_code"] == code, "name_zh"]
        return str(hit.iloc[0]) if len(hit) else code


# page parameters beyond FilterState; ``lang`` rides along so that every link, filter change and click
# built from the page state keeps an English reader in English
EXTRA = ("level", "measure", "sel", "sensor", "bottom", "order", "hot_n", "hot_m", "lang")


def _units(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return explore.unit_tree(con)


def context(params: Mapping[str, Any]) -> Ctx:
    """Raises QueryError (bad input), WarehouseMissing or duckdb.Error."""
    state = parse(params)
    con = data.connection()
    units = data.per_snapshot("pages.units", _units)
    validate_unit(state, set(units["unit_code"]))
    today = data.view_anchor(state.period)  # historical data: its last full period
    # the running period is cut at the data's 'now' (its end, for historical data), not at the anchor
    query = access.scoped(to_query(state, today, data.view_now().date()))
    units = access.visible_units(units)  # menus list the user's own subtree, never a sibling 街镇
    if query.unit != state.unit:  # clamped to the user's scope: title, menus and URL say so
        state = state.with_(unit=query.unit)
    lang = params.get("lang")
    extra = {k: str(v) for k, v in params.items() if k in EXTRA}
    return Ctx(con, state, query, units, extra, lang, translator(lang))


def search_params(search: str | None) -> dict[str, str]:
    return dict(parse_qsl((search or "").lstrip("?"), keep_blank_values=False))


def context_from_search(search: str | None) -> Ctx:
    return context(search_params(search))


def error_box(exc: BaseException, lang: object = None) -> html.Div:
    if isinstance(exc, QueryError):
        return html.Div([html.H2("无法显示这个视图 · This view cannot be shown"), html.P(str(exc)),
                         html.A("重置筛选 · reset filters", href="?")],
                        className="cv-message cv-message-input", role="alert")
    kind = data.error_kind(exc)
    if kind == "query":
        log.exception("page data error", exc_info=exc)
    return data.message(kind, lang)


def data_ends_notice(ctx: Ctx) -> list[html.P]:
    """"数据截至 2018-10-22 02:41" over a page whose data is historical (``data.data_ended``): the
    default period is the data's last, not today's, and the reader is told why."""
    ended = data.data_ended()
    if ended is None:
        return []
    return [html.P(ctx.t("page.data_ends", d=f"{ended:%Y-%m-%d %H:%M}"), className="cv-data-ends", role="note")]


def partial_notice(ctx: Ctx) -> list[html.P]:
    """"未满期（本月至今）：截至 2026-12-07，与上月同期（2026-11-01–11-07）比较" over a page viewing a running
    period, so neither its totals nor its deltas read as a collapse."""
    if not ctx.query.period.partial:
        return []
    return [html.P(period_text.partial_note(ctx.query.period, ctx.lang), className="cv-partial-note", role="note")]


def run(page: str, params: Mapping[str, Any], render: Callable[[Ctx], list[Any]]) -> html.Div:
    """A page: its URL holder, its state, its body or a clear message; never a traceback."""
    search = "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""
    try:
        ctx = context(params)
        body = [*data_ends_notice(ctx), *partial_notice(ctx), *render(ctx)]
        search = ctx.state.search(**ctx.extra)
    except (QueryError, WarehouseMissing, duckdb.Error, KeyError, ValueError) as exc:
        body = [error_box(exc, params.get("lang"))]
    return html.Div(
        [dcc.Location(id={"type": "cv-url", "page": page}, refresh="callback-nav"),
         dcc.Store(id={"type": "cv-state", "page": page}, data=search),
         *body],
        className=f"cv-page cv-analyst cv-page-{page}", id=f"{page}-root",
    )


def _plain(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and v != v:
        return None
    return v.item() if hasattr(v, "item") and not isinstance(v, (str, bytes)) else v


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """The frame's rows as JSON-ready dicts (missing values -> None, numpy scalars -> Python): what
    ``df.astype(object).where(df.notna(), None).to_dict("records")`` gives, column by column in plain
    Python, which on a few hundred rows costs a fraction of the pandas casts."""
    cols = [[_plain(v) for v in df[c].tolist()] for c in df.columns]
    names = list(df.columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*cols, strict=True)]


def rows_page(table: str, search: str | None, start: int, end: int, sort: list[tuple[str, str]]
              ) -> tuple[list[dict[str, Any]], int]:
    """One block of the rows behind a view (server-side paging), masked for the user."""
    ctx = context_from_search(search)
    df, total = explore.rows(ctx.con, table, ctx.query, ctx.state.drill,  # type: ignore[arg-type]
                             limit=max(0, end - start), offset=max(0, start), sort=sort)
    df = access.mask_rows(df)
    for c in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[c]):
            df[c] = df[c].dt.strftime("%Y-%m-%d %H:%M").astype(object).where(df[c].notna(), None)
    return df.astype(object).where(df.notna(), None).to_dict("records"), total
