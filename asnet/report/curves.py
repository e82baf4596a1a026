"""The numbers behind the curves: DET points on the normal-deviate scale, thinned for the DVC
plot files, and reliability-diagram bins. numpy/scipy only (the figures import matplotlib).

DET: the ASVspoof evaluation package's curve (asnet.eval.metrics.det_curve): FRR = bona fide
rejected, FAR = spoof accepted, one point per threshold. A DET plot draws probit(FAR) against
probit(FRR), probit = the standard normal quantile, so that Gaussian score distributions give
straight lines; rates of exactly 0 or 1 are clipped to [RATE_FLOOR, 1 - RATE_FLOOR].
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RATE_FLOOR = 1e-4  # 0.01 %: below any rate a demo-sized set can show
THINNED_POINTS = 200


@dataclass(frozen=True)
class Det:
    frr: np.ndarray  # fractions
    far: np.ndarray
    eer: float       # fraction

    @property
    def frr_deviate(self) -> np.ndarray:
        return deviate(self.frr)

    @property
    def far_deviate(self) -> np.ndarray:
        return deviate(self.far)


def deviate(rate) -> np.ndarray:
    from scipy.stats import norm

    return norm.ppf(np.clip(np.asarray(rate, dtype=np.float64), RATE_FLOOR, 1.0 - RATE_FLOOR))


def det(bonafide_scores, spoof_scores) -> Det:
    from asnet.eval.metrics import compute_eer, det_curve

    frr, far, _ = det_curve(bonafide_scores, spoof_scores)
    return Det(frr, far, compute_eer(bonafide_scores, spoof_scores)[0])


def thin(x: np.ndarray, y: np.ndarray, points: int = THINNED_POINTS) -> np.ndarray:
    """Indices of about `points` points evenly spaced along the curve's length in (x, y), ends kept:
    a curve with one point per clip becomes a small file that still draws the same line."""
    step = np.hypot(np.diff(x), np.diff(y))
    length = np.concatenate(([0.0], np.cumsum(step)))
    if length[-1] == 0:
        return np.array([0, x.size - 1]) if x.size > 1 else np.array([0])
    marks = np.linspace(0.0, length[-1], points)
    index = np.searchsorted(length, marks, side="left")
    return np.unique(np.concatenate(([0], np.minimum(index, x.size - 1), [x.size - 1])))


@dataclass(frozen=True)
class Reliability:
    confidence: np.ndarray  # mean confidence of each non-empty bin
    accuracy: np.ndarray
    count: np.ndarray


def reliability(p_spoof, is_bonafide, n_bins: int) -> Reliability:
    """The bins of asnet.eval.metrics.expected_calibration_error: confidence max(p, 1 - p) in
    n_bins equal-width (lo, hi] bins over [0, 1]; ECE = sum(count / N * |accuracy - confidence|)."""
    p = np.asarray(p_spoof, dtype=np.float64)
    predicts_spoof = p > 0.5
    confidence = np.where(predicts_spoof, p, 1.0 - p)
    correct = predicts_spoof == ~np.asarray(is_bonafide, dtype=bool)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.maximum(np.searchsorted(edges, confidence, side="left") - 1, 0)
    used = np.unique(bins)
    return Reliability(
        confidence=np.array([confidence[bins == b].mean() for b in used]),
        accuracy=np.array([correct[bins == b].mean() for b in used]),
        count=np.array([int((bins == b).sum()) for b in used]),
    )
