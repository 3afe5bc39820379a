"""市民满意率 with the default weights (满意 1, 基本满意 0.9, 不满意 0) and a site override
(``[metrics.hotline.satisfaction_weights]``), against hand computations."""

from __future__ import annotations

from datetime import date

import pytest

from etl.settings import load_settings
from metrics import Period, Query, QueryError, indicator_table, indicator_values, monthly_trend
from tests.metrics.warehouse import insert, new_warehouse, ts, with_path

MARCH = Query(Period.containing("month", date(2026, 3, 10)))
ID = "hotline_satisfaction_rate"


@pytest.fixture
def rated(tmp_path):
    con = new_warehouse(tmp_path)
    # V1: 2 satisfied, 1 basic, 1 unsatisfied, 1 not called back; V2: 1 basic; one February order
    answers = [("V1", "satisfied"), ("V1", "satisfied"), ("V1", "basic"), ("V1", "unsatisfied"), ("V1", None),
               ("V2", "basic")]
    for i, (unit, sat) in enumerate(answers):
        insert(con, "hotline_orders", with_path({"order_id": f"h{i}", "source_system": "t", "source_id": f"h{i}",
                                                 "received_at": ts(f"2026-03-0{i + 1} 10:00"),
                                                 "satisfaction": sat}, unit))
    insert(con, "hotline_orders", with_path({"order_id": "hf", "source_system": "t", "source_id": "hf",
                                             "received_at": ts("2026-02-10 10:00"), "satisfaction": "basic"}, "V1"))
    return con


def test_default_weights(rated):
    v = indicator_values(rated, [ID], MARCH, overrides={})[ID]
    assert v.denominator == 5  # the order without a callback is not rated
    assert v.numerator == pytest.approx(1 + 1 + 0.9 + 0 + 0.9)
    assert v.value == pytest.approx(3.8 / 5) and v.previous_value == pytest.approx(0.9)


def test_site_override_from_toml(rated, tmp_path):
    cfg = tmp_path / "vitals.toml"
    cfg.write_text("[metrics.hotline.satisfaction_weights]\nbasic = 0.5\nunsatisfied = 0.25\n", encoding="utf-8")
    over = load_settings(cfg, env={}).section("metrics")
    v = indicator_values(rated, [ID], MARCH, overrides=over)[ID]
    assert v.value == pytest.approx((1 + 1 + 0.5 + 0.25 + 0.5) / 5)
    assert v.previous_value == pytest.approx(0.5)
    by_town = indicator_table(rated, [ID], MARCH, by="town", overrides=over).set_index("key").value
    assert by_town["T1"] == pytest.approx((1 + 1 + 0.5 + 0.25) / 4) and by_town["T2"] == pytest.approx(0.5)
    trend = monthly_trend(rated, [ID], MARCH, months=2, overrides=over)
    assert list(trend.value) == pytest.approx([0.5, 3.25 / 5])


@pytest.mark.parametrize("bad", [{"basic": 1.5}, {"basic": "high"}, {"neutral": 0.5}])
def test_bad_weights_are_clear_errors(rated, bad):
    with pytest.raises(QueryError, match="satisfaction weight"):
        indicator_values(rated, [ID], MARCH, overrides={"hotline": {"satisfaction_weights": bad}})
