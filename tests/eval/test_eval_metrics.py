"""EER / t-DCF against an independent transcription of the ASVspoof 2021 evaluation package,
hand-computed cases, sklearn cross-checks, calibration metrics and every error path."""
import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score, roc_curve

from asnet.eval.metrics import (
    ScoreError,
    brier_score,
    check_finite,
    compute_eer,
    expected_calibration_error,
    min_tdcf,
    negative_log_likelihood,
    ood_auroc,
    roc_auc,
)

# --------------------------------------------------------------------------------------------
# Independent reference: eval-package/eval_metrics.py (compute_det_curve, compute_eer,
# obtain_asv_error_rates, compute_tDCF, compute_tDCF_legacy) re-written in plain Python with
# explicit loops. Python's sorted() is stable, as numpy's mergesort is.
# --------------------------------------------------------------------------------------------
REF_PSPOOF = 0.05
REF_COSTS = dict(
    Pspoof=REF_PSPOOF, Ptar=(1 - REF_PSPOOF) * 0.99, Pnon=(1 - REF_PSPOOF) * 0.01,
    Cmiss=1, Cfa=10, Cfa_spoof=10, Cmiss_asv=1, Cfa_asv=10, Cmiss_cm=1, Cfa_cm=10,
)


def ref_det_curve(target, nontarget):
    trials = sorted([(float(s), True) for s in target] + [(float(s), False) for s in nontarget], key=lambda t: t[0])
    frr, far, thresholds = [0.0], [1.0], [trials[0][0] - 0.001]
    targets_below = 0
    for k, (score, is_target) in enumerate(trials, start=1):
        if is_target:
            targets_below += 1
        nontargets_above = len(nontarget) - (k - targets_below)
        frr.append(targets_below / len(target))
        far.append(nontargets_above / len(nontarget))
        thresholds.append(score)
    return frr, far, thresholds


def ref_eer(target, nontarget):
    frr, far, thresholds = ref_det_curve(target, nontarget)
    best = 0
    for i in range(1, len(frr)):
        if abs(frr[i] - far[i]) < abs(frr[best] - far[best]):
            best = i
    return (frr[best] + far[best]) / 2, thresholds[best]


def ref_asv_rates(tar, non, spoof):
    _, t = ref_eer(tar, non)
    pfa = sum(1 for s in non if s >= t) / len(non)
    pmiss = sum(1 for s in tar if s < t) / len(tar)
    pmiss_spoof = sum(1 for s in spoof if s < t) / len(spoof)
    pfa_spoof = sum(1 for s in spoof if s >= t) / len(spoof)
    return pfa, pmiss, pmiss_spoof, pfa_spoof


def ref_min_tdcf(bona, spoof, tar, non, spoof_asv, version):
    c = REF_COSTS
    pfa_asv, pmiss_asv, pmiss_spoof_asv, pfa_spoof_asv = ref_asv_rates(tar, non, spoof_asv)
    pmiss_cm, pfa_cm, _ = ref_det_curve(bona, spoof)
    if version == "2021":
        c0 = c["Ptar"] * c["Cmiss"] * pmiss_asv + c["Pnon"] * c["Cfa"] * pfa_asv
        c1 = c["Ptar"] * c["Cmiss"] - (c["Ptar"] * c["Cmiss"] * pmiss_asv + c["Pnon"] * c["Cfa"] * pfa_asv)
        c2 = c["Pspoof"] * c["Cfa_spoof"] * pfa_spoof_asv
        return min((c0 + c1 * m + c2 * f) / (c0 + min(c1, c2)) for m, f in zip(pmiss_cm, pfa_cm))
    c1 = c["Ptar"] * (c["Cmiss_cm"] - c["Cmiss_asv"] * pmiss_asv) - c["Pnon"] * c["Cfa_asv"] * pfa_asv
    c2 = c["Cfa_cm"] * c["Pspoof"] * (1 - pmiss_spoof_asv)
    return min((c1 * m + c2 * f) / min(c1, c2) for m, f in zip(pmiss_cm, pfa_cm))


def random_score_sets(seed, count=60):
    """Score sets of many shapes: continuous, heavily tied (few integer levels), all tied, tiny."""
    rng = np.random.default_rng(seed)
    for i in range(count):
        n_b, n_s = rng.integers(1, 40, 2)
        kind = i % 4
        if kind == 0:
            b, s = rng.normal(1, 1, n_b), rng.normal(0, 1, n_s)
        elif kind == 1:
            b, s = rng.integers(0, 4, n_b).astype(float), rng.integers(0, 3, n_s).astype(float)
        elif kind == 2:
            b, s = np.round(rng.normal(0.5, 1, n_b), 1), np.round(rng.normal(0, 1, n_s), 1)
        else:
            b, s = np.full(n_b, 2.0), rng.integers(1, 4, n_s).astype(float)
        yield b, s


