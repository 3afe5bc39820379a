"""The shell in Chromium: navigation, Chinese text, language switch, kiosk, no console errors."""

from __future__ import annotations

import pytest

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser


def test_shell_renders_in_chinese(open_page):
    page = open_page("/")
    page.wait_for_selector(".cv-table td", timeout=20_000)
    nav = page.inner_text("#shell-nav-links")
    for label in ("数据状态", "大屏", "排名", "工作站", "案件", "热线", "感知", "力量"):
        assert label in nav
    body = page.inner_text("main")
    assert "网格案件" in body and "感知读数" in body
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    # CJK glyphs are rendered with a CJK font (not tofu): the heading is wider than its box of '?'
    font = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert "Noto Sans CJK" in font
    shot(page, "shell-home-zh")


def test_language_switch_and_navigation(open_page):
    page = open_page("/")
    page.click("#shell-lang-toggle")
    page.wait_for_function("() => document.querySelector('#shell-nav-links').innerText.includes('Data status')")
    assert "lang=en" in page.url
    page.wait_for_selector("text=Grid cases")
    page.click("#shell-nav-links >> text=Rankings")
    page.wait_for_selector("h1:has-text('Rankings')")
    assert "/rankings?lang=en" in page.url
    assert page.evaluate("document.documentElement.lang") == "en"
    shot(page, "shell-rankings-en")


def test_kiosk_hides_navigation(open_page):
    page = open_page("/?kiosk=1", wait=".cv-table td")
    assert page.locator("#shell-nav").is_hidden()
    shot(page, "shell-kiosk")


def test_unknown_path_is_calm(open_page):
    page = open_page("/no-such-page")
    page.wait_for_selector("text=页面不存在")
