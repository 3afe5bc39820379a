"""Scores: CityScore-style vital signs, and the digital city-management evaluation (domain.md §5–6).

Every weight, band and grade boundary can be overridden in ``[metrics]`` of the site configuration::

    [metrics.weights.region]      # 区域评价
    supervision = 0.1
    registered = 0.2
    closure = 0.3
    ontime_closure = 0.4
    [metrics.weights.department]  # 专业部门评价
    registered = 0.1
    closure = 0.3
    ontime_disposal = 0.3
    rework = 0.3
    [metrics.bands.default]       # 立案数分值 bands: upper bound of the band → score
    bands = [[50, 100], [100, 90], [200, 75], [500, 60], [1000, 40]]   # above the last: 0
    [metrics.bands.<peer group>]  # per peer group of departments
    [metrics.vital_signs]
    cap = 1.5                      # metric score cap; amber = 0.9, green = 1.0
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import duckdb
import numpy as np
import pandas as pd

from .catalog import VITAL_SIGNS, resolve
from .compiler import as_of
from .config import metrics_overrides
from .indicators import data_now, scan, unit_names, value_of
from .model import DIMENSION_EN, Status, clean, score_of, status_of
from .peers import peer_groups
from .query import Period, Query, QueryError

REGION_WEIGHTS = {"supervision": 0.1, "registered": 0.2, "closure": 0.3, "ontime_closure": 0.4}
DEPARTMENT_WEIGHTS = {"registered": 0.1, "closure": 0.3, "ontime_disposal": 0.3, "rework": 0.3}
DEFAULT_BANDS: tuple[tuple[float, float], ...] = ((50, 100), (100, 90), (200, 75), (500, 60), (1000, 40))
GRADES: tuple[tuple[float, str], ...] = ((90, "A"), (75, "B"), (60, "C"), (40, "D"))
DEFAULT_CAP = 1.5

# Why the region 立案数分值 is what it is: written into docs/metrics.md by ``python -m metrics.doc``.
REGION_REGISTERED_NOTE = (
    "Region 立案数分值 rule (an assumption, not from a verified standard text): the sources found "
    "(domain.md §5) give 立案数 a 20% weight in 区域评价 but no scoring rule for it; the volume bands they "
    "give belong to 专业部门评价, where fewer cases is better. For a region 立案数 measures discovery "
    "(发现能力), so more scores higher, relative to its peers: 立案数分值 = min(100, 100 × 立案数 / median "
    "立案数 of the region's peer group at the same level) — the median region scores 100, one with half "
    "the median 50. No value when the peer median is 0 (the composite then has no value either: never "
    "guessed). The weight is configurable (`[metrics.weights.region] registered`), the rule itself is "
    "code; revisit it when the local evaluation rules (考核细则) are available."
)


ROLLING_DAYS: tuple[int, ...] = (7, 30, 90)


@dataclass(frozen=True)
class Rolling:
    """A trailing window's value (or score) ending at the period's as-of instant."""

    days: int
    value: float | None
    score: float | None


@dataclass(frozen=True)
class SignScore:
    metric_id: str
    name_zh: str
    name_en: str
    dimension: str
    value: float | None
    target: float | None
    score: float | None
    previous_value: float | None
    previous_score: float | None
    status: Status | None
    rolling: tuple[Rolling, ...] = ()  # 7/30/90 days, with ``rolling=True``


@dataclass(frozen=True)
class DimensionScore:
    dimension: str
    name_en: str
    score: float | None
    previous_score: float | None
    status: Status | None
    metrics: int
    rolling: tuple[Rolling, ...] = ()  # score = mean of the members' window scores; value None


@dataclass(frozen=True)
class VitalSigns:
    period: Period
    signs: tuple[SignScore, ...]
    dimensions: tuple[DimensionScore, ...]
    overall: float | None
    previous_overall: float | None
    status: Status | None
    top: tuple[str, ...]  # best-scoring metric ids (up to 5)
    bottom: tuple[str, ...]  # worst-scoring metric ids (up to 5)
    rolling: tuple[Rolling, ...] = ()  # overall score per trailing window; value None


def _mean(xs: Sequence[float | None]) -> float | None:
    vals = [x for x in xs if x is not None]
    return sum(vals) / len(vals) if vals else None


def score_status(score: float | None) -> Status | None:
    if score is None:
        return None
    return "green" if score >= 1.0 else "amber" if score >= 0.9 else "red"


def vital_signs(con: duckdb.DuckDBPyConnection, query: Query, ids: Sequence[str] = VITAL_SIGNS, *,
                rolling: bool = False, overrides: Mapping[str, Any] | None = None) -> VitalSigns:
    """CityScore: metric score = actual/target (target/actual when lower is better), capped at ``cap``
    so one near-zero rate cannot swamp the mean; dimension and overall = unweighted means of the
    metric scores that have a value. The query's grain (day/week/month/quarter) is the period scored;
    the previous comparable period gives the trend.

    The cap is 1.5 by default (``DEFAULT_CAP``) and set per site in ``[metrics.vital_signs] cap``:
    a lower-is-better rate of 1% against a 5% target would otherwise score 5.0 and lift the mean of 14
    signs by 0.29 more than a sign on target. Capped signs still lift the mean: an overall score ≥ 1.0 can sit beside
    signs below target, so the wall names how many miss their target next to the score.

    ``rolling=True`` adds CityScore's trailing views: each metric over the last 7, 30 and 90 days
    ending at the period's as-of instant (min(period end, data now)), scored the same way, with
    dimension and overall means per window. A window's rate is its sums of counts over sums of
    counts, i.e. the count-weighted mean of its daily rates (never a plain mean of day rates, which
    a quiet day would swing). The windows are three more periods in the same one-statement-per-table
    scan: +40% CPU at district scale (bench/metrics_bench.py), more on wider scopes; off by default."""
    cfg = metrics_overrides(overrides)
    vcfg = cfg.get("vital_signs", {}) if isinstance(cfg.get("vital_signs", {}), Mapping) else {}
    cap = float(vcfg.get("cap", DEFAULT_CAP))
    inds = resolve(list(ids), cfg)
    periods = [query.period, query.period.previous()]
    if rolling:
        end = as_of(query.period, data_now(con))
        periods += [Period(end - timedelta(days=d), end, "custom") for d in ROLLING_DAYS]
    results = scan(con, inds, query, periods, None, cfg)

    def capped(x: float | None) -> float | None:
        return None if x is None else min(x, cap)

    signs = []
    for ind in inds:
        vals = [v for _, _, v in results[ind.id][""]]
        windows = tuple(Rolling(d, v, capped(score_of(ind, v))) for d, v in zip(ROLLING_DAYS, vals[2:], strict=False))
        signs.append(SignScore(ind.id, ind.zh, ind.en, ind.dimension, vals[0], ind.target,
                               capped(score_of(ind, vals[0])), vals[1], capped(score_of(ind, vals[1])),
                               status_of(ind, vals[0]), windows))

    def window_means(members: Sequence[SignScore]) -> tuple[Rolling, ...]:
        if not rolling:
            return ()
        return tuple(Rolling(d, None, _mean([m.rolling[j].score for m in members]))
                     for j, d in enumerate(ROLLING_DAYS))

    dims = []
    for dim in dict.fromkeys(s.dimension for s in signs):
        members = [s for s in signs if s.dimension == dim]
        sc = _mean([s.score for s in members])
        dims.append(DimensionScore(dim, DIMENSION_EN.get(dim, dim), sc, _mean([s.previous_score for s in members]),
                                   score_status(sc), len(members), window_means(members)))
    overall = _mean([s.score for s in signs])
    ranked = sorted((s for s in signs if s.score is not None), key=lambda s: (-s.score, s.metric_id))  # type: ignore
    return VitalSigns(query.period, tuple(signs), tuple(dims), overall, _mean([s.previous_score for s in signs]),
                      score_status(overall), tuple(s.metric_id for s in ranked[:5]),
                      tuple(s.metric_id for s in ranked[::-1][:5]), window_means(signs))


def grade(score: float | None, grades: Sequence[tuple[float, str]] = GRADES) -> str | None:
    """A ≥ 90, B 75–90, C 60–75, D 40–60, E < 40; no score (None or NaN: a unit without data) has no
    grade, never E."""
    if score is None or score != score:
        return None
    for bound, g in grades:
        if score >= bound:
            return g
    return "E"


def band_score(count: float, bands: Sequence[Sequence[float]]) -> float:
    """立案数分值 by volume band: the score of the first band whose upper bound holds the count."""
    for upper, score in bands:
        if count <= upper:
            return float(score)
    return 0.0


def _weights(cfg: Mapping[str, Any], kind: str, default: Mapping[str, float]) -> dict[str, float]:
    w = cfg.get("weights", {}).get(kind, {}) if isinstance(cfg.get("weights", {}), Mapping) else {}
    unknown = set(w) - set(default)
    if unknown:
        raise QueryError(f"unknown {kind} weight(s): {', '.join(sorted(unknown))}")
    return {k: float(w.get(k, v)) for k, v in default.items()}


def _bands(cfg: Mapping[str, Any], peer: str) -> Sequence[Sequence[float]]:
    bands = cfg.get("bands", {}) if isinstance(cfg.get("bands", {}), Mapping) else {}
    for name in (peer, "default"):
        b = bands.get(name)
        if isinstance(b, Mapping) and "bands" in b:
            return [tuple(map(float, x)) for x in b["bands"]]
    return DEFAULT_BANDS


def _composite(parts: Mapping[str, float | None], weights: Mapping[str, float]) -> float | None:
    """Weighted sum of the component scores; no value when any component has none (never guessed)."""
    got = {k: parts[k] for k in weights}
    values = [(weights[k], v) for k, v in got.items() if v is not None]
    if len(values) < len(got):
        return None
    return sum(w * v for w, v in values)


def evaluation(con: duckdb.DuckDBPyConnection, kind: Literal["region", "department"], level: str,
               query: Query, *, overrides: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The digital city-management evaluation per unit of ``level``: component values, their scores
    (分值), 综合指标值 (composite, 0–100) and grade A–E.

    Region (区域评价, level town/grid/village): 监督举报率分值 = (1 − rate)×100; 立案数分值 =
    min(100, 100 × 立案数 / peer-group median 立案数) (more discovery scores higher; no value when the
    median is 0); 结案率分值 and 按期结案率分值 = rate×100.
    Department (专业部门评价, level department or station): 立案数分值 by volume bands of the unit's
    peer group; 结案率, 按期处置率 = rate×100; 返工率分值 = (1 − rate)×100."""
    return _evaluate(con, kind, level, query, [query.period], overrides)[0]


