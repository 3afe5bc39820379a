"""A warehouse made by an older version (before some declared columns existed) is brought to this
schema before it is served: without it every statement naming a new column fails (a Binder Error on
the wall). The old snapshot stands in for an old version: the same warehouse with columns dropped."""

from __future__ import annotations

from pathlib import Path

from etl.schema import TABLE_BY_NAME
from etl.snapshots import missing_columns, open_readonly, upgrade, writer
from tests.clock import pinned_settings


def _old_warehouse(tmp_path: Path) -> Path:
    wh = tmp_path / "vitals.duckdb"
    settings = pinned_settings(wh)
    with writer(wh, settings, fresh=True) as con:
        con.execute("INSERT INTO etl_reject (run_id, kind, reason) VALUES (1, 'cases', 'bad_timestamp')")
    with writer(wh, settings) as con:  # what a version before these columns made
        con.execute("ALTER TABLE etl_reject DROP COLUMN raw_record")
        con.execute("ALTER TABLE etl_reject DROP COLUMN detail")
    return wh


def test_missing_columns_are_named_and_added_keeping_the_rows(tmp_path: Path) -> None:
    wh = _old_warehouse(tmp_path)
    assert missing_columns(wh) == ("etl_reject.detail", "etl_reject.raw_record")
    before = wh.resolve()
    assert upgrade(wh, pinned_settings(wh)) == ("etl_reject.detail", "etl_reject.raw_record")
    assert wh.resolve() != before  # published as a new snapshot, like a load
    assert missing_columns(wh) == ()
    con = open_readonly(wh)
    try:
        cols = [d[0] for d in con.execute("SELECT * FROM etl_reject").description]
        assert set(cols) == {c.name for c in TABLE_BY_NAME["etl_reject"].columns}
        assert con.execute("SELECT reason, detail FROM etl_reject").fetchall() == [("bad_timestamp", None)]
    finally:
        con.close()


def test_a_current_warehouse_is_left_alone(tmp_path: Path) -> None:
    wh = _old_warehouse(tmp_path)
    upgrade(wh, pinned_settings(wh))
    published = wh.resolve()
    assert upgrade(wh, pinned_settings(wh)) == () and wh.resolve() == published  # nothing written


def test_no_warehouse_yet_is_nothing_to_upgrade(tmp_path: Path) -> None:
    assert upgrade(tmp_path / "vitals.duckdb") == ()
