"""Masking of personal data: names, phone numbers, ID numbers and precise addresses.

Pure functions on strings and DataFrames (no Dash, no warehouse). ``dashboard.access.mask_rows``
applies ``mask_frame`` to every table a user without clearance is shown or exports, so pages,
tooltips and exports share one rule set.

What is kept is chosen so a masked row is still useful to an analyst without identifying anyone:
the surname (张**), the phone's first 3 and last 4 digits (the national practice on receipts), an
ID number's region and check digit, and an address down to its road but not its house number.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

MASK = "*"

# Mainland mobile numbers (1[3-9]x xxxx xxxx, optionally +86 and separators) and landlines
# (0xx-xxxxxxxx). Lookarounds stop a match inside a longer digit run such as an ID number.
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})[- ]?(\d{7,8})(?!\d)")
# 18-digit resident ID (last may be X), and the old 15-digit form.
_ID18 = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3})([0-9Xx])(?![0-9A-Za-z])")
_ID15 = re.compile(r"(?<!\d)(\d{6})(\d{9})(?!\d)")
# A house number and what follows it: "88号", "88弄3号1201室", "5栋2单元301", "3号楼". The road
# (…路/街/弄 name) before it is kept; the digits that locate a door are not.
_HOUSE = re.compile(
    r"(\d+|[一二三四五六七八九十百]+)\s*(?:号|弄|栋|幢|座|号楼|单元|室|层|楼|户)"
    r"(?:\s*[-\d一二三四五六七八九十百]+\s*(?:号|弄|栋|幢|座|号楼|单元|室|层|楼|户)?)*"
)
# Names introduced in free text: "姓名：王小明", "联系人 李四", "市民张三反映", "王先生", "李女士".
_NAME_AFTER_LABEL = re.compile(r"((?:姓名|联系人|来电人|市民|居民|业主|反映人|报案人)[:：\s]*)([\u4e00-\u9fff]{2,3})")
_NAME_HONORIFIC = re.compile(r"([\u4e00-\u9fff])([\u4e00-\u9fff]{0,2}?)(先生|女士|小姐|阿姨|师傅|老师)")


def mask_name(name: str | None) -> str | None:
    """张三 → 张*, 欧阳娜娜 → 欧***; Latin names keep their first letter."""
    if name is None or (isinstance(name, float) and pd.isna(name)):
        return name
    text = str(name).strip()
    if not text:
        return text
    return text[0] + MASK * max(len(text) - 1, 1)


def mask_phone(phone: str | None) -> str | None:
    """13812345678 → 138****5678; any other digits keep only the last 4 (or 2 if shorter)."""
    if phone is None or (isinstance(phone, float) and pd.isna(phone)):
        return phone
    text = str(phone)
    masked = mask_text(text)
    if masked != text:
        return masked
    digits = re.sub(r"\D", "", text)
    if not digits:
        return text
    keep = 4 if len(digits) > 6 else min(2, len(digits) - 1)
    return MASK * (len(digits) - keep) + digits[len(digits) - keep:]


def mask_address(address: str | None) -> str | None:
    """Keep the road, hide the door: 青浦区盈浦街道城中北路88弄3号1201室 → 青浦区盈浦街道城中北路**."""
    if address is None or (isinstance(address, float) and pd.isna(address)):
        return address
    text = mask_text(str(address)) or ""
    return _HOUSE.sub(MASK * 2, text)


def _mask_mobile(m: re.Match[str]) -> str:
    return f"{m.group(1)}{MASK * 4}{m.group(3)}"


def _mask_landline(m: re.Match[str]) -> str:
    number = m.group(2)
    return f"{m.group(1)}-{MASK * (len(number) - 2)}{number[-2:]}"


def _mask_id18(m: re.Match[str]) -> str:
    return f"{m.group(1)}{MASK * 11}{m.group(4)}"


def _mask_id15(m: re.Match[str]) -> str:
    return f"{m.group(1)}{MASK * 9}"


def _mask_labelled_name(m: re.Match[str]) -> str:
    return m.group(1) + (mask_name(m.group(2)) or "")


def _mask_honorific(m: re.Match[str]) -> str:
    return m.group(1) + MASK * len(m.group(2)) + m.group(3)


def mask_text(text: str | None) -> str | None:
    """Free text (complaint content, case description) with identifiers masked in place.

    ID numbers go first so their digit runs are not mistaken for phone numbers.
    """
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return text
    out = str(text)
    out = _ID18.sub(_mask_id18, out)
    out = _ID15.sub(_mask_id15, out)
    out = _MOBILE.sub(_mask_mobile, out)
    out = _LANDLINE.sub(_mask_landline, out)
    out = _NAME_AFTER_LABEL.sub(_mask_labelled_name, out)
    out = _NAME_HONORIFIC.sub(_mask_honorific, out)
    return out


def mask_free_text(text: str | None) -> str | None:
    """Free text that may also hold an address: identifiers and house numbers masked."""
    masked = mask_text(text)
    if masked is None or (isinstance(masked, float) and pd.isna(masked)):
        return masked
    return _HOUSE.sub(MASK * 2, masked)


# Column name → how to mask it. Names come from etl/schema.py; a page that renames a column for
# display must mask before renaming (mask_rows is called on warehouse-named frames).
PERSONAL_COLUMNS: dict[str, Callable[[str | None], str | None]] = {
    "citizen_name": mask_name,
    "person_name": mask_name,
    "citizen_phone": mask_phone,
    "address": mask_address,
    "content": mask_free_text,
    "description": mask_free_text,
}


def mask_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``rows`` with every personal-data column masked; other columns untouched."""
    present = [c for c in rows.columns if c in PERSONAL_COLUMNS]
    if not present:
        return rows
    out = rows.copy()
    for col in present:
        fn = PERSONAL_COLUMNS[col]
        out[col] = out[col].map(lambda v, fn=fn: v if v is None or (isinstance(v, float) and pd.isna(v)) else fn(v))
    return out
