"""The navigation shell around every page: brand, page links, language switch, kiosk mode.

The URL is the single source of truth for the shell state: ``?lang=en`` switches to English,
``?kiosk=1`` hides navigation (command-hall video wall). Both are carried over on every nav link;
``ShellIds.LANG`` (a ``dcc.Store``) mirrors the language for callbacks that need it as a State.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode

import dash
from dash import Input, Output, dcc, html

from dashboard import access, data
from dashboard.i18n import DEFAULT_LANG, Lang, lang_of, t

# Query parameters the shell carries from page to page.
STICKY_PARAMS = ("lang", "kiosk")


class ShellIds:
    ROOT = "shell-root"
    URL = "shell-url"
    LANG = "shell-lang"
    NAV = "shell-nav"
    NAV_LINKS = "shell-nav-links"
    LANG_TOGGLE = "shell-lang-toggle"
    MAIN = "shell-main"
    DOC_LANG = "shell-doc-lang"


def parse_search(search: str | None) -> dict[str, str]:
    """``?a=1&b=2`` → {'a': '1', 'b': '2'} (last value wins, blanks kept)."""
    qs = parse_qs((search or "").lstrip("?"), keep_blank_values=True)
    return {k: v[-1] for k, v in qs.items()}


def truthy(value: object) -> bool:
    return str(value or "").strip().lower() in ("1", "true", "yes", "on")


def href(path: str, params: Mapping[str, object]) -> str:
    """A link to ``path`` carrying the sticky parameters (default language is left implicit)."""
    keep: dict[str, str] = {}
    for k in STICKY_PARAMS:
        v = params.get(k)
        if v is None or v == "":
            continue
        if k == "lang" and lang_of(v) == DEFAULT_LANG:
            continue
        if k == "kiosk" and not truthy(v):
            continue
        keep[k] = "en" if k == "lang" else "1"
    return path + ("?" + urlencode(keep) if keep else "")


def nav_pages() -> list[dict[str, Any]]:
    """Registered pages that appear in the navigation, in ``order``."""
    pages = [p for p in dash.page_registry.values() if p.get("nav_key")]
    return sorted(pages, key=lambda p: (p.get("order") if p.get("order") is not None else 99, p["path"]))


def nav_label(key: str, lang: Lang) -> str:
    """A nav link's text; the hotline's is the site's own name for it once set (`vitals site set
    --hotline-name 311`), else the generic 热线 / Hotline."""
    if key == "nav.hotline" and (own := data.site_facts().get(f"hotline_name_{lang}")):
        return own
    return t(key, lang)


def nav_links(pathname: str | None, params: Mapping[str, str], lang: Lang) -> list[Any]:
    """Links to the pages the current role may open (``access.may_open``, the rule the request
    guard enforces). Hiding a link is a courtesy, not the protection."""
    role = access.current_principal().role
    links = []
    for page in nav_pages():
        if not access.may_open(role, page["path"]):
            continue
        active = (pathname or "/") == page["path"]
        links.append(
            dcc.Link(
                nav_label(page["nav_key"], lang),
                href=href(page["path"], params),
                className="cv-nav-link" + (" is-active" if active else ""),
                id={"type": "shell-nav-link", "page": page["module"].rsplit(".", 1)[-1]},
            )
        )
    return links


def root_class(params: Mapping[str, str]) -> str:
    lang = lang_of(params.get("lang"))
    return f"cv-shell lang-{lang}" + (" is-kiosk" if truthy(params.get("kiosk")) else "")


def document_title(site: str, title: str) -> str:
    """A browser tab's title: the site's name first (several cities' walls open side by side), then ours."""
    return f"{site} · {title}" if site else title


def layout(app_title: str, site_zh: str = "", site_en: str = "") -> html.Div:
    """The shell layout (a function of nothing per request: the URL callback fills it in). ``site_zh`` /
    ``site_en``: the site's name (``data.site_name``), shown after the product's in the header."""
    return html.Div(
        id=ShellIds.ROOT,
        className="cv-shell is-pending",  # nav hidden until the URL is read: no flash in kiosk mode
        children=[
            dcc.Location(id=ShellIds.URL, refresh=False),
            dcc.Store(id=ShellIds.LANG, data=DEFAULT_LANG),
            dcc.Store(id=ShellIds.DOC_LANG),
            html.Header(
                id=ShellIds.NAV,
                className="cv-nav",
                children=[
                    html.Div(
                        # both names; CSS shows the one of the document language (set from ?lang=)
                        [html.Span("◉", className="cv-brand-mark"),
                         html.Span(app_title, className="cv-brand-name", lang="zh-CN"),
                         html.Span(t("app.title", "en"), className="cv-brand-name", lang="en"),
                         html.Span(site_zh, className="cv-brand-name cv-brand-site", lang="zh-CN"),
                         html.Span(site_en, className="cv-brand-name cv-brand-site", lang="en")],
                        className="cv-brand",
                    ),
                    html.Nav(id=ShellIds.NAV_LINKS, className="cv-nav-links"),
                    dcc.Link("", id=ShellIds.LANG_TOGGLE, href="/", className="cv-lang-toggle"),
                ],
            ),
            html.Main(dash.page_container, id=ShellIds.MAIN, className="cv-main"),
        ],
    )


def register(app: dash.Dash) -> None:
    @app.callback(
        Output(ShellIds.NAV_LINKS, "children"),
        Output(ShellIds.LANG_TOGGLE, "children"),
        Output(ShellIds.LANG_TOGGLE, "href"),
        Output(ShellIds.ROOT, "className"),
        Output(ShellIds.LANG, "data"),
        Input(ShellIds.URL, "pathname"),
        Input(ShellIds.URL, "search"),
    )
    def _update_shell(pathname: str | None, search: str | None) -> tuple[Any, ...]:
        return update_shell(pathname, search)

    # The document language follows the page language (screen readers, CJK font selection).
    app.clientside_callback(
        "function(lang){document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';"
        " return window.dash_clientside.no_update;}",
        Output(ShellIds.DOC_LANG, "data"),
        Input(ShellIds.LANG, "data"),
    )


def update_shell(pathname: str | None, search: str | None) -> tuple[Any, ...]:
    params = parse_search(search)
    lang = lang_of(params.get("lang"))
    other = "en" if lang == "zh" else "zh"
    # The toggle keeps every parameter of the current page (screen scale, playlist...), not only sticky ones.
    toggled = {k: v for k, v in params.items() if k != "lang"}
    if other != DEFAULT_LANG:
        toggled["lang"] = other
    toggle_href = (pathname or "/") + ("?" + urlencode(toggled) if toggled else "")
    return (
        nav_links(pathname, params, lang),
        t("shell.lang_toggle", lang),
        toggle_href,
        root_class(params),
        lang,
    )
