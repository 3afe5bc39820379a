"""Browser-test infrastructure for every page: a served app on a tiny warehouse and Debian Chromium.

Fixtures
- ``warehouse_root`` (session): a directory holding the test warehouse (``vitals.duckdb`` link).
- ``live_server`` (session): the app served by waitress in a subprocess on a free port; ``.url``.
- ``browser`` (session): Playwright driving /usr/bin/chromium headless (never ``playwright install``).
- ``open_page(path, width=1920, height=1080)``: a new page at that viewport; the test fails on any
  console error or uncaught page error. ``shot(page, name)`` saves test-artifacts/<name>.png.

Mark browser tests ``@pytest.mark.browser``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from etl.settings import PROJECT_ROOT
from tests.clock import pinned_config

CHROMIUM = Path(os.environ.get("VITALS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    warehouse: Path
    process: subprocess.Popen[bytes] = field(repr=False)
    log: Path = field(repr=False)


def start_server(warehouse: Path, log: Path, server: str = "waitress", workers: int = 2,
                 auth_toml: str | None = None, now: datetime | None = None) -> LiveServer:
    """Serve ``warehouse`` with the site clock pinned at the run's instant (a ``vitals.toml`` beside
    ``log``; ``now``: a test's own instant); auth off (``VITALS_AUTH=off``) unless ``auth_toml`` gives the
    config's ``[auth]`` section."""
    port = _free_port()
    config = pinned_config(log.with_name(f"{log.stem}.vitals.toml"), auth_toml or "", now)
    env = {**os.environ, "VITALS_WAREHOUSE": str(warehouse), "PYTHONUNBUFFERED": "1", "VITALS_CONFIG": str(config)}
    env.pop("VITALS_AUTH", None)
    if auth_toml is None:
        env["VITALS_AUTH"] = "off"
    out = log.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "serve", "--server", server, "--port", str(port),
         "--workers", str(workers)],
        cwd=str(PROJECT_ROOT), env=env, stdout=out, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dashboard server exited ({proc.returncode}):\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url + "/", timeout=2) as r:
                if r.status == 200:
                    return LiveServer(url, warehouse, proc, log)
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"dashboard server did not start:\n{log.read_text(errors='replace')}")


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="session")
def warehouse_root(tiny_warehouse: Path) -> Path:
    return tiny_warehouse.parent


@pytest.fixture(scope="session")
def live_server(warehouse_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(warehouse_root / "vitals.duckdb", tmp_path_factory.mktemp("server") / "server.log")
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def open_page(browser: Any, live_server: LiveServer) -> Iterator[Callable[..., Any]]:
    """``open_page("/screen?kiosk=1", width=3840, height=2160)`` → a loaded Playwright page.

    Any console error or page error during the test fails it (checked at teardown).
    """
    contexts: list[Any] = []
    errors: list[str] = []

    def _open(path: str = "/", width: int = 1920, height: int = 1080, wait: str | None = "#shell-nav-links a") -> Any:
        # Playwright's string predicates (wait_for_function) are evaluated in the page, which the app's
        # Content-Security-Policy (no 'unsafe-eval') refuses; the policy itself is tested without
        # bypass in test_csp.py and test_hostile_corpus.py.
        ctx = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN", bypass_csp=True)
        contexts.append(ctx)
        page = ctx.new_page()
        page.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
        page.goto(live_server.url + path, wait_until="load")
        if wait:
            page.wait_for_selector(wait, state="attached", timeout=20_000)
        return page

    yield _open
    for ctx in contexts:
        ctx.close()
    assert not errors, "browser errors:\n" + "\n".join(errors)


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
