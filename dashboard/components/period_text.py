"""How a period is written, on every page and on the wall (the rule itself: ``metrics.query.Period``).

A running period is titled by the days it covers and says it is running: "2026-12-01–12-07（本月至今）" /
"Dec 1–7, 2026 (month to date)", never "2026-12-01–12-31" on 7 December. Its comparison is named for
what it is: "上月同期" / "same days last month", not "上期".
"""

from __future__ import annotations

from datetime import date

from dashboard import data
from dashboard.i18n import lang_of, t
from metrics.query import Period


def _en_day(d: date, year: bool = True) -> str:
    return f"{d:%b} {d.day}, {d.year}" if year else f"{d:%b} {d.day}"


def span(period: Period, lang: object = None) -> str:
    """The days a period covers, first and last inclusive: "2026-12-01–12-07" / "Dec 1–7, 2026"."""
    first, last = period.start.date(), period.last_day
    if lang_of(lang) == "en":
        if first == last:
            return _en_day(first)
        if (first.year, first.month) == (last.year, last.month):
            return f"{first:%b} {first.day}–{last.day}, {first.year}"
        if first.year == last.year:
            return f"{_en_day(first, False)} – {_en_day(last)}"
        return f"{_en_day(first)} – {_en_day(last)}"
    if first == last:
        return f"{first:%Y-%m-%d}"
    return f"{first:%Y-%m-%d}–{last:%m-%d}" if first.year == last.year else f"{first:%Y-%m-%d}–{last:%Y-%m-%d}"


def running_name(period: Period, lang: object = None) -> str:
    """"本月至今" / "month to date" for a running period, "" for a whole one; "至数据截止" / "to the data's
    end" where the data is historical (an export ending mid-month is not running: it stopped)."""
    if not period.partial:
        return ""
    return t("period.to_data_end", lang) if data.historical() else t(f"period.to_date.{period.grain}", lang)


def title(period: Period, lang: object = None) -> str:
    """The period as a title: its days, and for a running period what it is so far."""
    text, running = span(period, lang), running_name(period, lang)
    if not running:
        return text
    return f"{text} ({running})" if lang_of(lang) == "en" else f"{text}（{running}）"


def previous_name(period: Period, lang: object = None) -> str:
    """What a period is compared with: "上月同期" for a running month (the same days), else "上期"."""
    return t(f"period.same_days.{period.grain}", lang) if period.partial else t("period.previous", lang)


def versus(period: Period, lang: object = None) -> str:
    """"较上月同期" / "vs same days last month" (a delta's label)."""
    return t("period.versus", lang, what=previous_name(period, lang))


def partial_note(period: Period, lang: object = None) -> str:
    """One line under a running period's title: it is partial, up to which day, against which days."""
    return t("period.partial_note", lang, period=running_name(period, lang), d=f"{period.last_day:%Y-%m-%d}",
             same=previous_name(period, lang), prev=span(period.previous(), lang))
