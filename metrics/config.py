"""Per-site metric overrides: the ``[metrics]`` section of the TOML configuration.

The metrics layer reads no configuration itself: the caller passes the section down (the dashboard
its ``Settings.section("metrics")`` via ``dashboard.data.metrics_config``, a script what it loaded).
Without one, every declaration's own value applies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .query import QueryError

# 市民满意率 weights per callback answer (domain.md §5: 满意 1, 基本满意 0.9 "in one rule"); a site
# with another rule sets ``[metrics.hotline.satisfaction_weights]`` (keys: the warehouse codes).
SATISFACTION_WEIGHTS: Mapping[str, float] = {"satisfied": 1.0, "basic": 0.9, "unsatisfied": 0.0}


def metrics_overrides(overrides: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    """The given ``[metrics]`` section, or none (the declared defaults)."""
    return overrides if overrides is not None else {}


def satisfaction_weights(cfg: Mapping[str, Any]) -> dict[str, float]:
    """The configured 满意/基本满意/不满意 weights over the defaults; each must be a number in [0, 1]."""
    hot = cfg.get("hotline", {})
    given = hot.get("satisfaction_weights", {}) if isinstance(hot, Mapping) else {}
    if not isinstance(given, Mapping):
        raise QueryError("[metrics.hotline.satisfaction_weights] must be a table")
    unknown = set(given) - set(SATISFACTION_WEIGHTS)
    if unknown:
        raise QueryError(f"unknown satisfaction weight(s): {', '.join(sorted(map(str, unknown)))} "
                         f"(expected {', '.join(SATISFACTION_WEIGHTS)})")
    out = {}
    for k, default in SATISFACTION_WEIGHTS.items():
        try:
            w = float(given.get(k, default))
        except (TypeError, ValueError):
            raise QueryError(f"satisfaction weight {k} must be a number, not {given[k]!r}") from None
        if not 0.0 <= w <= 1.0:
            raise QueryError(f"satisfaction weight {k} must be between 0 and 1, not {w}")
        out[k] = w
    return out


def measure_params(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Values the declared measure expressions bind (``$w_<answer>`` of ``satisfaction_score``)."""
    return {f"w_{k}": w for k, w in satisfaction_weights(cfg).items()}
