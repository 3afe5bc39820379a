"""Dashboard tests call layouts and callbacks directly, inside a request context of a real app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dash
import pytest

from dashboard.app import create_app
from etl.settings import Settings
from tests.clock import pinned_settings


@pytest.fixture(autouse=True)
def _auth_off_for_page_tests(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Page tests run with auth explicitly off (``VITALS_AUTH=off``: the demo principal, admin over
    the whole warehouse, personal data masked); ``test_auth*`` / ``test_access*`` modules test the
    gate with auth on and get the environment untouched."""
    name = request.module.__name__.rsplit(".", 1)[-1]
    if name.startswith(("test_auth", "test_access")):
        monkeypatch.delenv("VITALS_AUTH", raising=False)
    else:
        monkeypatch.setenv("VITALS_AUTH", "off")


@pytest.fixture(scope="session")
def warehouse(tiny_warehouse: Path) -> Path:
    return tiny_warehouse


@pytest.fixture(scope="session")
def settings(warehouse: Path) -> Settings:
    """The app's settings: the run's warehouse, the site clock pinned at the run's instant."""
    return pinned_settings(warehouse)


@pytest.fixture
def app(settings: Settings) -> dash.Dash:
    return create_app(settings)


@pytest.fixture
def ctx(app: dash.Dash) -> Iterator[dash.Dash]:
    """A request context on the app, as a callback runs in (per-request cursor, settings)."""
    with app.server.test_request_context("/"):
        yield app
        app.server.do_teardown_appcontext()
