import numpy as np
import pytest

from asnet.eval.bootstrap import bootstrap_interval
from asnet.eval.metrics import ScoreError, compute_eer, roc_auc
from asnet.eval.selective import aurc, decision_errors, kept_metrics, risk_at_coverages, risk_coverage


def test_risk_coverage_hand_case():
    coverage, risk = risk_coverage([0.1, 0.2, 0.3, 0.4], [0, 1, 0, 1])
    assert coverage.tolist() == [0.25, 0.5, 0.75, 1.0]
    assert risk == pytest.approx([0, 0.5, 1 / 3, 0.5])
    assert aurc(coverage, risk) == pytest.approx((0 + 0.5 + 1 / 3 + 0.5) / 4)
    assert risk_at_coverages(coverage, risk, [0.3, 0.5, 1.0]) == pytest.approx([0.5, 0.5, 0.5])


def test_tied_rejection_scores_are_kept_together_and_order_does_not_matter():
    coverage, risk = risk_coverage([1.0, 1.0, 2.0], [1, 0, 0])
    assert coverage == pytest.approx([2 / 3, 1.0]) and risk == pytest.approx([0.5, 1 / 3])
    assert aurc(coverage, risk) == pytest.approx(4 / 9)
    permuted = risk_coverage([2.0, 1.0, 1.0], [0, 0, 1])
    assert np.array_equal(permuted[0], coverage) and np.array_equal(permuted[1], risk)


def test_errors_are_counted_at_the_deployed_threshold_not_at_zero():
    """asnet detect says bona fide iff score > the dev EER threshold; a tie is spoof."""
    assert decision_errors([1.0, 0.0, -1.0, 0.0], [1, 1, 0, 0], 0.0).tolist() == [0, 1, 0, 0]
    assert decision_errors([1.0, 2.5, 2.0, 3.0], [1, 1, 0, 0], 2.0).tolist() == [1, 0, 0, 1]


def test_kept_metrics():
    score, labels = np.array([2.0, 1.0, -1.0, -2.0, 0.5]), np.array([1, 1, 0, 0, 0])
    result = kept_metrics(score, labels, np.array([True, True, True, True, False]), 0.0)
    assert result["n_kept"] == 4 and result["coverage"] == 0.8 and result["abstain_pct"] == pytest.approx(20.0)
    assert result["error_rate"] == 0.0 and result["auc"] == 1.0 and result["eer_pct"] == 0.0
    assert kept_metrics(score, labels, np.array([True, True, True, True, False]), 1.5)["error_rate"] == 0.25
    only_bonafide = kept_metrics(score, labels, labels == 1, 0.0)
    assert only_bonafide["auc"] is None and only_bonafide["eer_pct"] is None


def test_risk_coverage_errors():
    with pytest.raises(ScoreError, match="one error per rejection score"):
        risk_coverage([0.1, 0.2], [1])
    with pytest.raises(ScoreError, match="non-finite rejection scores"):
        risk_coverage([np.nan], [1])


def test_bootstrap_is_seeded_stratified_and_brackets_the_estimate():
    rng = np.random.default_rng(0)
    bonafide, spoof = rng.normal(1.5, 1, 80), rng.normal(0, 1, 120)
    eer = lambda b, s: compute_eer(b, s)[0]  # noqa: E731
    low, high = bootstrap_interval(bonafide, spoof, eer, 300, seed=7)
    assert low <= eer(bonafide, spoof) <= high and high - low > 0
    assert bootstrap_interval(bonafide, spoof, eer, 300, seed=7) == (low, high)
    assert bootstrap_interval(bonafide, spoof, eer, 300, seed=8) != (low, high)
    # stratified: a single bona fide clip still appears in every replicate
    assert bootstrap_interval([3.0], spoof, roc_auc, 50, seed=0)[0] > 0.9
