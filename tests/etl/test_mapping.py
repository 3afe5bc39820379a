from __future__ import annotations

import pytest

from etl.mapping import MAPPINGS_DIR, MappingError, load_mapping, parse_mapping

BASE = 'source_system = "s"\nkind = "hotline"\n[fields]\nsource_id = "ID"\nreceived_at = "T"\n'


@pytest.mark.parametrize(("text", "key"), [
    ('kind = "hotline"\n', "[source_system]"),
    ('source_system = "s"\nkind = "bogus"\n', "[kind]"),
    (BASE + 'colour = "x"\n', "[fields.colour]"),
    ('source_system = "s"\nkind = "hotline"\n[fields]\nsource_id = "ID"\n', "[fields.received_at]"),
    (BASE + 'status = { column = "S", template = "x" }\n', "[fields.status]"),
    (BASE + 'status = { column = "S", regex = "(" }\n', "[fields.status.regex]"),
    (BASE + '[coords]\nlon = "X"\nlat = "Y"\ndatum = "WGS84"\n', "[coords.datum]"),
    (BASE + '[unit]\nchain = ["code"]\n', "[unit.code]"),
    (BASE + '[unit]\nchain = ["point"]\ncode = "U"\n', "[unit.chain]"),
    (BASE + '[file]\nformat = "docx"\n', "[file.format]"),
    (BASE + '[file]\nsheeet = "x"\n', "[file]"),
    (BASE + '[checks]\nreceived_at = { minimum = 1 }\n', "[checks.received_at]"),
    ('source_system = "s"\nkind = "hotline"\n[fields\n', "not valid TOML"),
])
def test_errors_name_the_key(text, key):
    with pytest.raises(MappingError) as exc:
        parse_mapping(text, "m.toml")
    assert key in str(exc.value) and "m.toml" in str(exc.value)


def test_every_shipped_mapping_parses():
    names = sorted(p.stem for p in MAPPINGS_DIR.glob("*.toml"))
    assert {"nyc311", "nyc_community_districts", "shanghai_pm25_sensors", "beijing_prsa_readings",
            "demo_cases", "demo_readings", "demo_units", "demo_hotline", "demo_sensors", "demo_staffing"} <= set(names)
    for n in names:
        m = load_mapping(n)
        assert m.kind and m.source_system


def test_field_forms():
    m = parse_mapping(BASE + 'channel = { constant = "12345" }\n'
                      'status = { column = "S", map = { "办结" = "closed" }, default = "open" }\n'
                      'category = { column = "C", regex = "^(?P<a>\\\\d+)-(?P<b>\\\\w+)$", template = "{b}/{a:03}" }\n',
                      "m.toml")
    assert m.fields["channel"].constant == "12345"
    assert m.fields["status"].map == {"办结": "closed"} and m.fields["status"].default == "open"
    assert m.fields["category"].template_vars() == ["b", "a"]
