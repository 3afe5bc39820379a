"""The one filter bar of the analyst pages, and its state in the URL query string.

The URL is the state: ``/cases?unit=310118001000&period=month&date=2026-11-01&category=E01&drill=day:2026-11-03``.
A filter change pushes a new URL (``dcc.Location`` with ``refresh="callback-nav"``), the pages router
re-renders the page from it, so a link reproduces the view, back/forward work and reload keeps it.

``parse`` turns untrusted query parameters into a ``FilterState`` or raises ``QueryError`` with a
message fit for the page; ``to_query`` makes the ``metrics.Query`` (then passed through
``dashboard.access.scoped`` by ``run``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from dash import dcc, html

from dashboard.components import markup
from dashboard.i18n import lang_of
from etl.schema import LEVELS
from metrics.explore import Drill
from metrics.query import GRAINS, URGENCIES, Period, Query, QueryError

PRESET_GRAINS = ("day", "week", "month", "quarter", "year", "custom")
_CODE = re.compile(r"^[A-Za-z0-9_\-.]{1,40}$")
# Hotline categories and statuses are the source system's own (Chinese) text: letters of any script,
# digits and the punctuation category names use; no quotes, '&', '=' or control characters.
_TEXT = re.compile(r"^[\w\-.·、/()（） ]{1,40}$")
KNOWN_PARAMS = {"unit", "period", "date", "start", "end", "category", "source", "urgency", "status", "drill", "lang",
                "level", "measure", "sel", "sensor", "bottom", "order", "hot_n", "hot_m"}
HOT_N = (2, 50)  # hotline repeat complaints: at least n orders (hot_n=) ...
HOT_M = (1, 365)  # ... within m days (hot_m=)


@dataclass(frozen=True)
class FilterState:
    unit: str | None = None
    period: str = "month"
    date: date | None = None  # anchor of a preset period (default: today at the site)
    start: date | None = None  # custom range, inclusive
    end: date | None = None
    category: str | None = None
    source: str | None = None
    urgency: str | None = None
    status: str | None = None
    drill: Drill | None = None

    def params(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if v is None or (f.name == "period" and v == "month"):
                continue
            if f.name in ("start", "end") and self.period != "custom":
                continue
            out[f.name] = v.text() if isinstance(v, Drill) else v.isoformat() if isinstance(v, date) else str(v)
        return out

    def search(self, **extra: str | None) -> str:
        params = {**self.params(), **{k: v for k, v in extra.items() if v}}
        return "?" + urlencode(params) if params else ""

    def with_(self, **changes: Any) -> FilterState:
        return replace(self, **changes)


def _date(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise QueryError(f"“{name}={value}” is not a date (use YYYY-MM-DD)") from None


def _code(name: str, value: str | None) -> str | None:
    if value in (None, ""):
        return None
    if not _CODE.match(str(value)):
        raise QueryError(f"“{name}={value}” is not a valid code")
    return str(value)


def _text(name: str, value: str | None) -> str | None:
    if value in (None, ""):
        return None
    if not _TEXT.match(str(value)):
        raise QueryError(f"“{name}={value}” is not a valid value")
    return str(value)


def _choice(name: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value in (None, ""):
        return None
    if value not in allowed:
        raise QueryError(f"“{name}={value}” is not one of {', '.join(allowed)}")
    return str(value)


def bounded_int(name: str, value: object, lo: int, hi: int, default: int) -> int:
    """A whole number from the URL within [lo, hi] (``default`` when absent); else ``QueryError``."""
    if value in (None, ""):
        return default
    text = str(value).strip()
    if not re.fullmatch(r"\d{1,6}", text) or not lo <= int(text) <= hi:
        raise QueryError(f"“{name}={str(value)[:20]}” must be a whole number from {lo} to {hi}")
    return int(text)


def hotspot_params(extra: Mapping[str, Any], default_n: int, default_m: int) -> tuple[int, int]:
    """(min orders, window days) of the hotline's repeat complaints from ``hot_n=`` / ``hot_m=``."""
    return (bounded_int("hot_n", extra.get("hot_n"), *HOT_N, default_n),
            bounded_int("hot_m", extra.get("hot_m"), *HOT_M, default_m))


