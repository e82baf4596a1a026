"""ASVspoof 5 costs (asnet.eval.adcf) against hand-computed cases."""
import numpy as np
import pytest

from asnet.eval.adcf import ADCFCosts, DCFCosts, act_dcf, min_a_dcf, min_dcf
from asnet.eval.metrics import ScoreError


def test_min_dcf_by_hand():
    # sorted: 1 spoof, 2 bona, 3 spoof, 4 bona. Points (frr, far): (0,1) (0,.5) (.5,.5) (.5,0) (1,0);
    # DCF = .95 frr + .5 far -> .5 .25 .725 .475 .95; normalised by min(.95, .5) = .5 -> min .5 at threshold 1
    assert min_dcf([2.0, 4.0], [1.0, 3.0]) == pytest.approx((0.5, 1.0))


def test_act_dcf_by_hand():
    # threshold -ln(.95 / .5) = -0.6419: bona -1 is a miss (1/2), spoof 0 a false alarm (1/2)
    value, threshold = act_dcf([-1.0, 2.0], [-2.0, 0.0])
    assert threshold == pytest.approx(-np.log(1.9))
    assert value == pytest.approx((0.95 * 0.5 + 0.5 * 0.5) / 0.5)


def test_min_a_dcf_by_hand():
    # sorted: 0 spoof, 1 non, 2 target, 3 non, 4 target. a-DCF = .9 Pmiss + .5 Pfa_non + 1.0 Pfa_spoof:
    # 1.5, .5, .25, .7, .45, .9 -> min .25 after the first non-target; normalised by min(1.5, .9)
    value, threshold = min_a_dcf([2.0, 4.0], [1.0, 3.0], [0.0])
    assert value == pytest.approx(0.25 / 0.9) and threshold == 1.0


def test_costs_change_the_answer_and_every_class_is_needed():
    assert min_a_dcf([2.0, 4.0], [1.0, 3.0], [0.0], ADCFCosts(c_fa_cm=0.0))[0] == pytest.approx(0.25 / 0.5)
    assert min_dcf([2.0, 4.0], [1.0, 3.0], DCFCosts(p_spoof=0.5))[0] == pytest.approx(0.5)
    with pytest.raises(ScoreError, match="no spoof scores"):
        min_a_dcf([1.0], [0.0], [])