# ----------------------------------- acceptance ---------------------------------------------
def test_eer_equals_the_official_algorithm_exactly_including_ties():
    for b, s in random_score_sets(seed=1):
        assert compute_eer(b, s) == ref_eer(list(b), list(s))


def test_min_tdcf_equals_the_official_algorithm_including_ties():
    rng = np.random.default_rng(2)
    checked = 0
    for b, s in random_score_sets(seed=3):
        if np.unique(np.concatenate((b, s))).size < 3:
            continue
        tar, non = rng.normal(3, 1, 30).round(1), rng.normal(0, 1, 25).round(1)
        spoof_asv = rng.normal(2, 1.5, 20).round(1)
        for version in ("2021", "2019"):
            expected = ref_min_tdcf(list(b), list(s), list(tar), list(non), list(spoof_asv), version)
            assert min_tdcf(b, s, tar, non, spoof_asv, version=version) == pytest.approx(expected, abs=1e-12, rel=0)
        checked += 1
    assert checked > 30


# ----------------------------------- EER by hand ---------------------------------------------
def test_eer_hand_cases():
    # sorted: 0.1 s | 0.5 b | 0.5 s | 0.8 b ; the tied bona fide is rejected first (stable sort)
    assert compute_eer([0.5, 0.8], [0.1, 0.5]) == (0.5, 0.5)
    # perfect separation: EER 0 at the last spoof score
    assert compute_eer([2.0, 3.0], [0.0, 1.0]) == (0.0, 1.0)
    # all scores tied: the official algorithm steps through bona fide first and ends at 100 %
    assert compute_eer([1.0, 1.0], [1.0, 1.0]) == (1.0, 1.0)
    # inverted scores
    assert compute_eer([0.0], [1.0]) == (1.0, 0.0)
    # sorted: 0 s | 1 b | 2 b | 5 s ; |FRR - FAR| first reaches 0 after rejecting the bona fide 1.0
    assert compute_eer([1.0, 2.0], [0.0, 5.0]) == (0.5, 1.0)


def test_eer_within_one_step_of_sklearn_roc():
    """sklearn's ROC groups tied scores into one point and is searched from the other end (so an
    equally close point may win); the official DET curve steps through ties one trial at a time.
    With light ties (at most pairs here) the two EERs differ by at most one trial's step."""
    rng = np.random.default_rng(4)
    for _ in range(200):
        b, s = rng.normal(1, 1, rng.integers(5, 200)).round(3), rng.normal(0, 1, rng.integers(5, 200)).round(3)
        if np.unique(np.r_[b, s], return_counts=True)[1].max() > 2:
            continue
        labels = np.r_[np.ones(b.size), np.zeros(s.size)]
        fpr, tpr, _ = roc_curve(labels, np.r_[b, s], drop_intermediate=False)
        fnr = 1 - tpr
        best = np.argmin(np.abs(fnr - fpr))
        sklearn_eer = (fnr[best] + fpr[best]) / 2
        assert abs(compute_eer(b, s)[0] - sklearn_eer) <= 1 / min(b.size, s.size) + 1e-12


# ----------------------------------- t-DCF by hand -------------------------------------------
def test_min_tdcf_worked_example():
    # ASV: EER threshold 1.0 (last nontarget), accept >= 1 -> Pfa_asv 1/2, Pmiss_asv 0,
    #      spoofs [0.5, 2.5]: Pmiss_spoof_asv 1/2, Pfa_spoof_asv 1/2.
    # 2021: C0 = 10 Pnon / 2 = 0.0475, C1 = 0.9405 - 0.0475 = 0.893, C2 = 0.05 * 10 / 2 = 0.25;
    #       CM DET (sorted 0s 1b 1.5s 2b 3b) best at (Pmiss 0, Pfa 1/2): (0.0475 + 0.125) / 0.2975.
    # 2019: C1 = 0.893, C2 = 10 * 0.05 * 1/2 = 0.25; best = 0.125 / 0.25 = 0.5.
    args = ([1.0, 2.0, 3.0], [0.0, 1.5], [2.0, 3.0], [0.0, 1.0], [0.5, 2.5])
    assert min_tdcf(*args, version="2021") == pytest.approx(69 / 119, abs=1e-12)
    assert min_tdcf(*args, version="2019") == pytest.approx(0.5, abs=1e-12)


