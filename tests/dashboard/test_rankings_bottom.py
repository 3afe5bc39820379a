"""/rankings keeps 末位 in plain sight: labelled in words, listed above the table, a worst-first order;
the target shown; a composite reads as a score, not a percentage (issue #18)."""

from __future__ import annotations

from typing import Any

import dash
import pandas as pd

import metrics
from dashboard.components import rankings_view
from dashboard.components.page import context_from_search, run
from dashboard.pages.rankings_ids import RankIds
from tests.clock import anchor_day
from tests.dashboard.test_pages import find, messages


def _page(**q: Any) -> Any:
    """The page on the month holding ``anchor_day()`` (at 00:10 on the 1st the current month has no closed case)."""
    return run("rankings", {"date": anchor_day().isoformat(), **q}, rankings_view.render)


def _rows(page: Any) -> list[dict[str, Any]]:
    return list(find(page, lambda c: getattr(c, "id", None) == RankIds.GRID)[0].rowData)


def _text(page: Any, cid: str) -> str:
    node = find(page, lambda c: getattr(c, "id", None) == cid)[0]
    return "".join(str(ch.children) if hasattr(ch, "children") else str(ch) for ch in
                   (node.children if isinstance(node.children, list) else [node.children]))


def _expected_bottom(level: str, measure: str, n: int) -> pd.DataFrame:
    """Independent: pandas ranks inside each peer group; 末位 = the last min(n, size // 2) places."""
    c = context_from_search(f"?level={level}&measure={measure}&date={anchor_day()}")
    df = metrics.ranking(c.con, level, measure, c.query, bottom_n=n, by_peer_group=True)  # type: ignore[arg-type]
    ok = df[df["rankable"]].copy()
    higher = measure.endswith("composite") or metrics.BY_ID[measure].direction == "higher"
    ok["place"] = ok.groupby("peer_group")["score"].rank(ascending=not higher, method="min")
    size = ok.groupby("peer_group")["key"].transform("size")
    return ok[ok["place"] > size - (size // 2).clip(upper=n)]


def test_bottom_rows_say_bottom_in_words_and_are_listed_above_the_table(ctx: dash.Dash) -> None:
    page = _page(level="village", measure="closure_rate", bottom="2")
    assert messages(page) == []
    rows = _rows(page)
    expected = _expected_bottom("village", "closure_rate", 2)
    assert len(expected) >= 2  # the fixture has 末位 villages in both peer groups
    bottom = {r["key"] for r in rows if r["bottom"]}
    assert bottom == set(expected["key"])
    for r in rows:
        assert (r["note_text"] == "末位") == (r["key"] in bottom)
    # the 末位 text column is pinned beside the name, so horizontal scrolling never hides it
    cols = find(page, lambda c: getattr(c, "id", None) == RankIds.GRID)[0].columnDefs
    note = next(c for c in cols if c["field"] == "note_text")
    assert note.get("pinned") == "left"
    listed = _text(page, "rankings-bottoms")
    assert f"末位 {len(expected)} 个" in listed
    for r in rows:
        assert (r["name"] in listed) == (r["key"] in bottom), r["name"]


def test_worst_first_puts_every_bottom_row_on_top(ctx: dash.Dash) -> None:
    default = _rows(_page(level="village", measure="closure_rate", bottom="2"))
    worst = _rows(_page(level="village", measure="closure_rate", bottom="2", order="worst"))
    assert sorted(r["key"] for r in worst) == sorted(r["key"] for r in default)
    n_bottom = sum(bool(r["bottom"]) for r in worst)
    assert n_bottom >= 2
    assert all(r["bottom"] for r in worst[:n_bottom])
    assert not any(r["bottom"] for r in worst[n_bottom:])
    ranked = [r for r in worst[n_bottom:] if r["rankable"]]
    rel = [r["rank"] / r["ranked_in_group"] for r in ranked]
    assert rel == sorted(rel, reverse=True)  # then the rest from the last relative place up
    first_unranked = next((i for i, r in enumerate(worst) if not r["rankable"]), len(worst))
    assert all(not r["rankable"] for r in worst[first_unranked:])


def test_bad_order_is_a_message(ctx: dash.Dash) -> None:
    assert any("order=sideways" in m for m in messages(_page(level="town", order="sideways")))


def test_composite_is_a_score_and_the_target_is_shown(ctx: dash.Dash) -> None:
    page = _page(level="grid", measure="region_composite")
    rows = [r for r in _rows(page) if r["score"] is not None]
    assert rows
    for r in rows:
        assert "%" not in r["score_text"] and "%" not in r["value_text"]
        assert r["score_text"] == f"{r['score']:,.1f}".removesuffix(".0")
    target = _text(page, "rankings-target")
    assert "满分 100" in target and "A ≥ 90" in target
    # a rate: its declared target (seed 002: 结案率 ≥ 97%); a lower-is-better rate: ≤
    assert _text(_page(level="town", measure="closure_rate"), "rankings-target") == "目标 ≥ 97.0%"
    assert _text(_page(level="town", measure="rework_rate"), "rankings-target") == "目标 ≤ 5.0%"
    en = _page(level="town", measure="closure_rate", lang="en")
    assert _text(en, "rankings-target") == "Target ≥ 97.0%"

