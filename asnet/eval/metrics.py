"""Detection and calibration metrics, numpy only.

Conventions shared by every function here:
- A detection score is HIGHER for bona fide (ASVspoof convention). Nothing here ever flips a
  score's sign after looking at labels.
- Labels are 1 = bona fide, 0 = spoof (the detector's index 1 is bona fide).
- Rates (EER, FRR, FAR, t-DCF) are fractions; reports multiply EER by 100.
- Bad input raises `ScoreError` with a message that says what is wrong, never a numpy crash.

EER and min t-DCF follow the ASVspoof 2021 evaluation package (eval-package/eval_metrics.py)
operation by operation, so that results are bit-identical to the official scripts, including
their handling of tied scores.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

# The official t-DCF cost model (eval-package/config.py; the 2019 package uses the same values
# under the names Cmiss_asv = Cmiss_cm = 1, Cfa_asv = 10, Cfa_cm = 10).
P_SPOOF = 0.05
COST_MODEL = {
    "Pspoof": P_SPOOF,  # prior of a spoofing attack
    "Ptar": (1 - P_SPOOF) * 0.99,  # prior of a target speaker
    "Pnon": (1 - P_SPOOF) * 0.01,  # prior of a zero-effort impostor
    "Cmiss": 1,  # cost of rejecting a target (ASV or CM miss)
    "Cfa": 10,  # cost of accepting a zero-effort impostor (ASV false alarm)
    "Cfa_spoof": 10,  # cost of accepting a spoof (CM false alarm)
}
TDCF_VERSIONS = ("2021", "2019")
MAX_NAMED = 10  # utterances named in an error message before "... and N more"


class ScoreError(ValueError):
    """Scores or labels that no metric can be computed from (the message says why)."""


def check_finite(values, names: Sequence[str] | None = None, what: str = "scores") -> np.ndarray:
    """Return `values` as float64; raise ScoreError naming the utterances that are NaN or inf.

    `names` are the utterance ids aligned with `values`; without them, positions are named.
    """
    values = np.asarray(values, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        labels = [str(names[i]) if names is not None else f"#{i}" for i in bad[:MAX_NAMED]]
        listed = ", ".join(f"{name} ({values.flat[i]})" for name, i in zip(labels, bad))
        more = f" ... and {bad.size - MAX_NAMED} more" if bad.size > MAX_NAMED else ""
        raise ScoreError(f"{bad.size} non-finite {what}: {listed}{more}")
    return values


def _present(values, what: str) -> np.ndarray:
    """`values` as a flat finite float64 array; ScoreError when there are none."""
    values = np.ravel(check_finite(values, what=what))
    if values.size == 0:
        raise ScoreError(f"one class is missing: no {what}")
    return values


def two_class_scores(bonafide_scores, spoof_scores) -> tuple[np.ndarray, np.ndarray]:
    """Both score sets as finite float64 arrays, each non-empty."""
    return _present(bonafide_scores, "bona fide scores"), _present(spoof_scores, "spoof scores")


def det_curve(bonafide_scores, spoof_scores) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frr, far, thresholds), one point more than there are scores, as the official package.

    All scores are stable-sorted (mergesort; bona fide before spoof among equal scores, since
    bona fide come first in the concatenation). Point k > 0 rejects the k lowest-sorted trials:
    frr = bona fide among them / n_bona, far = spoof not among them / n_spoof, threshold = the
    k-th sorted score. Point 0 is (frr 0, far 1) at threshold min(score) - 0.001. Tied scores
    are stepped through one trial at a time, exactly as the official code does.
    """
    bonafide, spoof = two_class_scores(bonafide_scores, spoof_scores)
    scores = np.concatenate((bonafide, spoof))
    is_bonafide = np.concatenate((np.ones(bonafide.size), np.zeros(spoof.size)))
    order = np.argsort(scores, kind="mergesort")
    rejected_bonafide = np.cumsum(is_bonafide[order])
    accepted_spoof = spoof.size - (np.arange(1, scores.size + 1) - rejected_bonafide)
    frr = np.concatenate(([0.0], rejected_bonafide / bonafide.size))
    far = np.concatenate(([1.0], accepted_spoof / spoof.size))
    thresholds = np.concatenate(([scores[order[0]] - 0.001], scores[order]))
    return frr, far, thresholds