# ----------------------------------- AUC / OOD ----------------------------------------------
def test_auc_equals_sklearn_with_ties():
    for b, s in random_score_sets(seed=5):
        if b.size and s.size:
            expected = roc_auc_score(np.r_[np.ones(b.size), np.zeros(s.size)], np.r_[b, s])
            assert roc_auc(b, s) == pytest.approx(expected, abs=1e-12)
    assert roc_auc([1.0], [1.0]) == 0.5


def test_ood_auroc_treats_higher_energy_as_out_of_distribution():
    assert ood_auroc(in_energy=[-5.0, -4.0], out_energy=[-1.0, 0.0]) == 1.0
    assert ood_auroc(in_energy=[-1.0, 0.0], out_energy=[-5.0, -4.0]) == 0.0


# ----------------------------------- calibration metrics -------------------------------------
def test_ece_hand_case():
    # confidences 0.95 (right), 0.82 (wrong), 0.75 (right), 0.62 (right), all in different bins
    p_spoof, labels = [0.95, 0.82, 0.25, 0.62], [0, 1, 1, 0]
    assert expected_calibration_error(p_spoof, labels) == pytest.approx((0.05 + 0.82 + 0.25 + 0.38) / 4)
    # two clips sharing bin 14: accuracy 1/2, mean confidence 0.955
    assert expected_calibration_error([0.95, 0.96], [0, 1]) == pytest.approx(0.455)


def test_ece_near_zero_when_perfectly_calibrated():
    rng = np.random.default_rng(6)
    p_spoof = rng.uniform(0, 1, 200_000)
    is_bonafide = (rng.uniform(0, 1, p_spoof.size) >= p_spoof).astype(int)
    assert expected_calibration_error(p_spoof, is_bonafide) < 0.01
    # and clearly non-zero when the same probabilities are sharpened
    sharpened = 1 / (1 + np.exp(-4 * (p_spoof - 0.5) * 4))
    assert expected_calibration_error(sharpened, is_bonafide) > 0.05


def test_ece_of_confident_perfect_detector_is_zero_whatever_the_balance():
    assert expected_calibration_error([1.0] * 9 + [0.0], [0] * 9 + [1]) == 0.0


def test_brier_and_nll_hand_values():
    assert brier_score([0.95, 0.82, 0.25, 0.62], [0, 1, 1, 0]) == pytest.approx((0.05**2 + 0.82**2 + 0.25**2 + 0.38**2) / 4)
    assert negative_log_likelihood([0.0, 2.0], [1, 0]) == pytest.approx((math.log(2) + math.log1p(math.exp(2))) / 2)
    # confident and right costs ~0; confident and wrong costs its log-odds (no log(0))
    assert negative_log_likelihood([800.0], [1]) == 0.0
    assert negative_log_likelihood([800.0], [0]) == pytest.approx(800.0)


# ----------------------------------- error paths --------------------------------------------
def test_one_class_missing_is_a_clear_error():
    with pytest.raises(ScoreError, match="no bona fide scores"):
        compute_eer([], [0.1, 0.2])
    with pytest.raises(ScoreError, match="no spoof scores"):
        roc_auc([0.1], [])


def test_non_finite_scores_are_named():
    with pytest.raises(ScoreError, match=r"2 non-finite scores: u2 \(nan\), u3 \(inf\)"):
        check_finite([0.0, np.nan, np.inf], names=["u1", "u2", "u3"])
    with pytest.raises(ScoreError, match="non-finite spoof scores"):
        compute_eer([0.1, 0.2], [np.nan])


def test_tdcf_refuses_hard_decisions():
    asv = ([3.0, 4.0], [0.0, 1.0], [2.0, 3.5])
    with pytest.raises(ScoreError, match="2 distinct"):
        min_tdcf([1.0, 1.0, 1.0], [0.0, 0.0], *asv)
    with pytest.raises(ScoreError, match="no ASV spoof scores"):
        min_tdcf([1.0, 2.0], [0.0], asv[0], asv[1], [])
    with pytest.raises(ValueError, match="version"):
        min_tdcf([1.0, 2.0], [0.0], *asv, version="2020")


def test_labels_and_probabilities_are_validated():
    with pytest.raises(ScoreError, match="labels must be"):
        brier_score([0.5], [2])
    with pytest.raises(ScoreError, match=r"\[0, 1\]"):
        expected_calibration_error([1.5], [1])
