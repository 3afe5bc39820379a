"""The Dash app factory.

    from dashboard.app import create_app
    app = create_app(settings)          # dash.Dash; app.server is the Flask WSGI app

WSGI servers use the factory entry ``dashboard.app:wsgi()`` (gunicorn) or ``--call dashboard.app:wsgi``
(waitress-serve); ``dashboard.serve.serve`` wraps both.

Pages live in ``dashboard/pages/*.py`` (``dash.register_page`` + ``def layout(**query)``); their
callbacks live in ``dashboard/callbacks/<page>.py`` as ``def register(app)``, which this factory calls
for every module in that package, so each app created (tests create several) gets its own callbacks.
Everything is served locally: no CDN, no web fonts, no version check.
"""

from __future__ import annotations

import functools
import importlib
import logging
import pkgutil
from pathlib import Path
from typing import Any

import dash
import flask

from dashboard import callbacks as callbacks_pkg
from dashboard import data, lazy_bundles, shell
from dashboard.auth import guard
from dashboard.components import mobile_page
from dashboard.i18n import t
from etl.settings import PROJECT_ROOT, Settings, load_settings

log = logging.getLogger(__name__)

PAGES_DIR = Path(__file__).resolve().parent / "pages"
ASSETS_DIR = PROJECT_ROOT / "assets"
COMPRESS_ALGORITHMS = ("br", "gzip")

INDEX_STRING = """<!DOCTYPE html>
<html lang="zh-CN">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>"""


class VitalsDash(dash.Dash):
    """Dash without the one external URL it ships to the browser (the version-check endpoint)."""

    def _config(self) -> dict[str, object]:
        config = super()._config()
        config.pop("dash_version_url", None)
        return config

    def _collect_and_register_resources(
        self, resources: list[dict[str, Any]], include_async: bool = True, url_attr: str = "src"
    ) -> list[Any]:
        """On lean pages (the wall) the bundles of lazy libraries become inert tags (lazy_bundles)."""
        collect: Any = super()._collect_and_register_resources  # untyped in Dash
        if url_attr != "src" or not lazy_bundles.lean_request(self.strip_relative_path):
            return list(collect(resources, include_async, url_attr))
        out: list[Any] = []
        for r in resources:  # one by one: an inert tag must come before assets/lazy_bundles.js
            srcs = collect([r], include_async, url_attr)
            out += [lazy_bundles.inert_tag(r["namespace"], s) for s in srcs] if lazy_bundles.deferrable(r) else srcs
        return out

    def interpolate_index(self, metas: Any = "", title: Any = "", css: Any = "", config: Any = "",
                          scripts: Any = "", app_entry: Any = "", favicon: Any = "", renderer: Any = "") -> Any:
        """The first document's title names the site (``data.site_name``), as every page's does."""
        base: Any = super().interpolate_index  # untyped in Dash
        return base(metas=metas, title=_site_title(str(title or "")), css=css, config=config, scripts=scripts,
                    app_entry=app_entry, favicon=favicon, renderer=renderer)


def _site_title(title: str) -> str:
    """``title`` after the site's name in the site's language, read per request: a `vitals site set
    --name-zh` shows on the next page without a restart."""
    return shell.document_title(data.site_name(data.settings().language), title)


def _title_pages_with_the_site() -> None:
    """Every page's browser title starts with the site's name. Dash calls a callable title per
    navigation (with the path's variables, none here); the page's own title is kept in ``base_title``
    so a second app in the process (tests) does not prefix twice."""
    for page in dash.page_registry.values():
        base = page.setdefault("base_title", page.get("title"))
        if isinstance(base, str):
            page["title"] = functools.partial(_site_title, base)


