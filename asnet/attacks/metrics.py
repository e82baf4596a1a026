"""Robust metrics of one (checkpoint, attack, budget), and their clean counterparts on the same clips.

Definitions (labels 1 = bona fide; thresholds from the checkpoint, never refitted here):
- decision: bona fide iff score > eer_threshold; abstained: a(x) > tau; flagged: E(x) > ood_threshold.
- flipped: decided correctly when clean, wrongly under attack.
- success: flipped (plain attacks), or flipped AND neither abstained nor flagged (the adaptive
  attack, whose goal is to pass both defences). `success_rate` is over the clips decided
  correctly when clean, split by the attacker's goal: spoof_accepted (spoof clips) and
  bonafide_rejected (bona fide clips). `undetected_flip_rate` is reported for every attack, so a
  plain attack's success that abstention or the OOD flag would catch is visible.
- robust_accuracy: the fraction of all clips on which the attacker's goal is not met (for plain
  attacks: decided correctly under attack).
- EER (%) / AUC: `spoof_attacked` = adversarial spoofs against clean bona fide (the spoofing
  threat), `both_attacked` = adversarial spoofs against adversarial bona fide.
- ECE of the calibrated P(spoof) = sigmoid(-score / T) (asnet.eval), abstain and OOD-flag rates.
- SNR per clip = 20 log10(||x|| / ||delta||); unchanged clips (inf) are left out of mean/median.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from asnet.attacks.target import OperatingPoint
from asnet.eval import decision


@dataclass
class ClipOutputs:
    score: np.ndarray
    energy: np.ndarray
    abstain: np.ndarray


def says_bonafide(outputs: ClipOutputs, point: OperatingPoint) -> np.ndarray:
    return decision.says_bonafide(outputs.score, point.threshold)


def abstained(outputs: ClipOutputs, point: OperatingPoint) -> np.ndarray:
    if point.abstain_threshold is None:
        return np.zeros(len(outputs.score), dtype=bool)
    return outputs.abstain > point.abstain_threshold


def flagged(outputs: ClipOutputs, point: OperatingPoint) -> np.ndarray:
    return outputs.energy > point.ood_threshold


def _rate(hits: np.ndarray, over: np.ndarray) -> float | None:
    return float(hits[over].mean()) if over.any() else None


def _detection(bonafide: np.ndarray, spoof: np.ndarray) -> dict:
    from asnet.eval.metrics import compute_eer, roc_auc

    return {"eer": 100.0 * compute_eer(bonafide, spoof)[0], "auc": roc_auc(bonafide, spoof)}


def state_metrics(outputs: ClipOutputs, labels: np.ndarray, point: OperatingPoint, ece_bins: int) -> dict:
    """Accuracy at the operating point, abstain/OOD-flag rates and ECE of one set of outputs."""
    from asnet.eval.calibration import spoof_probability
    from asnet.eval.metrics import expected_calibration_error

    p_spoof = spoof_probability(outputs.score, point.temperature)
    return {
        "accuracy": float(np.mean(says_bonafide(outputs, point) == (labels == 1))),
        "abstain_rate": float(abstained(outputs, point).mean()),
        "ood_rate": float(flagged(outputs, point).mean()),
        "ece": expected_calibration_error(p_spoof, labels, ece_bins),
    }


def clean_metrics(clean: ClipOutputs, labels: np.ndarray, point: OperatingPoint, ece_bins: int) -> dict:
    bona = labels == 1
    return {**state_metrics(clean, labels, point, ece_bins), **_detection(clean.score[bona], clean.score[~bona])}


def _stats(values: np.ndarray) -> dict:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return {"mean": None, "median": None}
    return {"mean": float(finite.mean()), "median": float(np.median(finite))}


def attack_metrics(labels: np.ndarray, clean: ClipOutputs, adversarial: ClipOutputs, point: OperatingPoint,
                   goal: str, ece_bins: int, snr: np.ndarray, queries: np.ndarray | None) -> tuple[dict, np.ndarray]:
    """(the adversarial block of a result, per-clip success); `goal` is flip | undetected (see the
    module docstring)."""
    bona = labels == 1
    clean_correct = says_bonafide(clean, point) == bona
    wrong = says_bonafide(adversarial, point) != bona
    passed = ~abstained(adversarial, point) & ~flagged(adversarial, point)
    flipped = clean_correct & wrong
    success = flipped & passed if goal == "undetected" else flipped
    defeated = wrong & passed if goal == "undetected" else wrong

    def by_goal(hits: np.ndarray) -> dict:
        return {"all": _rate(hits, clean_correct), "spoof_accepted": _rate(hits, clean_correct & ~bona),
                "bonafide_rejected": _rate(hits, clean_correct & bona)}

    metrics = {
        **state_metrics(adversarial, labels, point, ece_bins),
        "robust_accuracy": float(1.0 - defeated.mean()),
        "success_rate": by_goal(success),
        "flip_rate": by_goal(flipped),
        "undetected_flip_rate": by_goal(flipped & passed),
        "caught_rate": _rate(~passed, flipped),  # of the flips, abstained on or flagged
        "spoof_attacked": _detection(clean.score[bona], adversarial.score[~bona]),
        "both_attacked": _detection(adversarial.score[bona], adversarial.score[~bona]),
        "snr_db": _stats(snr),
        "queries": None if queries is None else {"mean": float(queries.mean()), "median": float(np.median(queries))},
    }
    return metrics, success
