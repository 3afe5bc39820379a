"""Fair rankings of units on any indicator or evaluation composite, within peer groups.

Small-numbers rule (documented in docs/metrics.md): a rate is ranked on the 95% Wilson score bound
of its numerator/denominator, the lower bound when higher is better and the upper bound when lower
is better, so a unit with 3/3 cases (lower bound 44%) cannot top units with 980/1000 (97.0%).
Units whose denominator is below ``min_volume`` (default 10; ``[metrics.ranking] min_volume``) are
listed but not ranked (``rankable`` false). The raw rate is always shown beside the ranking score.

末位 rule: the last ``bottom_n`` ranked units of each peer group, but never more than half of the
group's ranked units (rounded down): a group of three 街道 with "bottom 3" has one 末位, not three,
and a group with a single ranked unit has none. Unranked units are never 末位.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

import duckdb
import numpy as np
import pandas as pd

from .catalog import resolve
from .config import metrics_overrides
from .indicators import By, scan, unit_level, unit_names
from .peers import peer_groups
from .query import Query, QueryError
from .scores import evaluations

Z95 = 1.959963984540054
DEFAULT_MIN_VOLUME = 10
RANKING_COLUMNS = ["key", "name", "peer_group", "measure", "value", "numerator", "denominator", "score",
                   "rankable", "rank", "previous_value", "previous_rank", "movement", "bottom", "ranked_in_group"]


def wilson_bound(num: float, den: float, lower: bool = True, z: float = Z95) -> float | None:
    """The Wilson score interval bound of num/den (None for den = 0)."""
    if den <= 0:
        return None
    p = min(max(num / den, 0.0), 1.0)
    centre = p + z * z / (2 * den)
    spread = z * math.sqrt(p * (1 - p) / den + z * z / (4 * den * den))
    return ((centre - spread) if lower else (centre + spread)) / (1 + z * z / den)


def _ranks(scores: list[float | None], ok: list[bool], groups: list[str], higher: bool) -> list[float | None]:
    """Competition ranks ("min": ties share the best place) within each group; None where not rankable.

    Plain Python over the (few hundred) aggregated rows: a pandas groupby-rank costs more in fixed overhead
    than the whole ranking."""
    by_group: dict[str, list[float]] = {}
    for s, k, g in zip(scores, ok, groups, strict=True):
        if k and s is not None and s == s:
            by_group.setdefault(g, []).append(s)
    for vals in by_group.values():
        vals.sort(reverse=higher)
    out: list[float | None] = []
    for s, k, g in zip(scores, ok, groups, strict=True):
        if not k or s is None or s != s:
            out.append(None)
            continue
        vals = by_group[g]
        # first position of s in the sorted list = number of strictly better scores
        lo, hi = 0, len(vals)
        while lo < hi:
            mid = (lo + hi) // 2
            if (vals[mid] > s) if higher else (vals[mid] < s):
                lo = mid + 1
            else:
                hi = mid
        out.append(float(lo + 1))
    return out


def bottom_cap(bottom_n: int, ranked: int) -> int:
    """How many of a group's ``ranked`` units are 末位: the last ``bottom_n``, at most half the group
    (rounded down), so a group of one has none and a group of three at most one."""
    return max(0, min(bottom_n, ranked // 2))


def rank_frame(df: pd.DataFrame, higher: bool, bottom_n: int, by_peer: bool) -> pd.DataFrame:
    """Given key, peer_group, score, rankable, previous_score, previous_rankable: add ranks and flags.

    With ``by_peer`` the rank restarts in every peer group and 末位 (the last ``bottom_n`` ranked) is
    flagged per group; ``ranked_in_group`` is the number of ranked units of the row's group.
    末位 never covers more than half of a group's ranked units (``bottom_cap``): with three 街道 and
    "bottom 3", flagging all three would mark every unit of the group as a bottom performer."""
    groups = [str(g) for g in df["peer_group"]] if by_peer else ["all"] * len(df)
    score = [None if v != v else float(v) for v in df["score"].tolist()]
    prev = [None if v != v else float(v) for v in df["previous_score"].tolist()]
    rank = _ranks(score, [bool(x) for x in df["rankable"]], groups, higher)
    prank = _ranks(prev, [bool(x) for x in df["previous_rankable"]], groups, higher)
    size: dict[str, int] = {}
    for r, g in zip(rank, groups, strict=True):
        size[g] = size.get(g, 0) + (r is not None)
    ranks = np.array(rank, dtype="float64")  # None -> NaN
    pranks = np.array(prank, dtype="float64")
    # the new columns in one concat: column-by-column assignment on a copy costs several times more
    new = pd.DataFrame({
        "rank": ranks, "previous_rank": pranks, "movement": pranks - ranks,  # positive: moved up
        "ranked_in_group": np.array([size[g] for g in groups], dtype="int64"),
        "bottom": np.array([r is not None and r > size[g] - bottom_cap(bottom_n, size[g])
                            for r, g in zip(rank, groups, strict=True)], dtype=bool),
    }, index=df.index)
    return pd.concat([df.drop(columns=[c for c in new.columns if c in df.columns]), new], axis=1)


def ranking(con: duckdb.DuckDBPyConnection, level: By, measure: str, query: Query, bottom_n: int = 3, *,
            by_peer_group: bool = True, min_volume: int | None = None,
            overrides: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Rank the units of ``level`` on an indicator id or ``region_composite``/``department_composite``.

    Columns: key, name, peer_group, measure, value (raw), numerator, denominator, score (what is
    ranked), rankable, rank, previous_value, previous_rank, movement (+ = up), bottom (末位),
    ranked_in_group; sorted by peer group then rank (unranked last)."""
    if level is None:
        raise QueryError("a ranking needs a level")
    cfg = metrics_overrides(overrides)
    rcfg = cfg.get("ranking", {}) if isinstance(cfg.get("ranking", {}), Mapping) else {}
    min_vol = int(min_volume if min_volume is not None else rcfg.get("min_volume", DEFAULT_MIN_VOLUME))
    if measure in ("region_composite", "department_composite"):

        kind: Literal["region", "department"] = "region" if measure == "region_composite" else "department"
        # both periods from one scan (the previous period gives the movement)
        cur, prev = evaluations(con, kind, level, query, overrides=cfg)
        prev = prev.set_index("key")
        df = pd.DataFrame({
            "key": cur["key"], "name": cur["name"], "peer_group": cur["peer_group"], "measure": measure,
            "value": cur["composite"], "numerator": float("nan"), "denominator": cur["due"],
            "score": cur["composite"], "previous_value": cur["key"].map(prev["composite"]),
        })
        df["rankable"] = df["score"].notna() & (df["denominator"] >= min_vol)
        df["previous_score"] = df["previous_value"]
        prev_den = cur["key"].map(prev["due"]).astype("float64")
        df["previous_rankable"] = df["previous_score"].notna() & (prev_den >= min_vol)
        higher = True
    else:
        (ind,) = resolve([measure], cfg)
        results = scan(con, [ind], query, [query.period, query.period.previous()], level, cfg).get(ind.id, {})
        names = unit_names(con, level, query)
        keys = sorted(set(results) | set(names))
        peers = peer_groups(con, level)
        higher = ind.direction == "higher"
        none = ((None, None, None), (None, None, None))
        now_vals = [(results.get(k) or none)[0] for k in keys]
        prv = [(results.get(k) or none)[1] for k in keys]

        def floats(xs: list[float | None]) -> np.ndarray:
            return np.array(xs, dtype="float64")  # None -> NaN

        # column by column (a frame from row dicts plus float casts costs several times more)
        df = pd.DataFrame({
            "key": keys, "name": [names.get(k, k) for k in keys], "peer_group": [peers.get(k, "all") for k in keys],
            "measure": [measure] * len(keys),
            "value": floats([v for _, _, v in now_vals]), "numerator": floats([n for n, _, _ in now_vals]),
            "denominator": floats([d for _, d, _ in now_vals]),
            "score": floats([_score(ind.kind, n, d, v, higher) for n, d, v in now_vals]),
            "rankable": np.array([_volume_ok(ind.kind, n, d, v, min_vol) for n, d, v in now_vals], dtype=bool),
            "previous_value": floats([v for _, _, v in prv]),
            "previous_score": floats([_score(ind.kind, n, d, v, higher) for n, d, v in prv]),
            "previous_rankable": np.array([_volume_ok(ind.kind, n, d, v, min_vol) for n, d, v in prv], dtype=bool),
        })
    unit_level(con, query.unit)  # validates the scope
    out = rank_frame(df, higher, bottom_n, by_peer_group)
    # sorted by (peer group,) rank (unranked last), key: in plain Python, cheaper than a multi-key
    # sort_values on a few hundred rows
    rk, ks = out["rank"].tolist(), [str(k) for k in out["key"]]
    pg = [str(g) for g in out["peer_group"]] if by_peer_group else [""] * len(ks)
    order = sorted(range(len(ks)), key=lambda i: (pg[i], rk[i] != rk[i], 0.0 if rk[i] != rk[i] else rk[i], ks[i]))
    return out[RANKING_COLUMNS].take(order).reset_index(drop=True)


def _score(kind: str, num: float | None, den: float | None, val: float | None, higher: bool) -> float | None:
    if val is None:
        return None
    if kind == "ratio" and num is not None and den:
        return wilson_bound(num, den, lower=higher)
    return val


def _volume_ok(kind: str, num: float | None, den: float | None, val: float | None, min_vol: int) -> bool:
    if val is None:
        return False
    if kind in ("ratio", "duration"):
        return den is not None and den >= min_vol
    return True
