"""Rankings (fairness, peers, movement), evaluations and vital-sign scores against hand computations."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from metrics import Period, Query, evaluation, grade, ranking, station_closure, vital_signs, wilson_bound
from tests.metrics.warehouse import cases_due, insert, new_warehouse

MARCH = Query(Period.containing("month", date(2026, 3, 10)))
NO: dict = {}


@pytest.fixture
def ranked(tmp_path):
    con = new_warehouse(tmp_path)
    cases_due(con, "a", "T1", 3, 3)  # 3/3 = 100%: too few to top the table
    cases_due(con, "b", "T2", 200, 190)  # 95%
    cases_due(con, "c", "T3", 100, 90)  # 90%
    cases_due(con, "fb", "T2", 20, 10, month="2026-02")  # February: T3 ahead of T2
    cases_due(con, "fc", "T3", 20, 20, month="2026-02")
    return con


def test_wilson_bound_by_hand():
    # p = 1, n = 3, z = 1.96: (1 + z²/6 − z·sqrt(z²/36)) / (1 + z²/3) = 3 / (3 + z²)
    assert wilson_bound(3, 3) == pytest.approx(3 / (3 + 1.959963984540054**2))
    assert wilson_bound(0, 0) is None


def test_small_numbers_cannot_top_the_ranking(ranked):
    df = ranking(ranked, "town", "closure_rate", MARCH, bottom_n=1, by_peer_group=False, overrides=NO)
    by = df.set_index("key")
    assert not by.loc["T1", "rankable"] and math.isnan(by.loc["T1", "rank"])  # below min volume 10
    assert by.loc["T1", "value"] == 1.0  # the raw rate is still shown
    assert list(df.key) == ["T2", "T3", "T1"]
    assert by.loc["T2", "rank"] == 1 and by.loc["T3", "rank"] == 2 and by.loc["T3", "bottom"]
    # February: T3 100% of 20, T2 50% of 20 → T3 first; movement + = up
    assert by.loc["T2", "previous_rank"] == 2 and by.loc["T2", "movement"] == 1
    assert by.loc["T3", "movement"] == -1
    # even with no minimum volume, the Wilson bound keeps 3/3 (44%) below 190/200
    df = ranking(ranked, "town", "closure_rate", MARCH, by_peer_group=False, min_volume=1, overrides=NO)
    assert list(df.key) == ["T2", "T3", "T1"]
    assert df.set_index("key").loc["T1", "score"] == pytest.approx(wilson_bound(3, 3))


def test_ranking_within_peer_groups(ranked):
    df = ranking(ranked, "town", "closure_rate", MARCH, overrides=NO).set_index("key")
    assert df.loc["T3", "peer_group"] == "street" and df.loc["T3", "rank"] == 1
    assert df.loc["T2", "rank"] == 1 and df.loc["T2", "ranked_in_group"] == 1


def test_region_evaluation_by_hand(march):
    df = evaluation(march, "region", "town", MARCH, overrides=NO).set_index("key")
    # T2: supervision 1/1 → 0; registered 1 vs peer median(4, 1) = 2.5 → 40; closure 100; on time 100
    assert df.loc["T2", "composite"] == pytest.approx(0.1 * 0 + 0.2 * 40 + 0.3 * 100 + 0.4 * 100)
    assert df.loc["T2", "grade"] == "B"
    # T1: supervision 0/4 → 100; registered 4/2.5 capped 100; closure 60; on time 20
    assert df.loc["T1", "composite"] == pytest.approx(10 + 20 + 18 + 8) and df.loc["T1", "grade"] == "D"
    assert math.isnan(df.loc["T3", "composite"]) and pd.isna(df.loc["T3", "grade"])
    over = {"weights": {"region": {"supervision": 0, "registered": 0, "closure": 1, "ontime_closure": 0}}}
    df = evaluation(march, "region", "town", MARCH, overrides=over).set_index("key")
    assert df.loc["T1", "composite"] == pytest.approx(60)


def test_department_evaluation_with_volume_bands(tmp_path):
    con = new_warehouse(tmp_path)
    insert(con, "department", {"dept_code": "P1", "name_zh": "城管中队", "peer_group": "城管"})
    insert(con, "department", {"dept_code": "P2", "name_zh": "物业", "peer_group": "物业"})
    cases_due(con, "p", "V1", 60, 54, dept_code="P1")  # 60 registered → band 51–100 → 90
    cases_due(con, "q", "V2", 10, 10, dept_code="P2", rework_count=1)
    over = {"bands": {"物业": {"bands": [[5, 100], [20, 50]]}}}
    df = evaluation(con, "department", "department", MARCH, overrides=over).set_index("key")
    # P1: 0.1·90 + 0.3·90 (closure) + 0.3·90 (on-time disposal) + 0.3·100 (no rework)
    assert df.loc["P1", "composite"] == pytest.approx(9 + 27 + 27 + 30) and df.loc["P1", "grade"] == "A"
    # P2: its own peer band: 10 cases → 50; closure 100; disposal 100; rework 10/10 → 0
    assert df.loc["P2", "registered_score"] == 50
    assert df.loc["P2", "composite"] == pytest.approx(5 + 30 + 30 + 0) and df.loc["P2", "grade"] == "C"


def test_grades():
    assert [grade(x) for x in (95, 90, 89.9, 75, 60, 40, 39.9, None)] == ["A", "A", "B", "B", "C", "D", "E", None]


def test_vital_signs_cityscore(march):
    ids = ("closure_rate", "proactive_rate", "supervision_rate", "rework_rate", "urgent_arrival_rate")
    vs = vital_signs(march, MARCH, ids, overrides=NO)
    s = {x.metric_id: x for x in vs.signs}
    assert s["closure_rate"].score == pytest.approx((4 / 6) / 0.97)
    assert s["proactive_rate"].score == pytest.approx(0.2 / 0.85)
    assert s["supervision_rate"].score == pytest.approx(0.05 / 0.2)  # lower is better: target / actual
    assert s["rework_rate"].score == pytest.approx(0.05 / (1 / 6))
    assert s["urgent_arrival_rate"].score is None  # no urgent cases: no value, not counted
    expected = ((4 / 6) / 0.97 + 0.2 / 0.85 + 0.25 + 0.3) / 4
    assert vs.overall == pytest.approx(expected) and vs.status == "red"
    assert vs.top[0] == "closure_rate" and vs.bottom[0] == "proactive_rate"
    (dim,) = vs.dimensions[:1]
    assert dim.dimension == "城市治理" and dim.score == pytest.approx(expected)
    # February: due c3 c4 c5 (1 closed), registered c3 c4 c5, reworked none → rework 0 → capped score 1.5
    assert s["rework_rate"].previous_score == 1.5


def test_cityscore_cap_is_the_sites(march):
    """``[metrics.vital_signs] cap`` replaces the default 1.5 (docs/metrics.md): February's rework 0
    scores the site's cap; March's signs under it are unchanged, so the overall moves by nothing."""
    ids = ("closure_rate", "rework_rate")
    default = {x.metric_id: x for x in vital_signs(march, MARCH, ids, overrides=NO).signs}
    capped = vital_signs(march, MARCH, ids, overrides={"vital_signs": {"cap": 1.2}})
    s = {x.metric_id: x for x in capped.signs}
    assert default["rework_rate"].previous_score == 1.5 and s["rework_rate"].previous_score == 1.2
    assert s["closure_rate"].score == pytest.approx((4 / 6) / 0.97)  # under either cap: as computed
    assert capped.previous_overall == pytest.approx((s["closure_rate"].previous_score + 1.2) / 2)
    low = vital_signs(march, MARCH, ids, overrides={"vital_signs": {"cap": 0.5}})
    assert {x.metric_id: x.score for x in low.signs} == pytest.approx({"closure_rate": 0.5, "rework_rate": 0.3})


def test_station_closure_against_85(tmp_path):
    con = new_warehouse(tmp_path)
    for code, town in (("S1", "T1"), ("S2", "T1"), ("S3", "T2")):
        insert(con, "station", {"station_code": code, "name_zh": code, "station_type": "liaison",
                                "district_code": "D", "town_code": town})
    cases_due(con, "s1_", "V1", 10, 9, station_code="S1")
    cases_due(con, "s2_", "V1", 10, 5, station_code="S2")
    cases_due(con, "x", "V1", 10, 0)  # not at a station: not counted
    sc = station_closure(con, MARCH, overrides=NO)
    assert sc.district.value == pytest.approx(14 / 20) and sc.district.target == 0.85
    assert (sc.meeting_target, sc.stations_with_value, sc.stations_total) == (1, 2, 3)
    assert list(sc.below.key) == ["S2"]
    s3 = sc.stations.set_index("key").loc["S3"]
    assert math.isnan(s3["value"]) and s3["meets_target"] is pd_na()
    t1 = station_closure(con, Query(MARCH.period, unit="T2"), overrides=NO)
    assert t1.stations_total == 1 and t1.district.value is None


def pd_na():
    import pandas as pd

    return pd.NA


def test_ranking_on_the_region_composite(ranked):
    df = ranking(ranked, "town", "region_composite", MARCH, by_peer_group=False, overrides=NO).set_index("key")
    # T1 has 3 due cases (< 10): listed with its composite but not ranked
    assert not df.loc["T1", "rankable"] and math.isnan(df.loc["T1", "rank"]) and df.loc["T1", "value"] > 0
    # T2: due = 200 March cases + 10 February cases still open at March 1 = 210, closed (on time) 190;
    # registered 200 vs its peer median(3, 200) = 101.5 → 100; no supervision reports → 100.
    # T3: due 100 (its February cases all closed), closed 90 → composite 93.0 < T2's 93.33
    assert df.loc["T2", "value"] == pytest.approx(0.1 * 100 + 0.2 * 100 + 0.7 * 100 * 190 / 210)
    assert df.loc["T3", "value"] == pytest.approx(10 + 20 + 0.7 * 90)
    assert df.loc["T2", "rank"] == 1 and df.loc["T3", "rank"] == 2


def test_bottom_flags_at_most_half_of_each_peer_group():
    from metrics.ranking import rank_frame

    # groups of 1, 2, 3 and 8 ranked units (scores 1..n, higher is better) plus one unranked unit in "c"
    rows = [(f"{g}{i}", g, i + off, True) for g, n, off in (("a", 1, 0.4), ("b", 2, 0.3), ("c", 3, 0.2), ("d", 8, 0.1))
            for i in range(1, n + 1)] + [("c-small", "c", 0.0, False)]
    df = pd.DataFrame(rows, columns=["key", "peer_group", "score", "rankable"])
    df["previous_score"], df["previous_rankable"] = float("nan"), False
    out = rank_frame(df, higher=True, bottom_n=3, by_peer=True).set_index("key")
    # by hand: last 3, capped at ⌊n/2⌋ → a: none, b: b1, c: c1 (not all three), d: d1–d3
    assert sorted(out.index[out["bottom"]]) == ["b1", "c1", "d1", "d2", "d3"]
    assert not out.loc["c-small", "bottom"] and out.loc["c1", "ranked_in_group"] == 3
    # without peer groups the 14 ranked units form one group: the last 3
    flat = rank_frame(df, higher=True, bottom_n=3, by_peer=False).set_index("key")
    assert sorted(flat.index[flat["bottom"]]) == ["b1", "c1", "d1"]  # scores 1.1, 1.2, 1.3


def test_target_of_is_the_declaration_or_the_sites_override():
    from metrics import target_of

    assert target_of("station_closure_rate", {}) == 0.85
    assert target_of("station_closure_rate", {"indicators": {"station_closure_rate": {"target": 0.9}}}) == 0.9
    assert target_of("registered", {}) is None
