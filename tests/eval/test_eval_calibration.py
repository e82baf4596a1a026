import numpy as np
import pytest

from asnet.eval.calibration import (
    TEMPERATURE_BOUNDS,
    fit_abstain_threshold,
    fit_temperature,
    keeps,
    spoof_probability,
)
from asnet.eval.metrics import ScoreError


def synthetic_logits(true_temperature: float, n: int = 20_000, seed: int = 0):
    """Logits whose calibrated log-odds are margin / true_temperature, labels drawn from them."""
    rng = np.random.default_rng(seed)
    log_odds = rng.normal(0, 3, n)
    labels = (rng.uniform(0, 1, n) < 1 / (1 + np.exp(-log_odds))).astype(int)
    offset = rng.normal(0, 5, n)  # softmax ignores a per-row shift
    logits = np.stack([offset, offset + log_odds * true_temperature], axis=1)
    return logits, labels


def test_fit_temperature_recovers_the_generating_temperature():
    for true_t in (0.5, 2.5):
        logits, labels = synthetic_logits(true_t)
        assert fit_temperature(logits, labels) == pytest.approx(true_t, rel=0.05)


def test_fit_temperature_is_bounded_on_separable_data():
    logits = np.array([[0.0, 3.0], [0.0, 1.0], [0.0, -2.0], [0.0, -1.0]])
    assert fit_temperature(logits, np.array([1, 1, 0, 0])) == pytest.approx(TEMPERATURE_BOUNDS[0], rel=1e-3)


def test_fit_temperature_errors():
    with pytest.raises(ScoreError, match="both bona fide and spoof"):
        fit_temperature(np.zeros((3, 2)), np.ones(3))
    with pytest.raises(ScoreError, match=r"shape \[N, 2\]"):
        fit_temperature(np.zeros(3), np.array([0, 1, 1]))
    with pytest.raises(ScoreError, match="non-finite logits"):
        fit_temperature(np.array([[0.0, np.nan], [0.0, 1.0]]), np.array([0, 1]))


def test_temperature_never_changes_a_decision():
    score = np.array([-3.0, -0.1, 0.2, 5.0])
    for t in (0.1, 1.0, 7.0):
        assert ((spoof_probability(score, t) < 0.5) == (score > 0)).all()
    assert spoof_probability(np.array([0.0]), 3.0)[0] == 0.5


def test_abstain_threshold_keeps_the_target_coverage():
    logits = np.arange(1.0, 11.0)[::-1]
    tau = fit_abstain_threshold(logits, 0.9)
    assert tau == 9.0 and keeps(logits, tau).mean() == 0.9
    assert fit_abstain_threshold(logits, 1.0) == 10.0
    assert fit_abstain_threshold(logits, 0.01) == 1.0
    # ties at tau are kept together (coverage may exceed the target, never fall below it)
    assert keeps([1.0, 1.0, 1.0, 2.0], fit_abstain_threshold(np.array([1.0, 1.0, 1.0, 2.0]), 0.5)).mean() == 0.75


def test_abstain_threshold_errors_and_no_threshold():
    with pytest.raises(ValueError, match="coverage"):
        fit_abstain_threshold(np.arange(3.0), 0.0)
    with pytest.raises(ScoreError, match="non-finite abstention logits"):
        fit_abstain_threshold(np.array([0.0, np.inf]), 0.5)
    assert keeps(np.array([5.0, -5.0]), None).all()
