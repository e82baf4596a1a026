"""Seeded bootstrap confidence intervals for two-class detection metrics.

Resampling is stratified: bona fide and spoof scores are each resampled with replacement to
their own size, so every replicate has both classes and the class balance of the test set.
Intervals are percentile intervals (numpy's default linear percentile), identical for the same
seed on every machine.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from asnet.eval.metrics import two_class_scores


def bootstrap_interval(
    bonafide_scores,
    spoof_scores,
    statistic: Callable[[np.ndarray, np.ndarray], float],
    n_resamples: int,
    seed: int,
    level: float = 0.95,
) -> tuple[float, float]:
    """(low, high) percentile interval of statistic(bonafide, spoof) over n_resamples replicates."""
    bonafide, spoof = two_class_scores(bonafide_scores, spoof_scores)
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be positive, got {n_resamples}")
    rng = np.random.default_rng(seed)
    values = np.empty(n_resamples)
    for r in range(n_resamples):
        values[r] = statistic(
            bonafide[rng.integers(0, bonafide.size, bonafide.size)],
            spoof[rng.integers(0, spoof.size, spoof.size)],
        )
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)