def compute_eer(bonafide_scores, spoof_scores) -> tuple[float, float]:
    """(eer, threshold): EER as a fraction, bit-exact with the ASVspoof 2021 package.

    On the DET curve of `det_curve`, take the first point where |FRR - FAR| is smallest and
    return the mean of FRR and FAR there, with that point's threshold. No interpolation.
    Because ties are stepped through bona fide first, a constant score gives EER 1.0, not 0.5:
    the official value, kept so that numbers match the ASVspoof package.
    """
    frr, far, thresholds = det_curve(bonafide_scores, spoof_scores)
    best = np.argmin(np.abs(frr - far))
    return float(np.mean((frr[best], far[best]))), float(thresholds[best])


def asv_error_rates(asv_target, asv_nontarget, asv_spoof) -> dict[str, float]:
    """ASV error rates at the ASV system's own EER threshold (accept when score >= threshold).

    Keys: Pfa_asv (nontarget accepted), Pmiss_asv (target rejected), Pmiss_spoof_asv and
    Pfa_spoof_asv (spoofs rejected / accepted by the ASV), as in obtain_asv_error_rates.
    """
    target = _present(asv_target, "ASV target scores")
    nontarget = _present(asv_nontarget, "ASV nontarget scores")
    spoof = _present(asv_spoof, "ASV spoof scores")
    _, threshold = compute_eer(target, nontarget)
    return {
        "Pfa_asv": np.count_nonzero(nontarget >= threshold) / nontarget.size,
        "Pmiss_asv": np.count_nonzero(target < threshold) / target.size,
        "Pmiss_spoof_asv": np.count_nonzero(spoof < threshold) / spoof.size,
        "Pfa_spoof_asv": np.count_nonzero(spoof >= threshold) / spoof.size,
    }


def min_tdcf(bonafide_scores, spoof_scores, asv_target, asv_nontarget, asv_spoof, version: str = "2021") -> float:
    """Minimum normalised t-DCF of a countermeasure in tandem with a fixed ASV system.

    The ASV operating point is its own EER threshold on (asv_target, asv_nontarget); costs and
    priors are COST_MODEL.
    - version "2021" (revised, eval_metrics.compute_tDCF): t-DCF(s) = C0 + C1 Pmiss_cm(s) +
      C2 Pfa_cm(s), normalised by C0 + min(C1, C2), with C0 = Ptar Cmiss Pmiss_asv +
      Pnon Cfa Pfa_asv, C1 = Ptar Cmiss - C0, C2 = Pspoof Cfa_spoof Pfa_spoof_asv.
    - version "2019" (legacy, compute_tDCF_legacy): t-DCF(s) = C1 Pmiss_cm(s) + C2 Pfa_cm(s),
      normalised by min(C1, C2), with C1 = Ptar (Cmiss - Cmiss Pmiss_asv) - Pnon Cfa Pfa_asv,
      C2 = Cfa_spoof Pspoof (1 - Pmiss_spoof_asv).
    The two versions are not interchangeable. CM scores must be soft: fewer than 3 distinct
    values (hard decisions) is refused, as the official code does.
    """
    if version not in TDCF_VERSIONS:
        raise ValueError(f"t-DCF version must be one of {TDCF_VERSIONS}, got {version!r}")
    bonafide, spoof = two_class_scores(bonafide_scores, spoof_scores)
    distinct = np.unique(np.concatenate((bonafide, spoof))).size
    if distinct < 3:
        raise ScoreError(f"t-DCF needs soft CM scores, not decisions: only {distinct} distinct score value(s)")
    asv = asv_error_rates(asv_target, asv_nontarget, asv_spoof)
    pmiss_cm, pfa_cm, _ = det_curve(bonafide, spoof)
    c = COST_MODEL
    if version == "2021":
        c0 = c["Ptar"] * c["Cmiss"] * asv["Pmiss_asv"] + c["Pnon"] * c["Cfa"] * asv["Pfa_asv"]
        c1 = c["Ptar"] * c["Cmiss"] - (c["Ptar"] * c["Cmiss"] * asv["Pmiss_asv"] + c["Pnon"] * c["Cfa"] * asv["Pfa_asv"])
        c2 = c["Pspoof"] * c["Cfa_spoof"] * asv["Pfa_spoof_asv"]
        default = c0 + np.minimum(c1, c2)
        _check_weights((c0, c1, c2), default)
        tdcf = (c0 + c1 * pmiss_cm + c2 * pfa_cm) / default
    else:
        c1 = c["Ptar"] * (c["Cmiss"] - c["Cmiss"] * asv["Pmiss_asv"]) - c["Pnon"] * c["Cfa"] * asv["Pfa_asv"]
        c2 = c["Cfa_spoof"] * c["Pspoof"] * (1 - asv["Pmiss_spoof_asv"])
        default = np.minimum(c1, c2)
        _check_weights((c1, c2), default)
        tdcf = (c1 * pmiss_cm + c2 * pfa_cm) / default
    return float(tdcf.min())


