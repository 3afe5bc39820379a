from __future__ import annotations

import pandas as pd
import pytest

from metrics import privacy


def test_names_keep_only_the_surname() -> None:
    assert privacy.mask_name("张三") == "张*"
    assert privacy.mask_name("欧阳娜娜") == "欧***"
    assert privacy.mask_name("") == ""
    assert privacy.mask_name(None) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "138****5678"),
        ("+86 138-1234-5678", "138****5678"),
        ("021-59721234", "021-******34"),
    ],
)
def test_phone_numbers(raw: str, expected: str) -> None:
    assert privacy.mask_phone(raw) == expected


def test_id_numbers_keep_region_and_check_digit() -> None:
    text = "身份证号310118199001011234，另一个31011819900101123X。"
    out = privacy.mask_text(text)
    assert "19900101" not in out
    assert "310118***********4" in out
    assert "310118***********X" in out


def test_id_number_is_not_read_as_a_phone_number() -> None:
    # an ID number contains 11-digit runs starting with 1; it must be masked as an ID, once
    out = privacy.mask_text("310118199001011234")
    assert out == "310118***********4"


def test_free_text_masks_everything_identifying() -> None:
    text = "市民王小明反映：青浦区城中北路88弄3号1201室噪音扰民，电话13912345678，李先生也投诉。"
    out = privacy.mask_free_text(text)
    assert "王小明" not in out
    assert "13912345678" not in out and "139****5678" in out
    assert "88弄" not in out and "1201" not in out
    assert "城中北路" in out  # the road stays: the analyst can still see where, roughly
    assert "李先生" in out  # a surname with an honorific alone is not identifying
    assert "噪音扰民" in out


def test_honorific_with_given_name_is_masked() -> None:
    assert privacy.mask_text("王小明先生来电") == "王**先生来电"


def test_address_keeps_the_road() -> None:
    assert privacy.mask_address("青浦区盈浦街道城中北路88弄3号1201室") == "青浦区盈浦街道城中北路**"
    assert privacy.mask_address("公园路5栋2单元301") == "公园路**"


def test_mask_frame_masks_personal_columns_only() -> None:
    rows = pd.DataFrame(
        {
            "order_id": ["a", "b"],
            "citizen_name": ["张三", None],
            "citizen_phone": ["13812345678", None],
            "address": ["城中北路88号", "公园路5号"],
            "content": ["电话13812345678", "<script>alert(1)</script>"],
            "town_code": ["310118102", "310118103"],
        }
    )
    out = privacy.mask_frame(rows)
    assert out.loc[0, "citizen_name"] == "张*"
    assert pd.isna(out.loc[1, "citizen_name"])  # missing stays missing, not "None" or "*"
    assert out.loc[0, "citizen_phone"] == "138****5678"
    assert pd.isna(out.loc[1, "citizen_phone"])
    assert list(out["address"]) == ["城中北路**", "公园路**"]
    assert out.loc[0, "content"] == "电话138****5678"
    assert out.loc[1, "content"] == "<script>alert(1)</script>"  # not personal: left for the renderer to escape
    assert list(out["town_code"]) == ["310118102", "310118103"]
    assert rows.loc[0, "citizen_name"] == "张三"  # the input is not modified


def test_frame_without_personal_columns_is_returned_as_is() -> None:
    rows = pd.DataFrame({"unit_code": ["x"], "n": [1]})
    assert privacy.mask_frame(rows) is rows
