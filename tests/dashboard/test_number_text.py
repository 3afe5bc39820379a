"""figures.num: one decimal at most, and a value that rounds to a whole number reads as one."""

from __future__ import annotations

import pytest

from dashboard.components import figures


@pytest.mark.parametrize(("value", "text"), [
    (90.96, "91"), (91.0, "91"), (90.94, "90.9"), (1234.0, "1,234"), (0.05, "0.1"),
    (None, "—"), (float("nan"), "—"), ("x", "—"),
])
def test_num(value: object, text: str) -> None:
    assert figures.num(value) == text
