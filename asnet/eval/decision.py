"""The deployed decision: the one rule `asnet detect`, the attacks, the evaluation and the
abstention head's training target share.

    bona fide  iff  score > threshold

where the threshold is the checkpoint's dev EER threshold (`eer_threshold`, fitted on dev by
asnet.eval.calibrate; `asnet detect --operating-point` may pick another dev-fitted one). It is
usually far from 0 (score 0 is the argmax of the uncalibrated logits, which no user is served),
so every error count, risk-coverage curve, attack success and abstention target goes through
these functions and never compares a score with 0. Works on numpy arrays and torch tensors.
"""
from __future__ import annotations

import numpy as np


def decision_threshold(meta: dict) -> float:
    """The threshold `asnet detect` applies by default: the checkpoint's dev EER threshold."""
    threshold = meta.get("eer_threshold")
    if threshold is None:
        raise ValueError("checkpoint has no eer_threshold: calibrate it on dev first")
    return float(threshold)


def says_bonafide(score, threshold: float):
    """The decision: True (bona fide) iff score > threshold; a tie is spoof."""
    return score > threshold


def decision_errors(score, labels, threshold: float) -> np.ndarray:
    """1.0 where the decision disagrees with the label (1 = bona fide)."""
    return (says_bonafide(np.asarray(score), threshold) != (np.asarray(labels) == 1)).astype(np.float64)