def parse(params: Mapping[str, Any]) -> FilterState:
    """Filter state from URL query parameters (a page layout's ``**query``); raises ``QueryError``."""
    p = {k: (v[0] if isinstance(v, list) and v else v) for k, v in params.items()}
    p = {k: (str(v).strip() if v is not None else None) for k, v in p.items()}
    unknown = sorted(set(p) - KNOWN_PARAMS)
    if unknown:
        raise QueryError(f"unknown URL parameter {unknown[0]!r}")
    period = p.get("period") or "month"
    if period not in GRAINS:
        raise QueryError(f"“period={period}” is not one of {', '.join(PRESET_GRAINS)}")
    anchor = _date("date", p["date"]) if p.get("date") else None
    start = end = None
    if period == "custom":
        if not p.get("start") or not p.get("end"):
            raise QueryError("a custom period needs both start and end dates")
        start, end = _date("start", p["start"]), _date("end", p["end"])
        if end < start:
            raise QueryError(f"the end date {end} is before the start date {start}")
        if (end - start).days > 3 * 366:
            raise QueryError("a custom period can be at most three years long")
    return FilterState(
        unit=_code("unit", p.get("unit")), period=period, date=anchor, start=start, end=end,
        category=_text("category", p.get("category")), source=_code("source", p.get("source")),
        urgency=_choice("urgency", p.get("urgency"), URGENCIES), status=_text("status", p.get("status")),
        drill=Drill.parse(p.get("drill")),
    )


def period_of(state: FilterState, today: date, now: date | None = None) -> Period:
    """The period a state views. ``today`` anchors a preset period the URL names no date for (for
    historical data a day of its last full period, ``data.view_anchor``); ``now`` is the data's 'now'
    (``data.view_now``; default ``today``). A preset period that holds ``now`` is running: it covers its
    days so far and compares with the same days before (``metrics.query.Period.to_date``, the one
    period convention of pages and wall)."""
    if state.period == "custom":
        assert state.start is not None and state.end is not None
        return Period.custom(state.start, state.end)
    return Period.containing(state.period, state.date or today).to_date(now or today)  # type: ignore[arg-type]


def to_query(state: FilterState, today: date, now: date | None = None) -> Query:
    return Query(period=period_of(state, today, now), unit=state.unit, category=state.category,
                 source=state.source, urgency=state.urgency, status=state.status)


def validate_unit(state: FilterState, known: Mapping[str, Any]) -> None:
    if state.unit is not None and state.unit not in known:
        raise QueryError(f"unknown unit {state.unit!r}")


def now_of(today: datetime | date) -> date:
    return today.date() if isinstance(today, datetime) else today


# --- the bar ------------------------------------------------------------------------------------


# Menu entries come from loaded text: labels are clipped (``markup.clip``); a value too long to travel
# in a URL is no menu entry.
OPTION_VALUE_MAX = 500


def _opts(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"label": markup.clip(str(label)), "value": value} for value, label in pairs
            if len(str(value)) <= OPTION_VALUE_MAX]


# The unit pickers' field names: the first to fourth level below the jurisdiction's root. They are named
# after the standard hierarchy (district → 街镇 → 网格 → 村居 → 微网格), but each lists whatever level the
# site uses in that position (New York's city → community districts: the first lists the districts; a
# 6-level city's 市 → 区 → 街镇 → 网格 → 村居 → 微网格: district, town, grid, village).
PICKERS = ("town", "grid", "village", "microgrid")
_SLOTS = LEVELS


def picker_levels(units: Any) -> tuple[str, ...]:
    """The levels the unit pickers offer, top first: those ``units`` (the unit tree a user may see)
    use below its root but the lowest slot (微网格, reached from its 村居's breakdowns), at most four; a
    1-level tree (units without a parent) offers its one level."""
    codes = set(units["unit_code"].tolist())
    roots = [lv for lv, parent in zip(units["level"].tolist(), units["parent_code"].tolist(), strict=True)
             if parent is None or parent != parent or parent not in codes]
    top = min((_SLOTS.index(lv) for lv in roots if lv in _SLOTS), default=-1)
    present = set(units["level"].tolist())
    below = [lv for lv in _SLOTS[:-1] if lv in present and _SLOTS.index(lv) > top]
    if not below and len(roots) > 1 and 0 <= top < len(_SLOTS) - 1:
        below = [_SLOTS[top]]  # one level of sibling units, no root above them: pick among them
    return tuple(below[:len(PICKERS)])


