"""ASVspoof 5 detection costs: the track-1 min DCF and actual DCF of a countermeasure, and the
track-2 a-DCF of a spoofing-aware speaker verification (SASV) system.

Definitions as the organisers publish them (asvspoof-challenge/asvspoof5 evaluation-package:
calculate_modules.py, a_dcf.py; Shim et al., "a-DCF: an architecture agnostic metric with
application to spoofing-robust speaker verification", Odyssey 2024, arXiv 2403.01355):

- DCF (track 1, primary: min DCF). With prior P_spoof and costs C_miss (rejecting bona fide) and
  C_fa (accepting a spoof), DCF(t) = C_miss (1 - P_spoof) P_miss(t) + C_fa P_spoof P_fa(t),
  normalised by min(C_miss (1 - P_spoof), C_fa P_spoof). min DCF is its minimum over the
  ASVspoof DET curve (asnet.eval.metrics.det_curve, the points the EER is read from). actual
  DCF is its value at the Bayes threshold -log(beta), beta = C_miss (1 - P_spoof) / (C_fa
  P_spoof), which is meaningful only for calibrated log-likelihood-ratio scores. Defaults:
  P_spoof 0.05, C_miss 1, C_fa 10.
- a-DCF (track 2). One SASV score per trial, three classes: target (bona fide, claimed
  speaker), non-target (bona fide, another speaker), spoof. At threshold t,
  a-DCF(t) = C_miss P_tar P_miss(t) + C_fa,asv P_non P_fa,non(t) + C_fa,cm P_spoof P_fa,spoof(t),
  normalised by min(C_fa,asv P_non + C_fa,cm P_spoof, C_miss P_tar) (accept all vs reject all),
  and min a-DCF is its minimum over the thresholds at every sorted score (stable sort, the
  first point accepts everything). Defaults: P_tar 0.9, P_non 0.05, P_spoof 0.05, C_miss 1,
  C_fa,asv 10, C_fa,cm 20.

Scores are higher for bona fide / target, as everywhere in asnet.eval. A countermeasure alone
has no a-DCF: it needs the ASV trial lists (ASVspoof5.*.track_2.trial.tsv) and a fused score.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from asnet.eval.metrics import ScoreError, check_finite, det_curve, two_class_scores


@dataclass(frozen=True)
class DCFCosts:
    p_spoof: float = 0.05
    c_miss: float = 1.0
    c_fa: float = 10.0

    @property
    def default_cost(self) -> float:
        """The better of the two trivial systems (accept all, reject all): the normaliser."""
        return min(self.c_miss * (1 - self.p_spoof), self.c_fa * self.p_spoof)


@dataclass(frozen=True)
class ADCFCosts:
    p_target: float = 0.9
    p_nontarget: float = 0.05
    p_spoof: float = 0.05
    c_miss: float = 1.0
    c_fa_asv: float = 10.0
    c_fa_cm: float = 20.0

    @property
    def default_cost(self) -> float:
        accept_all = self.c_fa_asv * self.p_nontarget + self.c_fa_cm * self.p_spoof
        return min(accept_all, self.c_miss * self.p_target)


def min_dcf(bonafide_scores, spoof_scores, costs: DCFCosts = DCFCosts()) -> tuple[float, float]:
    """(normalised min DCF, its threshold) over the ASVspoof DET curve (first minimum)."""
    frr, far, thresholds = det_curve(bonafide_scores, spoof_scores)
    dcf = costs.c_miss * (1 - costs.p_spoof) * frr + costs.c_fa * costs.p_spoof * far
    best = int(np.argmin(dcf))
    return float(dcf[best] / costs.default_cost), float(thresholds[best])


def act_dcf(bonafide_scores, spoof_scores, costs: DCFCosts = DCFCosts()) -> tuple[float, float]:
    """(normalised actual DCF, the Bayes threshold -log(beta)) for LLR scores: bona fide below
    the threshold are misses, spoofs at or above it false alarms."""
    bonafide, spoof = two_class_scores(bonafide_scores, spoof_scores)
    threshold = -np.log(costs.c_miss * (1 - costs.p_spoof) / (costs.c_fa * costs.p_spoof))
    p_miss = np.count_nonzero(bonafide < threshold) / bonafide.size
    p_fa = np.count_nonzero(spoof >= threshold) / spoof.size
    dcf = costs.c_miss * (1 - costs.p_spoof) * p_miss + costs.c_fa * costs.p_spoof * p_fa
    return float(dcf / costs.default_cost), float(threshold)


def min_a_dcf(target_scores, nontarget_scores, spoof_scores, costs: ADCFCosts = ADCFCosts()) -> tuple[float, float]:
    """(normalised min a-DCF, its threshold) of SASV scores for target, non-target and spoof trials."""
    groups = [np.ravel(check_finite(s, what=f"{name} scores")) for s, name in
              ((target_scores, "target"), (nontarget_scores, "non-target"), (spoof_scores, "spoof"))]
    for values, name in zip(groups, ("target", "non-target", "spoof")):
        if values.size == 0:
            raise ScoreError(f"no {name} scores: a-DCF needs all three trial classes")
    scores = np.concatenate(groups)
    kind = np.concatenate([np.full(g.size, k) for k, g in enumerate(groups)])  # 0 target, 1 non-target, 2 spoof
    order = np.argsort(scores, kind="mergesort")
    rejected = [np.concatenate(([0], np.cumsum(kind[order] == k))) for k in range(3)]  # below each threshold
    p_miss = rejected[0] / groups[0].size
    p_fa_nontarget = 1 - rejected[1] / groups[1].size
    p_fa_spoof = 1 - rejected[2] / groups[2].size
    a_dcf = (costs.c_miss * costs.p_target * p_miss + costs.c_fa_asv * costs.p_nontarget * p_fa_nontarget
             + costs.c_fa_cm * costs.p_spoof * p_fa_spoof)
    thresholds = np.concatenate(([scores[order[0]] - 1e-8], scores[order]))
    best = int(np.argmin(a_dcf))
    return float(a_dcf[best] / costs.default_cost), float(thresholds[best])
