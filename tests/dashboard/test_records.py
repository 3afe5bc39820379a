"""page.records: the JSON-ready rows of a frame, equal (values and Python types) to the pandas way."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.components.page import records


def test_records_equal_the_pandas_conversion():
    df = pd.DataFrame({
        "key": ["a", "b", None],
        "value": [0.5, float("nan"), 2.0],
        "rank": pd.array([1, None, 3], dtype="Int64"),
        "count": np.array([4, 5, 6], dtype="int64"),
        "bottom": [True, False, True],
        "grade": ["A", None, "C"],
    })
    want = df.astype(object).where(df.notna(), None).to_dict("records")
    got = records(df)
    assert got == want
    assert [[type(v) for v in r.values()] for r in got] == [[type(v) for v in r.values()] for r in want]
    assert got[1]["value"] is None and got[1]["rank"] is None and got[2]["key"] is None
    assert type(got[0]["count"]) is int and got[0]["bottom"] is True
