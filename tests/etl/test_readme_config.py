"""The configuration example in the README must be valid and mean what it says."""

from __future__ import annotations

import re

from etl.settings import PROJECT_ROOT, load_settings
from metrics.catalog import catalog


def test_readme_config_example_loads_and_overrides_targets(tmp_path):
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```toml\n(\[warehouse\].*?)```", readme, re.S)
    assert block, "README lost its configuration example"
    cfg = tmp_path / "vitals.toml"
    cfg.write_text(block.group(1), encoding="utf-8")
    settings = load_settings(cfg, env={})
    assert settings.timezone == "Asia/Shanghai" and settings.datum == "GCJ-02"
    by_id = {i.id: i for i in catalog(settings.section("metrics"))}
    assert by_id["station_closure_rate"].target == 0.85
    assert by_id["station_closure_rate"].warning == 0.80
