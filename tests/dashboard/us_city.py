"""US-shaped warehouses built through the real ETL from the NYC 311 sample (21–22 October 2018).

- ``three_levels``: the shipped mappings: city (district) → borough (town, no polygons) → community
  district (grid, polygons).
- ``two_levels``: city → community districts directly (no 街镇 / town level), like a city of council
  districts; the units mapping is written here, the orders load with the shipped ``nyc311`` mapping.

Both in the America/New_York zone and WGS-84, as a New York site's ``vitals.toml`` says. The site
clock is pinned (``[site] now``), years after the data ends: the data is historical.
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

from etl.load import load_files
from etl.settings import Settings
from tests.etl.conftest import REAL

CSV = REAL / "hotline" / "nyc311_2018_sample.csv"
GEO = REAL / "boundaries" / "nyc_community_districts_2013.geojson"
SITE_NOW = "2026-12-01T09:00:00"
ZONE = "America/New_York"

TWO_LEVEL_UNITS = """\
source_system = "nyc_dcp"
kind = "units"

[file]
format = "geojson"

[fields]
unit_code = { column = "BoroCD", regex = '^(?P<cd>\\d{3})$', template = "NYC-{cd}" }
parent_code = { constant = "NYC" }
level = { constant = "grid" }
name_en = { column = "BoroCD", regex = '^(?P<cd>\\d{3})$', template = "Community District {cd}" }
name_zh = { column = "BoroCD", regex = '^(?P<cd>\\d{3})$', template = "社区{cd}" }

[geometry]
column = "geometry"
datum = "WGS-84"
approximate = false

[[constant_rows]]
unit_code = "NYC"
level = "district"
name_zh = "纽约市"
name_en = "New York City"
"""

# the New York site's [site] keys (a served test app's config adds them under its pinned [site] table)
SITE_KEYS = f"""\
name_zh = "纽约市"
name_en = "New York City"
timezone = "{ZONE}"
datum = "WGS-84"
"""
CONFIG = f'[site]\n{SITE_KEYS}now = "{SITE_NOW}"\n'


def settings(warehouse: Path, now: str = SITE_NOW) -> Settings:
    return Settings(warehouse=warehouse, site_name_zh="纽约市", site_name_en="New York City", timezone=ZONE,
                    datum="WGS-84", sections=MappingProxyType({"site": {"now": now}}))


def build(root: Path, levels: int) -> Path:
    """Load the units and the 311 sample into ``root``/vitals.duckdb; returns the warehouse link."""
    root.mkdir(parents=True, exist_ok=True)
    wh = root / "vitals.duckdb"
    s = settings(wh)
    if levels == 3:
        units: Path | str = "nyc_community_districts"
    else:
        units = root / "units_two_levels.toml"
        units.write_text(TWO_LEVEL_UNITS, encoding="utf-8")
    load_files(wh, "units", [GEO], units, settings=s)
    load_files(wh, "hotline", [CSV], "nyc311", settings=s)
    (root / "vitals.toml").write_text(CONFIG, encoding="utf-8")
    return wh
