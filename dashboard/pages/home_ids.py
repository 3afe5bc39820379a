"""Component ids of the data-status page (/)."""

from __future__ import annotations


class HomeIds:
    CONTENT = "home-content"
    TICK = "home-tick"
    LANG = "home-lang"
    ZONE = "home-zone"
