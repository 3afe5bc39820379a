"""Per-site metric overrides: the ``[metrics]`` section of the TOML configuration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def metrics_overrides(overrides: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    """The given overrides, or the configured ``[metrics]`` section (read per call: no global state)."""
    if overrides is not None:
        return overrides
    from etl.settings import load_settings

    return load_settings().section("metrics")
