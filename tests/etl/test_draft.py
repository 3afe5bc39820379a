"""`vitals etl draft-mapping`: the drafted mapping loads the file as is, with counts checked by hand or
against an independent reading of the raw file."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

from etl.cli import app
from etl.datum import convert
from etl.draft import KnownUnits, draft_mapping, status_map, time_formats
from etl.load import load_files
from etl.mapping import parse_mapping
from etl.settings import Settings
from etl.snapshots import open_readonly
from tests.etl.conftest import REAL, demo_units

runner = CliRunner(env={"COLUMNS": "200"})


def _units(wh: Path) -> KnownUnits:
    con = open_readonly(wh)
    try:
        return KnownUnits.read(con)
    finally:
        con.close()


def test_time_formats_and_status_words() -> None:
    assert time_formats(["10/21/18 0:00", "10/21/18 13:05"]) == ["%m/%d/%y %H:%M"]
    assert time_formats(["2026年03月01日 08:00", "2026年03月02日 17:30"]) == ["%Y年%m月%d日 %H:%M"]
    assert time_formats(["hello", "2026-01-01"]) == []  # half the values: no format
    mapping, cancelled, other = status_map(["已办结", "处理中", "已撤销", "已办结", "待回访x"], "hotline")
    assert mapping == {"已办结": "closed", "处理中": "open", "待回访x": "open"}
    assert cancelled == ["已撤销"] and other == []


def _gbk_hotline(path: Path) -> Path:
    """A Chinese 12345 export: GBK, Chinese headers, 年月日 times, GCJ-02 points, village names."""
    x, y = convert([121.05], [31.05], "GCJ-02", "GCJ-02")
    rows = []
    for i in range(40):
        st = "已撤销" if i % 10 == 0 else "处理中" if i % 4 == 1 else "已办结"
        closed = "" if st == "处理中" else f"2026年03月{1 + i % 20:02d}日 18:00"
        rows.append({"工单编号": f"GD{i:04d}", "受理时间": f"2026年03月{1 + i % 20:02d}日 08:{i % 60:02d}",
                     "办结时间": closed, "工单状态": st, "诉求类型": "噪声扰民" if i % 2 else "占道经营",
                     "村居名称": "村一", "经度": f"{x[0] + i * 1e-5:.6f}", "纬度": f"{y[0]:.6f}",
                     "诉求内容": "楼下夜间施工" * (1 + i % 3)})
    rows[5]["受理时间"] = "2026年13月01日 08:00"  # a bad month: bad_timestamp
    pd.DataFrame(rows).to_csv(path, index=False, encoding="gbk")
    return path


def test_draft_chinese_gbk_export_loads_as_is(tmp_path: Path, warehouse: Path, settings: Settings) -> None:
    load_files(warehouse, "units", [demo_units(tmp_path / "u.parquet")], "demo_units")
    f = _gbk_hotline(tmp_path / "12345工单.csv")
    text = draft_mapping(f, "hotline", site_zone="Asia/Shanghai", units=_units(warehouse))
    for line in ('encoding = "gb18030"', 'formats = ["%Y年%m月%d日 %H:%M"]', 'zone = "Asia/Shanghai"',
                 'datum = "GCJ-02"', 'cancelled = ["已撤销"]', 'source_id = "工单编号"', 'received_at = "受理时间"',
                 'closed_at = "办结时间"', 'category = "诉求类型"', 'content = "诉求内容"', 'name = "村居名称"'):
        assert line in text, line
    m = parse_mapping(text, "draft.toml")
    rep = load_files(warehouse, "hotline", [f], m)
    # By hand: 40 rows, row 5 has month 13.
    assert (rep.rows_read, rep.rows_loaded, rep.rows_rejected) == (40, 39, 1)
    assert rep.reasons == {"bad_timestamp": 1}
    con = open_readonly(warehouse)
    got = con.execute("SELECT status, count(*), count(unit_code) FROM hotline_orders GROUP BY 1 ORDER BY 1").fetchall()
    # i % 10 == 0 → cancelled (4); i % 4 == 1 → open (10, one of them row 5: 9 left); closed 40 - 4 - 10
    assert got == [("cancelled", 4, 4), ("closed", 26, 26), ("open", 9, 9)]
    con.close()


def test_draft_xlsx_with_date_cells_and_sheets(tmp_path: Path, warehouse: Path) -> None:
    """A 问政 spreadsheet: typed date cells (read as serial days), two sheets, the first one the data."""
    f = tmp_path / "wenzheng.xlsx"
    df = pd.DataFrame({"编号": ["W1", "W2", "W3"],
                       "反映时间": [datetime(2019, 4, 8, 8, 37, 20), datetime(2019, 4, 9, 0, 0),
                                datetime(2019, 4, 10, 12, 0)],
                       "问题分类": ["交通", "环境", "交通"], "状态": ["已回复", "已回复", "办理中"]})
    with pd.ExcelWriter(f, engine="xlsxwriter") as xw:
        df.to_excel(xw, sheet_name="留言", index=False)
        pd.DataFrame({"说明": ["导出说明"]}).to_excel(xw, sheet_name="说明", index=False)
    text = draft_mapping(f, "hotline", site_zone="Asia/Shanghai")
    assert 'sheet = "留言"   # other sheets: 说明' in text
    assert "反映时间: spreadsheet serial days" in text
    rep = load_files(warehouse, "hotline", [f], parse_mapping(text, "draft.toml"))
    assert (rep.rows_read, rep.rows_loaded, rep.rows_rejected) == (3, 3, 0)
    con = open_readonly(warehouse)
    assert con.execute("SELECT list(received_at ORDER BY source_id) FROM hotline_orders").fetchone() == (
        [datetime(2019, 4, 8, 8, 37, 20), datetime(2019, 4, 9), datetime(2019, 4, 10, 12)],)
    con.close()


@pytest.mark.real_data
def test_draft_nyc311_loads_with_independent_counts(tmp_path: Path) -> None:
    csv, geo = REAL / "hotline" / "nyc311_2018_sample.csv", REAL / "boundaries" / "nyc_community_districts_2013.geojson"
    wh = tmp_path / "nyc" / "vitals.duckdb"
    s = Settings(warehouse=wh, timezone="America/New_York", datum="WGS-84")
    load_files(wh, "units", [geo], "nyc_community_districts", settings=s)
    out = tmp_path / "nyc_draft.toml"
    r = runner.invoke(app, ["draft-mapping", str(csv), "--kind", "hotline", "-w", str(wh), "-o", str(out)])
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8")
    assert 'formats = ["%m/%d/%y %H:%M"]' in text and 'zone = "America/New_York"' in text
    assert 'datum = "WGS-84"' in text and 'chain = ["point"]' in text  # "05 QUEENS" is no unit code
    rep = load_files(wh, "hotline", [csv], parse_mapping(text, str(out)), settings=s)

    raw = pd.read_csv(csv, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    sentinel = text.split('lon = { column = "Longitude", null_if = ["')[1].split('"')[0]
    polys = [shapely.geometry.shape(f["geometry"]) for f in json.loads(geo.read_text())["features"]]
    has_pt = (raw["Longitude"] != "") & (raw["Longitude"] != sentinel)
    pts = raw[has_pt]
    inside = shapely.contains_xy(shapely.union_all(polys), pts["Longitude"].astype(float).to_numpy(np.float64),
                                 pts["Latitude"].astype(float).to_numpy(np.float64))
    assert (rep.rows_read, rep.rows_loaded, rep.rows_rejected) == (len(raw), len(raw), 0) == (6765, 6765, 0)
    con = open_readonly(wh)
    assert con.execute("SELECT count(unit_code) FROM hotline_orders").fetchone() == (int(inside.sum()),)
    assert con.execute("SELECT count(*) FROM hotline_orders WHERE lon IS NOT NULL").fetchone() == (int(has_pt.sum()),)
    con.close()


@pytest.mark.real_data
def test_draft_qingpu_admin_units_loads_as_is(tmp_path: Path, warehouse: Path) -> None:
    """A real Chinese export (Vonng/adcode): codes, parents, level words, names, GCJ-02 centroids."""
    csv = REAL.parent / "geo" / "qingpu" / "qingpu_admin_units.csv"
    text = draft_mapping(csv, "units", site_zone="Asia/Shanghai")
    assert 'level = { column = "level", map = { "county" = "district", "town" = "town", "village" = "village" } }' \
        in text
    assert 'datum = "GCJ-02"' in text and "null_if" not in text  # 2 repeated centroids are not a placeholder
    rep = load_files(warehouse, "units", [csv], parse_mapping(text, "qp.toml"))
    raw = pd.read_csv(csv, dtype=str, keep_default_na=False)
    assert (rep.rows_read, rep.rows_loaded, rep.rows_rejected) == (len(raw), len(raw), 0) == (301, 301, 0)
    con = open_readonly(warehouse)
    levels = dict(con.execute("SELECT level, count(*) FROM org_unit GROUP BY 1").fetchall())
    con.close()
    expected = raw["level"].map({"county": "district", "town": "town", "village": "village"}).value_counts()
    assert levels == expected.to_dict() == {"district": 1, "town": 11, "village": 289}


def test_headerless_file_drafts_with_a_small_edit(tmp_path: Path, warehouse: Path) -> None:
    f = tmp_path / "noheader.csv"
    f.write_text("1001;2026-03-01 08:00:00;Noise\n1002;2026-03-01 09:30:00;Litter\n1003;2026-03-02 10:00:00;Noise\n")
    text = draft_mapping(f, "hotline", site_zone="Asia/Shanghai")
    assert 'delimiter = ";"' in text and "header = false" in text
    assert 'received_at = "column1"   # values are times' in text
    assert '# CHECK: source_id is required' in text
    with pytest.raises(Exception, match=r"\[fields.order_id\] is required"):  # (the id made from source_id)
        parse_mapping(text, "draft.toml")
    edited = text.replace("[fields]\n", '[fields]\nsource_id = "column0"\n', 1)  # the one edit
    rep = load_files(warehouse, "hotline", [f], parse_mapping(edited, "draft.toml"))
    assert (rep.rows_read, rep.rows_loaded, rep.rows_rejected) == (3, 3, 0)
