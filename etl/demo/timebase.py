"""The demo's clock: a window of whole hours ending at `now`, shared by every generator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np


@dataclass(frozen=True)
class Window:
    now: datetime          # naive local time (Asia/Shanghai): the data's "now"
    days: int

    @property
    def start(self) -> datetime:
        return self.now - timedelta(days=self.days)

    def now64(self) -> np.datetime64:
        return np.datetime64(self.now, "s")

    def start64(self) -> np.datetime64:
        return np.datetime64(self.start, "s")

    def hours(self) -> np.ndarray:
        """Whole hours after start up to and including the last whole hour at or before now."""
        last = np.datetime64(self.now.replace(minute=0, second=0, microsecond=0), "h")
        first = np.datetime64(self.start, "h") + 1
        return np.arange(first, last + 1, dtype="datetime64[h]")

    def days64(self) -> np.ndarray:
        return np.arange(np.datetime64(self.start, "D"), np.datetime64(self.now, "D") + 1, dtype="datetime64[D]")


def month_day(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    months = days.astype("datetime64[M]").astype(int) % 12 + 1
    dom = (days - days.astype("datetime64[M]")).astype(int) + 1
    return months, dom


def season_codes(days: np.ndarray) -> np.ndarray:
    """0 normal, 1 plum rain (10 June – 15 July), 2 typhoon (August–September) per day."""
    m, d = month_day(days)
    plum = ((m == 6) & (d >= 10)) | ((m == 7) & (d <= 15))
    typhoon = (m == 8) | (m == 9)
    return np.where(plum, 1, np.where(typhoon, 2, 0))


SEASONS = ("normal", "plum", "typhoon")