def create_app(settings: Settings | None = None) -> dash.Dash:
    settings = settings or load_settings()
    lang = settings.language
    server = flask.Flask("dashboard")
    # Dash's compress=True installs flask-compress, which reads this once: brotli, else gzip.
    server.config["COMPRESS_ALGORITHM"] = list(COMPRESS_ALGORITHMS)
    app = VitalsDash(
        "dashboard",
        server=server,  # type: ignore[arg-type]  # Dash annotates bool | Callable; a Flask app is documented
        use_pages=True,
        pages_folder=str(PAGES_DIR),
        assets_folder=str(ASSETS_DIR),
        serve_locally=True,
        include_pages_meta=False,  # absolute og:/twitter: URLs are of no use on an intranet wall
        external_scripts=[],
        external_stylesheets=[],
        index_string=INDEX_STRING,
        title=t("app.title", lang),
        update_title=None,  # no "Updating..." flicker in the tab title on every refresh
        suppress_callback_exceptions=True,  # page components come and go with the route
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
        compress=True,
    )
    # No dev tools in production and never a call home for a version check.
    app.enable_dev_tools(debug=False, dev_tools_disable_version_check=True)
    server.config["VITALS_SETTINGS"] = settings
    data.install(server, settings)
    # Every route, Dash's included, is authenticated and authorised before it runs (issue 6).
    guard.install(app, settings)
    app.layout = lambda: shell.layout(t("app.title", lang), data.site_name("zh"), data.site_name("en"))
    # the phone view's first response is a document of its own, not the Dash index (pages/mobile.py)
    mobile_page.install(server)
    shell.register(app)
    for mod in pkgutil.iter_modules(callbacks_pkg.__path__):
        if mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"{callbacks_pkg.__name__}.{mod.name}")
        register = getattr(module, "register", None)
        if callable(register):
            register(app)
        else:  # pragma: no cover - a convention slip, not a runtime condition
            log.warning("dashboard.callbacks.%s has no register(app)", mod.name)
    _setup_dash_now(app)
    _title_pages_with_the_site()
    guard.install_csp(app, settings)
    return app


# The Dash majors whose private ``Dash._setup_server`` (and pages router hooks) _setup_dash_now calls.
KNOWN_DASH_MAJORS = (4,)


def require_known_dash(version: str, has_setup_server: bool) -> None:
    """Refuse to start on a Dash whose private set-up call we have not checked: a clear error at start
    beats pages that half-work under load."""
    major = int(version.split(".", 1)[0]) if version.split(".", 1)[0].isdigit() else -1
    if major not in KNOWN_DASH_MAJORS or not has_setup_server:
        raise RuntimeError(
            f"dash {version} is not supported: dashboard/app.py calls Dash's private _setup_server, checked "
            f"on dash {', '.join(f'{m}.x' for m in KNOWN_DASH_MAJORS)} only; install the version in "
            "requirements.lock (make setup) or re-check _setup_dash_now against this Dash")


def _setup_dash_now(app: dash.Dash) -> None:
    """Run Dash's first-request setup at creation instead of lazily in a ``before_request`` hook.

    Dash sets its "done" flag before the setup finishes, so under gunicorn's threaded workers the
    first requests arriving together found a half-set-up app: the component registry was not
    filled yet ("dash is not a registered library", 500) or the pages router callback was missing.
    Run here, in the process that serves (no preload), the hooks become no-ops. Dash offers no
    public call for this; the two hooks are its own, in the order it registers them.
    """
    require_known_dash(dash.__version__, hasattr(app, "_setup_server"))
    with app.server.test_request_context("/"):
        app._setup_server()
        for hook in list(app.server.before_request_funcs.get(None, [])):
            if getattr(hook, "__name__", "") in ("router_sync", "router_async") and \
                    getattr(hook, "__qualname__", "").startswith("Dash.enable_pages"):
                hook()


def wsgi() -> flask.Flask:
    """WSGI factory: ``gunicorn 'dashboard.app:wsgi()'`` / ``waitress-serve --call dashboard.app:wsgi``."""
    server = create_app().server
    data.warehouse(server).start_warming(server)
    return server


def run_dev(host: str = "127.0.0.1", port: int = 8050) -> None:  # pragma: no cover - manual use
    """Flask's development server with Dash dev tools (never used by `vitals serve`)."""
    create_app().run(host=host, port=port, debug=True, dev_tools_disable_version_check=True)


if __name__ == "__main__":  # pragma: no cover
    run_dev()
