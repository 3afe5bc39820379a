"""Production serving: gunicorn with several workers, waitress as the fallback.

    serve(settings, host="0.0.0.0", port=8050, workers=4)

gunicorn forks ``workers`` processes; each creates its own app (no preload), so each opens its own
read-only connection on the current snapshot. Where gunicorn is unavailable (Windows, or
``server="waitress"``) waitress serves one process with ``workers × 4`` threads. Dash debug mode and
its dev tools are never enabled here.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import flask

from etl.settings import Settings

ServerKind = Literal["auto", "gunicorn", "waitress"]


def _gunicorn_available() -> bool:
    if os.name != "posix":
        return False
    try:
        import gunicorn.app.base  # noqa: F401
    except ImportError:
        return False
    return True


def _factory(settings: Settings) -> flask.Flask:
    from dashboard import data
    from dashboard.app import create_app

    server = create_app(settings).server
    # In the worker (no preload): each worker warms its own per-snapshot cache in a daemon thread.
    data.warehouse(server).start_warming(server)
    return server


def serve(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 8050,
    workers: int = 2,
    server: ServerKind = "auto",
    timeout: int = 60,
) -> None:
    """Serve the dashboard until interrupted."""
    settings = replace(settings, warehouse=Path(settings.warehouse).absolute())
    use_gunicorn = server == "gunicorn" or (server == "auto" and _gunicorn_available())
    if use_gunicorn:
        _serve_gunicorn(settings, host, port, max(1, workers), timeout)
    else:
        _serve_waitress(settings, host, port, max(1, workers))


def _serve_gunicorn(settings: Settings, host: str, port: int, workers: int, timeout: int) -> None:
    from gunicorn.app.base import BaseApplication

    class _App(BaseApplication):  # type: ignore[misc]
        def __init__(self) -> None:
            self.options: dict[str, Any] = {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": 4,
                "worker_class": "gthread",
                "timeout": timeout,
                "graceful_timeout": 10,
                "preload_app": False,  # each worker opens its own DuckDB connection after the fork
                "accesslog": None,
                "errorlog": "-",
                "loglevel": "warning",
            }
            super().__init__()

        def load_config(self) -> None:
            for key, value in self.options.items():
                self.cfg.set(key, value)

        def load(self) -> flask.Flask:
            return _factory(settings)

    _App().run()


def _serve_waitress(settings: Settings, host: str, port: int, workers: int) -> None:
    import waitress

    waitress.serve(_factory(settings), host=host, port=port, threads=max(4, workers * 4), ident="city-vitals")
