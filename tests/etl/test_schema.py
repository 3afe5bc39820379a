from __future__ import annotations

import duckdb

from etl import schema
from etl.settings import PROJECT_ROOT


def test_ddl_creates_every_declared_table_with_its_columns():
    con = duckdb.connect()
    con.execute(schema.ddl())
    for table in schema.TABLES:
        cols = [r[0] for r in con.execute(f"DESCRIBE {table.name}").fetchall()]
        assert tuple(cols) == table.column_names


def test_fact_tables_carry_the_whole_unit_path():
    for name in ("cases", "hotline_orders", "sensors", "staffing_roster", "sensor_alarms"):
        cols = schema.TABLE_BY_NAME[name].column_names
        for level_col in ("district_code", "town_code", "grid_code", "village_code", "unit_code"):
            assert level_col in cols, (name, level_col)


def test_schema_doc_is_current():
    doc = (PROJECT_ROOT / "docs" / "schema.md").read_text(encoding="utf-8")
    assert doc == schema.schema_markdown() + "\n", "docs/schema.md is stale: run `vitals etl schema-doc`"