def filter_bar(page: str, state: FilterState, units: Any, categories: list[tuple[str, str]],
               sources: list[tuple[str, str]], statuses: list[tuple[str, str]], t: Any,
               today: date, *, case_filters: bool = True, lang: str | None = None,
               level_label: Any = None) -> html.Div:
    """The filter bar. Ids are ``{"type": "cv-filter", "page": page, "field": name}``; one callback for all
    pages (``dashboard.callbacks.filters``) turns a change into a new URL. ``case_filters=False`` leaves
    out category, source, urgency and status, for pages whose data has none of them (sensors, rosters):
    a control that changes nothing is worse than none. The reset link keeps the reader's language."""

    def fid(name: str) -> dict[str, str]:
        return {"type": "cv-filter", "page": page, "field": name}

    levels = picker_levels(units)
    chosen = _path(units, state.unit, levels)

    def choices(i: int) -> Any:
        """Units of the i-th picker level: all of them for the first, the children of the one picked
        above for the others (none until it is picked)."""
        if i >= len(levels):
            return units.iloc[0:0]
        at_level = units["level"] == levels[i]
        if i == 0:
            return units[at_level]
        return units[at_level & (units["parent_code"] == chosen[i - 1])] if chosen[i - 1] else units.iloc[0:0]

    def label(i: int) -> str:
        if i >= len(levels):
            return str(t(f"filter.{PICKERS[i]}"))
        return str(level_label(levels[i]) if level_label else t(f"filter.{levels[i]}"))

    def unit_opts(df: Any) -> list[dict[str, str]]:
        # column lists, not itertuples: pandas' row tuples were most of the bar's cost on every render
        return _opts(list(zip(df["unit_code"].tolist(), df["name_zh"].tolist(), strict=True)))

    # without date= the box shows the anchor in use (``today``, the site's date) rather than a blank box;
    # ``today`` is required so that no page can forget it (/hotline once showed an empty box)
    anchor = (state.date or today).isoformat()
    grains = [(g, t(f"filter.grain.{g}")) for g in PRESET_GRAINS]
    # every picker is always in the bar (the filter callback takes all three); one the hierarchy has no
    # level for is hidden
    children = [
        _field(label(i), dcc.Dropdown(id=fid(name), options=unit_opts(choices(i)), value=chosen[i],
                                      placeholder=t("filter.all"), clearable=True,
                                      disabled=i >= len(levels) or (i > 0 and not chosen[i - 1])),
               hidden=i >= len(levels))
        for i, name in enumerate(PICKERS)
    ]
    children += [
        _field(t("filter.period"), dcc.Dropdown(id=fid("period"), options=_opts(grains), value=state.period,
                                                clearable=False)),
        _field(t("filter.date"), date_box(fid("date"), anchor, state.period == "custom", lang)),
        _field(t("filter.start"), date_box(fid("start"), state.start.isoformat() if state.start else None,
                                           state.period != "custom", lang)),
        _field(t("filter.end"), date_box(fid("end"), state.end.isoformat() if state.end else None,
                                         state.period != "custom", lang)),
    ]
    if case_filters:
        children += [
            _field(t("filter.category"), dcc.Dropdown(id=fid("category"), options=_opts(categories),
                                                      value=state.category, placeholder=t("filter.all"))),
            _field(t("filter.source"), dcc.Dropdown(id=fid("source"), options=_opts(sources), value=state.source,
                                                    placeholder=t("filter.all"))),
            _field(t("filter.urgency"), dcc.Dropdown(
                id=fid("urgency"), options=_opts([(u, t(f"filter.urgency.{u}")) for u in URGENCIES]),
                value=state.urgency, placeholder=t("filter.all"))),
            _field(t("filter.status"), dcc.Dropdown(id=fid("status"), options=_opts(statuses), value=state.status,
                                                    placeholder=t("filter.all"))),
        ]
    reset = f"/{page}?lang=en" if lang_of(lang) == "en" else f"/{page}"
    children.append(html.A(t("filter.reset"), href=reset, className="cv-filter-reset"))
    return html.Div(children, className="cv-filter-bar", role="search")