def _check_weights(weights: tuple[float, ...], default: float) -> None:
    """The official code refuses negative weights; a zero normaliser would give inf/NaN."""
    if min(weights) < 0 or default <= 0:
        raise ScoreError(f"t-DCF weights {weights} are negative or normalise by {default}; check the ASV scores")


def roc_auc(bonafide_scores, spoof_scores) -> float:
    """Area under the ROC curve with bona fide as the positive class; tied pairs count half.

    Equals P(bona fide score > spoof score) + 0.5 P(equal) (Mann-Whitney U / (n_bona n_spoof)).
    """
    bonafide, spoof = two_class_scores(bonafide_scores, spoof_scores)
    ranks = _average_ranks(np.concatenate((bonafide, spoof)))
    u = ranks[: bonafide.size].sum() - bonafide.size * (bonafide.size + 1) / 2
    return float(u / (bonafide.size * spoof.size))


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, tied values sharing their average rank."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    last_rank = np.cumsum(counts)
    return (last_rank - (counts - 1) / 2)[inverse]


def ood_auroc(in_energy, out_energy) -> float:
    """AUROC of the energy score for separating out-of-distribution (positive) from in-distribution
    samples; a higher energy means less familiar. 0.5 = no separation."""
    return roc_auc(out_energy, in_energy)


def _binary_targets(labels, size: int) -> np.ndarray:
    labels = np.ravel(np.asarray(labels))
    if labels.size != size:
        raise ScoreError(f"{labels.size} labels for {size} predictions")
    if not np.isin(labels, (0, 1)).all():
        raise ScoreError("labels must be 1 (bona fide) or 0 (spoof)")
    return labels.astype(np.float64)


def _probabilities(p_spoof) -> np.ndarray:
    p = np.ravel(check_finite(p_spoof, what="probabilities"))
    if ((p < 0) | (p > 1)).any():
        raise ScoreError("probabilities must lie in [0, 1]")
    return p


def expected_calibration_error(p_spoof, labels, n_bins: int = 15) -> float:
    """Binary ECE: 15 equal-width bins over [0, 1] of the confidence max(p, 1 - p).

    The predicted class is spoof when p_spoof > 0.5, else bona fide (the same decision as
    score > 0 -> bona fide, up to the tie p = 0.5 where the confidence is 0.5 either way).
    Bins are (lo, hi], the first closed at 0. ECE = sum over bins of (bin size / N) *
    |accuracy - mean confidence|. A perfectly calibrated detector scores ~0, whatever the class
    balance (unlike the upstream code's ECE on p_fake).
    """
    p = _probabilities(p_spoof)
    is_bonafide = _binary_targets(labels, p.size)
    predicts_spoof = p > 0.5
    confidence = np.where(predicts_spoof, p, 1 - p)
    correct = predicts_spoof == (is_bonafide == 0)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.maximum(np.searchsorted(edges, confidence, side="left") - 1, 0)
    ece = 0.0
    for b in np.unique(bins):
        members = bins == b
        ece += members.mean() * abs(correct[members].mean() - confidence[members].mean())
    return float(ece)


def brier_score(p_spoof, labels) -> float:
    """Mean squared error of the spoof probability against the spoof indicator (0 = perfect)."""
    p = _probabilities(p_spoof)
    is_spoof = 1 - _binary_targets(labels, p.size)
    return float(np.mean((p - is_spoof) ** 2))


def negative_log_likelihood(bonafide_log_odds, labels) -> float:
    """Mean NLL (nats) of the true class, from calibrated bona fide log-odds (score / T).

    Taken in the log-odds domain, not from rounded probabilities, so that confident correct
    predictions cost ~0 and confident errors cost their full log-odds instead of log(0).
    """
    log_odds = np.ravel(check_finite(bonafide_log_odds, what="log-odds"))
    sign = 2 * _binary_targets(labels, log_odds.size) - 1
    return float(np.mean(np.logaddexp(0.0, -sign * log_odds)))