def evaluations(con: duckdb.DuckDBPyConnection, kind: Literal["region", "department"], level: str,
                query: Query, *, overrides: Mapping[str, Any] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``evaluation`` of the query's period and of the previous comparable period, from one scan:
    both periods' aggregates in one statement per fact table instead of one full scan each (what a
    ranking with movement needs). Equal to ``evaluation(query)``, ``evaluation(query.previous())``."""
    cur, prev = _evaluate(con, kind, level, query, [query.period, query.period.previous()], overrides)
    return cur, prev


def _evaluate(con: duckdb.DuckDBPyConnection, kind: str, level: str, query: Query, periods: Sequence[Period],
              overrides: Mapping[str, Any] | None) -> list[pd.DataFrame]:
    """One evaluation frame per period, all periods in one scan."""
    cfg = metrics_overrides(overrides)
    if kind == "region":
        ids = ["registered", "due", "supervision_rate", "closure_rate", "ontime_closure_rate"]
        weights = _weights(cfg, "region", REGION_WEIGHTS)
    elif kind == "department":
        ids = ["registered", "due", "closure_rate", "ontime_disposal_rate", "rework_rate"]
        weights = _weights(cfg, "department", DEPARTMENT_WEIGHTS)
    else:
        raise QueryError(f"unknown evaluation {kind!r}")
    inds = resolve(ids, cfg)
    results = scan(con, inds, query, periods, level, cfg)
    names = unit_names(con, level, query)
    peers = peer_groups(con, level)
    # every unit of the level in scope (an empty one still gets a row), plus any key the facts carry
    keys = sorted(set(names).union(*(results.get(i, {}) for i in ids)))
    return [_evaluation_frame(kind, cfg, weights, ids, keys, names, peers,
                              {i: {k: v[p][2] for k, v in results.get(i, {}).items()} for i in ids},
                              {i.id: value_of(i, None, None)[2] for i in inds})
            for p in range(len(periods))]


def _evaluation_frame(kind: str, cfg: Mapping[str, Any], weights: Mapping[str, float], ids: Sequence[str],
                      keys: Sequence[str], names: Mapping[str, str], peers: Mapping[str, str],
                      values: Mapping[str, Mapping[str, float | None]], empty: Mapping[str, float | None]
                      ) -> pd.DataFrame:
    """The evaluation of one period from its indicator values per unit (``values``: id -> key -> value;
    a unit without facts gets ``empty``, the value of no rows: 0 for counts, none for rates)."""
    # a unit of the level with no facts has the value of no rows; a key only some fact table carries
    # (a code outside org_unit) has none for the other tables' indicators
    vals = [{i: clean(values[i].get(k, empty[i] if k in names else None)) for i in ids} for k in keys]
    groups = [peers.get(k, "all") for k in keys]
    medians: dict[str, float | None] = {}
    if kind == "region":
        # the peer-group median of 立案数, once per group (not once per unit)
        by_group: dict[str, list[float]] = {}
        for v, g in zip(vals, groups, strict=True):
            xs = by_group.setdefault(g, [])
            if v["registered"] is not None:
                xs.append(v["registered"])
        medians = {g: statistics.median(xs) if xs else None for g, xs in by_group.items()}
    parts_of: list[dict[str, float | None]] = []
    for val, g in zip(vals, groups, strict=True):
        pct = {i: (None if val[i] is None else 100 * val[i]) for i in ids}  # type: ignore[operator]
        inv = {i: (None if val[i] is None else 100 * (1 - val[i])) for i in ids}  # type: ignore[operator]
        if kind == "region":
            peer_reg = medians[g]
            reg = None if not peer_reg else min(100.0, 100 * (val["registered"] or 0) / float(peer_reg))
            parts_of.append({"supervision": inv["supervision_rate"], "registered": reg,
                             "closure": pct["closure_rate"], "ontime_closure": pct["ontime_closure_rate"]})
        else:
            parts_of.append({"registered": band_score(val["registered"] or 0, _bands(cfg, g)),
                             "closure": pct["closure_rate"], "ontime_disposal": pct["ontime_disposal_rate"],
                             "rework": inv["rework_rate"]})
    comps = [_composite(parts, weights) for parts in parts_of]

    def floats(xs: list[float | None]) -> np.ndarray:
        return np.array(xs, dtype="float64")  # None -> NaN

    # built column by column: a frame from row dicts plus a float cast costs several times more
    cols: dict[str, Any] = {"key": list(keys), "name": [names.get(k, k) for k in keys], "peer_group": groups}
    cols.update({i: floats([v[i] for v in vals]) for i in ids})
    # the score columns named by the weights (the parts' keys): a level with no units still gets them
    cols.update({f"{p}_score": floats([parts[p] for parts in parts_of]) for p in weights})
    cols["composite"] = floats(comps)
    cols["grade"] = [grade(c) for c in comps]
    return pd.DataFrame(cols)
