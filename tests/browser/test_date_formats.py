"""Dates in Chromium in the page's language: the date box reads 2026-12-07 in Chinese (never the
browser's 12/07/2026) and "7 Dec 2026" in English; the calendar names weekdays 一…日 from Monday in
Chinese; picking a day moves the page to it; the /cases trend's date ticks carry no English month."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.browser.conftest import shot
from tests.clock import anchor_day

pytestmark = pytest.mark.browser

BOX = ".cv-filter-bar .cv-date-box .dash-datepicker-input:not([disabled])"
TICKS_JS = """() => Array.from(document.querySelectorAll(
    "[id*='\\"role\\":\\"trend\\"'] .xtick text")).map(t => t.textContent)"""
MONTH_WORDS = re.compile(r"Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec")


def test_chinese_date_box_calendar_and_axis(open_page) -> None:
    day = anchor_day()
    page = open_page(f"/cases?date={day.isoformat()}")
    page.wait_for_selector(BOX, timeout=30_000)
    assert page.input_value(BOX) == day.isoformat()
    page.click(BOX)
    page.wait_for_selector("[role=dialog] table, .dash-datepicker-calendar", timeout=10_000)
    header = page.inner_text("[role=dialog]")
    assert re.search(r"一\s+二\s+三\s+四\s+五\s+六\s+日", header), header[:200]
    assert f"{day.month}月" in header and not MONTH_WORDS.search(header)
    shot(page, "date-picker-zh")
    page.keyboard.press("Escape")
    page.wait_for_selector("[id*='\"role\":\"trend\"'] .xtick text", state="attached", timeout=30_000)
    ticks = page.evaluate(TICKS_JS)
    assert ticks and not any(MONTH_WORDS.search(t) for t in ticks), ticks
    assert all(re.fullmatch(r"\d{2}-\d{2}|\d{4}-\d{2}|\d{4}", t.strip()) for t in ticks), ticks


def test_english_date_box_keeps_english(open_page) -> None:
    day = anchor_day()
    page = open_page(f"/cases?lang=en&date={day.isoformat()}")
    page.wait_for_selector(BOX, timeout=30_000)
    assert page.input_value(BOX) == f"{day.day} {day:%b} {day.year}"
    page.click(BOX)
    page.wait_for_selector("[role=dialog]", timeout=10_000)
    assert re.search(r"Mo\s+Tu\s+We\s+Th\s+Fr\s+Sa\s+Su", page.inner_text("[role=dialog]"))
    shot(page, "date-picker-en")


def test_picking_a_day_moves_the_page_to_it(open_page) -> None:
    day = anchor_day()
    other: date = day - timedelta(days=1) if day.day > 1 else day + timedelta(days=1)
    page = open_page(f"/cases?date={day.isoformat()}")
    page.wait_for_selector(BOX, timeout=30_000)
    box = page.locator(BOX)
    box.fill(other.isoformat())
    box.press("Enter")
    page.wait_for_url(re.compile(rf"date={other.isoformat()}"), timeout=20_000)
    page.wait_for_function("(d) => { const b = document.querySelector("
                           "\".cv-filter-bar .cv-date-box .dash-datepicker-input\"); return b && b.value === d; }",
                           arg=other.isoformat(), timeout=20_000)
