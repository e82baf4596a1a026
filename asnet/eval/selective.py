"""Selective prediction: risk-coverage curves, AURC and metrics on the clips a detector keeps.

A rejection score ranks clips from "keep first" (low) to "abstain first" (high): the abstention
logit a(x), the energy E(x), or the closeness to the decision threshold. Risk is the error rate
of the deployed decision (bona fide iff score > the checkpoint's dev EER threshold,
asnet.eval.decision) on the kept clips. Clips whose rejection scores tie are kept or
dropped together, so the curve has one point per distinct rejection score.
"""
from __future__ import annotations

import numpy as np

from asnet.eval.decision import decision_errors
from asnet.eval.metrics import ScoreError, check_finite, compute_eer, roc_auc


def risk_coverage(rejection_score, errors) -> tuple[np.ndarray, np.ndarray]:
    """(coverage, risk) at every distinct rejection-score threshold, coverage increasing to 1.

    Point j keeps the clips whose rejection score is <= the j-th smallest distinct value;
    coverage = kept / N and risk = mean error over the kept clips.
    """
    rejection_score = np.ravel(check_finite(rejection_score, what="rejection scores"))
    errors = np.ravel(np.asarray(errors, dtype=np.float64))
    if rejection_score.size == 0 or rejection_score.size != errors.size:
        raise ScoreError(f"risk-coverage needs one error per rejection score, got {rejection_score.size} and {errors.size}")
    order = np.argsort(rejection_score, kind="mergesort")
    sorted_score = rejection_score[order]
    group_end = np.flatnonzero(np.append(sorted_score[1:] != sorted_score[:-1], True))
    kept = group_end + 1
    cumulative_errors = np.cumsum(errors[order])[group_end]
    return kept / rejection_score.size, cumulative_errors / kept


def aurc(coverage: np.ndarray, risk: np.ndarray) -> float:
    """Area under the step risk-coverage curve: sum_j (coverage_j - coverage_{j-1}) * risk_j.

    Without ties this is the usual (1/N) sum_k risk(k kept clips); lower is better.
    """
    widths = np.diff(np.concatenate(([0.0], coverage)))
    return float(np.sum(widths * risk))


def risk_at_coverages(coverage: np.ndarray, risk: np.ndarray, targets) -> list[float]:
    """Risk of the smallest curve point whose coverage reaches each target coverage."""
    index = np.searchsorted(coverage, np.asarray(targets, dtype=np.float64) - 1e-12, side="left")
    return [float(risk[min(i, risk.size - 1)]) for i in index]


def kept_metrics(score, labels, kept: np.ndarray, threshold: float) -> dict:
    """Coverage, abstention %, error rate at the decision threshold, AUC and EER (%) on the kept clips.

    AUC and EER are None when the kept clips no longer contain both classes.
    """
    score, labels, kept = np.asarray(score), np.asarray(labels), np.asarray(kept, dtype=bool)
    n_kept = int(kept.sum())
    bonafide, spoof = score[kept & (labels == 1)], score[kept & (labels == 0)]
    both = bonafide.size > 0 and spoof.size > 0
    return {
        "n_kept": n_kept,
        "coverage": n_kept / score.size,
        "abstain_pct": 100.0 * (1 - n_kept / score.size),
        "error_rate": float(decision_errors(score[kept], labels[kept], threshold).mean()) if n_kept else None,
        "auc": roc_auc(bonafide, spoof) if both else None,
        "eer_pct": 100.0 * compute_eer(bonafide, spoof)[0] if both else None,
    }
