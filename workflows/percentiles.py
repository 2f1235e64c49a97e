"""Median and nearest-rank percentile, shared by the insights page and the benchmarks.

Nearest rank, never interpolation: with few samples a p95 is the largest
sample, which is what a person reading "95 % of decisions took at most …"
expects.
"""

from __future__ import annotations

import math
import statistics


def median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]
