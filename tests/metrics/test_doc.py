from __future__ import annotations

from metrics import catalog
from metrics.doc import BENCH_MARK, DOC, current, render
from metrics.scores import REGION_REGISTERED_NOTE


def test_every_indicator_is_documented_with_formula_and_source():
    text = DOC.read_text(encoding="utf-8")
    for ind in catalog({}):
        assert f"### `{ind.id}` · {ind.zh}" in text, f"{ind.id} is undocumented: run `python -m metrics.doc`"
        assert ind.formula_zh and ind.formula_en and ind.description, ind.id


def test_catalog_is_current():
    assert DOC.read_text(encoding="utf-8") == current(), "docs/metrics.md is stale: run `python -m metrics.doc`"


def test_benchmark_section_survives_regeneration():
    text = render(f"{BENCH_MARK}\n\nfigures\n")
    assert text.endswith(f"{BENCH_MARK}\n\nfigures\n") and "应结案数" in text


def test_region_registered_rule_is_documented():
    text = DOC.read_text(encoding="utf-8")
    assert REGION_REGISTERED_NOTE in text and "min(100, 100 × 立案数 / median" in REGION_REGISTERED_NOTE
