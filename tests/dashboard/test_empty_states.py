"""Empty states say so in the page's language (issue #18: a solid heat map with a −0.4…0.4 scale)."""

from __future__ import annotations

import dash
import pandas as pd

from dashboard.components.page import context_from_search


def test_empty_heat_map_says_no_data_in_the_pages_language(ctx: dash.Dash) -> None:
    """No case in the period: the heat map is a "无数据" / "No data" note, not a blank colour scale."""
    from dashboard.components import cases_view

    none = pd.DataFrame({"dow": pd.Series([], dtype="int64"), "hour": pd.Series([], dtype="int64"),
                         "cases": pd.Series([], dtype="int64")})
    zeros = pd.DataFrame({"dow": [0, 1], "hour": [3, 4], "cases": [0, 0]})
    for frame in (none, zeros):
        for lang, word in ((None, "无数据"), ("en", "No data")):
            c = context_from_search("?lang=en" if lang else "")
            fig = cases_view.heat_figure(c, frame)
            assert fig["data"] == [] and fig["layout"]["annotations"][0]["text"] == word
    some = cases_view.heat_figure(context_from_search(""), pd.DataFrame({"dow": [2], "hour": [9], "cases": [5]}))
    (trace,) = some["data"]
    assert trace["type"] == "heatmap" and trace["z"][2][9] == 5 and trace["z"][0][0] is None
