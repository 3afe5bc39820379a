"""What the row tables show for the codes a row carries: case sources, statuses and urgencies in the
page's language, category / station / department names, and unit names for the unit code columns."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dashboard import data
from dashboard.components.labels import CODE_LABELS, HOTLINE_CODE_LABELS
from metrics import explore

if TYPE_CHECKING:
    from dashboard.components.page import Ctx

# the category column shows "大类 / 小类", so the bare major code would only repeat it
CASE_GRID_COLUMNS = tuple(c for c in explore.CASE_COLUMNS if c != "major_code")
UNIT_COLUMNS = {"town_code": "town", "grid_code": "grid", "village_code": "village"}


def unit_ref_data(ctx: Ctx) -> dict[str, dict[str, str]]:
    """Unit code -> name for the town/grid/village columns (the units the user may see)."""
    out: dict[str, dict[str, str]] = {col: {} for col in UNIT_COLUMNS}
    column_of = {level: col for col, level in UNIT_COLUMNS.items()}
    # one pass over plain lists: pandas masks per level cost more than the whole table of names
    for code, level, name in zip(ctx.units["unit_code"].tolist(), ctx.units["level"].tolist(),
                                 ctx.units["name_zh"].tolist(), strict=True):
        if level in column_of:
            out[column_of[level]][code] = name
    return out


def case_ref_data(ctx: Ctx) -> dict[str, dict[str, str]]:
    """Every coded column of the case table -> the text shown for each code."""
    unit = ctx.query.unit  # already clamped to the reader's scope
    names = data.per_snapshot_bounded("pages.scope_code_names", str(unit),
                                      lambda con: explore.scope_code_names(con, unit), 64)
    return {**unit_ref_data(ctx), **names, **_coded(CODE_LABELS, ctx.en)}


def hotline_ref_data(ctx: Ctx) -> dict[str, dict[str, str]]:
    """Every coded column of the hotline order table -> the text shown for each code."""
    return {**unit_ref_data(ctx), **_coded(HOTLINE_CODE_LABELS, ctx.en)}


def _coded(labels: dict[str, dict[str, tuple[str, str]]], en: bool) -> dict[str, dict[str, str]]:
    return {column: {code: pair[1 if en else 0] for code, pair in codes.items()} for column, codes in labels.items()}


def labelled(kind: str, options: list[tuple[str, str]], en: bool,
             labels: dict[str, dict[str, tuple[str, str]]] = CODE_LABELS) -> list[tuple[str, str]]:
    """Filter-bar choices (code, label) with the codes' labels in the page's language (``labels``: the
    case codes by default, ``HOTLINE_CODE_LABELS`` for the hotline)."""
    return [(code, labels.get(kind, {}).get(code, (label, label))[1 if en else 0]) for code, label in options]


def code_name(column: str, code: object) -> str:
    """One code's name (category, station or department) for lists drawn on the page; the code itself
    when the warehouse has no name for it."""
    names = data.per_snapshot("pages.code_names", explore.code_names)
    return names.get(column, {}).get(str(code), str(code))
