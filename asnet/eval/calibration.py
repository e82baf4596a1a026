"""Post-hoc calibration fitted on the dev split, stored in the checkpoint, applied unchanged to
every test set (never refitted on test data).

- Temperature T: the detector's calibrated spoof probability is softmax(logits / T)[0]
  = sigmoid(-score / T), with score = logit_bona - logit_spoof. T only rescales, so it never
  changes a decision or the sign of a score.
- Abstention threshold tau applies to the abstention LOGIT a(x) of the model's abstention head
  (higher = more likely wrong): the detector abstains on a clip when a(x) > tau and keeps it
  when a(x) <= tau. tau is the dev quantile that keeps the target coverage. score.py writes
  a(x) in the `abstain` column; evaluate.py applies this same rule.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import expit

from asnet.eval.metrics import ScoreError, check_finite

TEMPERATURE_BOUNDS = (0.05, 20.0)  # T outside this range means a broken model, not calibration


def bonafide_log_odds(score, temperature: float) -> np.ndarray:
    """Calibrated log-odds of bona fide: score / T."""
    return np.asarray(score, dtype=np.float64) / temperature


def spoof_probability(score, temperature: float) -> np.ndarray:
    """Calibrated P(spoof) = sigmoid(-score / T)."""
    return expit(-bonafide_log_odds(score, temperature))


def fit_temperature(logits: np.ndarray, labels: np.ndarray, bounds: tuple[float, float] = TEMPERATURE_BOUNDS) -> float:
    """Temperature minimising the NLL of softmax(logits / T) on held-out (dev) data.

    logits [N, 2] with index 1 = bona fide; labels [N] with 1 = bona fide, 0 = spoof. The search
    is a bounded scalar minimisation over log T within `bounds`; when the dev data are perfectly
    separated the NLL keeps falling as T shrinks and the lower bound is returned.
    """
    logits = check_finite(logits, what="logits")
    if logits.ndim != 2 or logits.shape[1] != 2:
        raise ScoreError(f"logits must have shape [N, 2], got {list(logits.shape)}")
    labels = np.ravel(np.asarray(labels))
    if labels.size != logits.shape[0] or not np.isin(labels, (0, 1)).all():
        raise ScoreError("labels must be one 1 (bona fide) or 0 (spoof) per row of logits")
    if np.unique(labels).size < 2:
        raise ScoreError("temperature fitting needs both bona fide and spoof samples")
    # softmax over two classes depends only on the logit difference
    margin = (logits[:, 1] - logits[:, 0]) * (2.0 * labels - 1.0)

    def nll(log_t: float) -> float:
        return float(np.mean(np.logaddexp(0.0, -margin / math.exp(log_t))))

    # here, not at module level: scipy.optimize pulls in scipy.stats and scipy.signal, which the
    # score stages (that only apply a temperature) would otherwise import for nothing
    from scipy.optimize import minimize_scalar

    low, high = (math.log(b) for b in bounds)
    result = minimize_scalar(nll, bounds=(low, high), method="bounded", options={"xatol": 1e-6})
    return float(math.exp(result.x))


def fit_abstain_threshold(abstain_logits: np.ndarray, coverage: float) -> float:
    """tau such that at least `coverage` of the (dev) clips have a(x) <= tau and are kept.

    tau is the ceil(coverage * N)-th smallest abstention logit (no interpolation), so on the
    fitting data the kept fraction is exactly the smallest achievable value >= coverage (more
    only when logits tie at tau). coverage must lie in (0, 1]; coverage 1 keeps every clip.
    """
    logits = np.sort(np.ravel(check_finite(abstain_logits, what="abstention logits")))
    if logits.size == 0:
        raise ScoreError("no abstention logits to fit a threshold on")
    if not 0.0 < coverage <= 1.0:
        raise ValueError(f"target coverage must lie in (0, 1], got {coverage}")
    kept = math.ceil(coverage * logits.size - 1e-9)  # guards 0.9 * 10 = 9.000000000000002
    return float(logits[max(kept, 1) - 1])


def keeps(abstain_logits, threshold: float | None) -> np.ndarray:
    """Boolean mask of the clips kept (not abstained on): a(x) <= tau; all kept when tau is None."""
    abstain_logits = np.asarray(abstain_logits, dtype=np.float64)
    if threshold is None:
        return np.ones(abstain_logits.shape, dtype=bool)
    return abstain_logits <= threshold