# How a date box shows its date: ISO in Chinese (2026-12-07, never the browser's 12/07/2026), with the
# calendar's month as 12月 and weekdays 一 … 日 (assets/datepicker_locale.js gives date-fns the
# Chinese names); English month names in English. Weeks start on Monday, as the app's ISO weeks do.
DATE_FORMATS = {"zh": ("YYYY-MM-DD", "YYYY年MMM", "选择日期"), "en": ("D MMM YYYY", "MMMM YYYY", "Select date")}
DATE_PICKER = "cv-date"  # the picker's id type; its field id is the hidden input's
DATE_TO_FIELD_JS = "function(d) { return d ? String(d).slice(0, 10) : window.dash_clientside.no_update; }"


def date_box(field_id: dict[str, str], value: str | None, disabled: bool, lang: str | None) -> html.Div:
    """A date picker in the page's language. The filter callback reads every field's ``value``; the
    picker's ``date`` is copied into the hidden input ``field_id`` by ``DATE_TO_FIELD_JS`` (a clientside
    callback in ``callbacks.pages_shared``), so one callback keeps serving every control."""
    display, month, placeholder = DATE_FORMATS[lang_of(lang)]
    picker_id = {**field_id, "type": DATE_PICKER}
    return html.Div([
        dcc.DatePickerSingle(id=picker_id, date=value, display_format=display, month_format=month,
                             first_day_of_week=1, disabled=disabled, clearable=False, className="cv-date",
                             placeholder=placeholder),
        dcc.Input(id=field_id, type="hidden", value=value),
    ], className="cv-date-box")



def _field(label: str, control: Any, hidden: bool = False) -> html.Label:
    return html.Label([html.Span(label, className="cv-filter-label"), control], className="cv-filter-field",
                      hidden=hidden)


def _path(units: Any, code: str | None, levels: tuple[str, ...]) -> list[str | None]:
    """The codes of ``code`` and its ancestors at each picker level, one per picker (None where the unit
    sits above that level, or for the root / no unit)."""
    out: list[str | None] = [None] * len(PICKERS)
    if code is None:
        return out
    by_code = {c: (lvl, parent) for c, lvl, parent in zip(units["unit_code"].tolist(), units["level"].tolist(),
                                                          units["parent_code"].tolist(), strict=True)}
    cur, node = code, by_code.get(code)
    while node is not None:
        if node[0] in levels:
            out[levels.index(node[0])] = cur
        cur = node[1]
        node = by_code.get(cur)
    return out


def state_from_controls(values: Mapping[str, Any], triggered: str | None, current: FilterState, *,
                        today: date) -> FilterState:
    """The new state after a filter control changed (``triggered``: its field name); ``today`` (the
    site's date, not the server's) anchors a custom period chosen without dates."""
    if triggered in PICKERS:  # the picked unit, or the one above a cleared picker
        picked = [values.get(name) for name in PICKERS[:PICKERS.index(triggered) + 1]]
        unit = next((u for u in reversed(picked) if u), None)
    else:
        unit = current.unit
    period = values.get("period") or "month"
    kw: dict[str, Any] = {"unit": unit or None, "period": period, "drill": None}
    for name in ("category", "source", "urgency", "status"):
        kw[name] = values.get(name) or None
    if period == "custom":
        try:
            kw["start"] = date.fromisoformat(values["start"]) if values.get("start") else current.start
            kw["end"] = date.fromisoformat(values["end"]) if values.get("end") else current.end
        except ValueError:
            kw["start"], kw["end"] = current.start, current.end
        if kw["start"] is None or kw["end"] is None:  # switching to custom: start from the current period
            base = current.date or today
            p = Period.containing("month", base)
            kw["start"], kw["end"] = kw["start"] or p.start.date(), kw["end"] or (p.end.date().fromordinal(
                p.end.date().toordinal() - 1))
        kw["date"] = None
    else:
        try:
            kw["date"] = date.fromisoformat(values["date"]) if values.get("date") else current.date
        except ValueError:
            kw["date"] = current.date
        kw["start"] = kw["end"] = None
    return FilterState(**kw)
