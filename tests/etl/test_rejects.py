"""One crafted file per reject reason, in UTF-8-BOM CSV, GBK CSV and XLSX flavours."""

from __future__ import annotations

import pandas as pd
import pytest

from etl.datum import convert
from etl.load import load_files
from etl.snapshots import open_readonly
from tests.etl.conftest import demo_units

HEAD = ["案件编号", "上报时间", "结案时间", "状态", "来源", "紧急程度", "类别编码", "返工次数", "网格编码", "村居名称",
        "经度", "纬度", "地址", "问题描述"]
# A point inside grid G1 (GCJ-02 121.05, 31.05), written in BD-09 as a Baidu-map system would.
_bx, _by = convert([121.05], [31.05], "GCJ-02", "BD-09")
BD = (f"{_bx[0]:.6f}", f"{_by[0]:.6f}")


def good(i: str = "A1", **kw: str) -> dict[str, str]:
    row = {"案件编号": i, "上报时间": "2026-03-01 08:00:00", "结案时间": "2026/03/01 10:30", "状态": "已结案",
           "来源": "网格巡查", "紧急程度": "一般", "类别编码": "E01001", "返工次数": "0", "网格编码": "G1",
           "村居名称": "", "经度": BD[0], "纬度": BD[1], "地址": "青浦区盈浦街道某路1号", "问题描述": "占道经营"}
    row.update(kw)
    return row


# reason → (bad row, field named in the reject, raw value stored)
CASES = {
    "missing_required": (good("B1", 上报时间=""), "上报时间", None),
    "bad_timestamp": (good("B2", 上报时间="2026-13-45 99:00"), "上报时间", "2026-13-45 99:00"),
    "closed_before_reported": (good("B3", 结案时间="2026-02-28 08:00:00"), "结案时间", None),
    "unknown_unit": (good("B4", 网格编码="ZZ-999"), "网格编码", "ZZ-999"),
    "outside_jurisdiction": (good("B5", 经度="116.404", 纬度="39.915"), "经度/纬度", None),
    "duplicate_id": (good("A1", 状态="已派遣"), "case_id", "grid_zh:A1"),
    "out_of_range": (good("B7", 返工次数="-1"), "返工次数", "-1"),
    "bad_number": (good("B8", 返工次数="两次"), "返工次数", "两次"),
}


def write(path, rows, flavour):
    df = pd.DataFrame(rows, columns=HEAD)
    if flavour == "xlsx":
        p = path.with_suffix(".xlsx")
        df.to_excel(p, index=False, engine="xlsxwriter")
    else:
        p = path.with_suffix(".csv")
        # CRLF like Windows exports; GBK as Chinese systems write it.
        df.to_csv(p, index=False, encoding="utf-8-sig" if flavour == "utf8bom" else "gbk", lineterminator="\r\n")
    return p


@pytest.mark.parametrize("flavour", ["utf8bom", "gbk", "xlsx"])
@pytest.mark.parametrize("reason", sorted(CASES))
def test_each_reason(tmp_path, warehouse, flavour, reason):
    load_files(warehouse, "units", [demo_units(tmp_path / "u.parquet")], "demo_units")
    bad, field, raw = CASES[reason]
    f = write(tmp_path / f"{reason}", [good(), bad], flavour)
    rep = load_files(warehouse, "cases", [f], "example_grid_cases_zh")
    assert (rep.rows_read, rep.rows_loaded, rep.rows_rejected) == (2, 1, 1)
    assert rep.reasons == {reason: 1}
    con = open_readonly(warehouse)
    line, got_field, got_raw, record = con.execute(
        "SELECT line, field, raw_value, raw_record FROM etl_reject").fetchone()
    assert line == 3  # header line 1, good row line 2, bad row line 3
    assert got_field == field
    if raw is not None:
        assert got_raw == raw
    assert bad["问题描述"] in record and bad["案件编号"] in record  # decoded text, whole row kept
    # The good row: Chinese decoded, mapped values, BD-09 → GCJ-02 back to within a metre, path filled.
    row = con.execute("SELECT status, source, proactive, urgency, description, lon, lat, grid_code, town_code,"
                      " reported_at, closed_at FROM cases").fetchone()
    assert row[:5] == ("closed", "patrol", True, "general", "占道经营")
    assert abs(row[5] - 121.05) < 1e-5 and abs(row[6] - 31.05) < 1e-5
    assert row[7:9] == ("G1", "T1")
    assert (row[9], row[10]) == (pd.Timestamp("2026-03-01 08:00"), pd.Timestamp("2026-03-01 10:30"))
    con.close()


def test_unit_by_name_then_point(tmp_path, warehouse):
    load_files(warehouse, "units", [demo_units(tmp_path / "u.parquet")], "demo_units")
    rows = [good("N1", 网格编码="", 村居名称="村一"), good("P1", 网格编码=""),
            good("X1", 网格编码="", 经度="", 纬度="")]
    rep = load_files(warehouse, "cases", [write(tmp_path / "n", rows, "utf8bom")], "example_grid_cases_zh")
    assert rep.reasons == {"unit_unresolved": 1}
    con = open_readonly(warehouse)
    assert con.execute("SELECT source_id, unit_code FROM cases ORDER BY 1").fetchall() == [("N1", "V1"), ("P1", "G1")]
    con.close()
