"""The wall's live panels are kept per stretch of time in which nothing of theirs changes
(dashboard/screen/model.py ``live``; metrics/feed.py ``*_changes``): a refresh inside a stretch reuses
the kept rows, one after an instant passes recomputes them, and either way the panel shows exactly
what a fresh computation at the refresh's instant gives (the feed's ages and the tiles' clock included)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

import dash
import pandas as pd
import pytest

from dashboard import access, data
from dashboard.app import create_app
from dashboard.screen import model, urgent
from dashboard.screen.config import ScreenConfig, parse
from etl.settings import Settings
from metrics import feed
from tests.dashboard.urgent_fixture import NOW, build

# instants of the fixture's urgent clocks (tests/dashboard/urgent_fixture.py: the "pending" case is due
# on site 10 minutes after NOW) and between them: some in one stretch, some across a change
INSTANTS = (NOW, NOW + timedelta(seconds=1), NOW + timedelta(minutes=3), NOW + timedelta(minutes=4, seconds=59),
            NOW + timedelta(minutes=9, seconds=59), NOW + timedelta(minutes=10), NOW + timedelta(minutes=10, seconds=1),
            NOW + timedelta(minutes=30), NOW)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("wall-live")
    build(root)
    return root


@pytest.fixture
def wall(root: Path) -> Iterator[dash.Dash]:
    app = create_app(Settings(warehouse=root / "vitals.duckdb",
                              sections=MappingProxyType({"site": {"now": NOW.isoformat()}})))
    with app.server.test_request_context("/"):
        yield app
        app.server.do_teardown_appcontext()


def fresh(cfg: ScreenConfig, at: datetime) -> dict[str, object]:
    """Each live panel computed from the day's rows at ``at``, with no kept value."""
    rows, q = model.day_rows(at), model.base_query(cfg, at)
    tz = ZoneInfo(cfg.timezone)
    tiles, total, counts, hidden = urgent._tiles(cfg, at, tz)
    return {"feed": access.mask_rows(feed.live_feed(rows, q, at, limit=16)),
            "duty": access.mask_rows(feed.on_duty_by_grid(rows, q, at)),
            "backlog": feed.backlog(rows, q, model.data_instant(at)),
            "urgent": urgent.UrgentView(urgent.epoch_ms(at, tz) or 0, tiles, total, counts, hidden)}


def kept(cfg: ScreenConfig, at: datetime) -> dict[str, object]:
    b = model.backlog(cfg, at)  # the live part; the catalog's three figures replace theirs
    return {"feed": model.live_feed(cfg, at), "duty": model.duty(cfg, at),
            "backlog": (b.open_urgent, b.overdue_hotline, b.active_alarms), "urgent": urgent.view(cfg, at)}


def test_kept_live_panels_equal_a_fresh_computation_at_every_refresh(wall: dash.Dash) -> None:
    cfg = parse({}, data.settings())
    views = []
    for at in INSTANTS:
        got, want = kept(cfg, at), fresh(cfg, at)
        pd.testing.assert_frame_equal(got["feed"], want["feed"])  # type: ignore[arg-type]
        pd.testing.assert_frame_equal(got["duty"], want["duty"])  # type: ignore[arg-type]
        b = want["backlog"]
        assert got["backlog"] == (b.open_urgent, b.overdue_hotline, b.active_alarms)  # type: ignore[attr-defined]
        assert got["urgent"] == want["urgent"], at
        views.append(got["urgent"])
    # the fixture's clocks moved the tiles between those instants (the test spans real changes)
    assert len({tuple(t.state for t in v.tiles) for v in views}) > 1  # type: ignore[attr-defined]


def test_a_refresh_inside_a_stretch_reuses_the_kept_rows(wall: dash.Dash) -> None:
    cfg = parse({}, data.settings())
    first = model.duty(cfg, NOW)
    assert model.duty(cfg, NOW + timedelta(microseconds=1)) is first  # nothing passed: the same kept frame
    a, b = model.live_feed(cfg, NOW), model.live_feed(cfg, NOW + timedelta(seconds=30))
    assert a is not b and len(a) > 0  # a copy with its own ages ...
    assert (b["age_minutes"] - a["age_minutes"]).round(9).eq(0.5).all()  # ... 30 s older
    tiles = urgent.view(cfg, NOW + timedelta(minutes=3)).tiles
    # the "warn" case turned red at NOW + 3 min, the "pending" one turns amber at NOW + 5: nothing between
    # (half a minute later: NOW is a whole minute, so both instants lie on one day at any hour)
    assert urgent.view(cfg, NOW + timedelta(minutes=3, seconds=30)).tiles is tiles
    assert urgent.view(cfg, NOW + timedelta(minutes=5)).tiles != tiles  # amber: a new stretch, recomputed


def test_panels_drawn_once_a_day_or_stretch_keep_their_own_fingerprints(wall: dash.Dash) -> None:
    from dashboard.callbacks import screen as cb
    from dashboard.pages.screen_ids import ScreenIds as S

    store = parse({}, data.settings()).to_store()
    first, again = cb.refresh(store, {}), cb.refresh(store, {})
    ids = [i for i, _ in cb.PANEL_OUTPUTS]
    fps = first[len(ids) + 1]
    for id_ in (S.VITALS, S.STATIONS, S.STATIONS_SUMMARY, S.RANKING, S.WATER, S.HOURLY, S.HOTLINE):
        k = ids.index(id_)
        assert fps[id_] == cb.fingerprint(first[k])  # the kept fingerprint is the content's
        assert again[k] is first[k]  # drawn once: the same components
