"""Typed helpers for the generator's frames and arrays."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

# ``np.where(mask, values, NONE)``: None where the mask holds, as an object array (numpy's stubs take
# no bare None there)
NONE = np.array(None, dtype=object)


def each_row(df: pd.DataFrame) -> Iterator[Any]:
    """``df.itertuples()``: pandas-stubs types every field as the union of all scalar types, while the
    generator's frames have known columns of known types (checked by tests/etl/test_demo.py)."""
    yield from df.itertuples()
