"""Text that is blank after trimming, or a declared null value inside spaces, is missing: the staging
view checks a cheap necessary condition before it trims (etl.readers._null_view), so a value of ASCII
or full-width / no-break spaces and a padded null value must still come out NULL."""

from __future__ import annotations

from etl.load import load_files
from etl.mapping import load_mapping
from tests.etl.conftest import demo_units

MAPPING = """source_system = "demo"
kind = "cases"
identity = true

[file]
format = "csv"
null_values = ["N/A"]

[unit]
chain = ["code"]
code = "unit_code"
"""


def test_blank_and_padded_null_values_are_missing(tmp_path, warehouse):
    load_files(warehouse, "units", [demo_units(tmp_path / "u.parquet")], "demo_units")
    (tmp_path / "m.toml").write_text(MAPPING, encoding="utf-8")
    rows = ["case_id,source_system,source_id,status,reported_at,unit_code",
            "demo:1,demo,1,reported,2026-01-01 10:00:00,V1",
            "demo:2,demo,2,reported,   ,V1",                   # spaces
            "demo:3,demo,3,reported,\u3000\u00a0,V1",          # full-width and no-break spaces
            "demo:4,demo,4,reported,  N/A ,V1",                # a declared null value, padded
            "demo:5,demo,5,reported,2026-01-01 11:00:00 ,V1",  # a value with a trailing space
            "demo:6,demo,6,reported,\u2003\u202f,V1"]          # em and narrow no-break spaces (Zs)
    (tmp_path / "c.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    rep = load_files(warehouse, "cases", [tmp_path / "c.csv"], load_mapping(tmp_path / "m.toml"))
    assert (rep.rows_read, rep.rows_loaded, rep.reasons) == (6, 2, {"missing_required": 4})
