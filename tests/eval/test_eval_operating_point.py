"""Operating points fitted on dev scores."""
import numpy as np
import pytest

from asnet.eval.operating_point import error_rates, fit, parse

BONAFIDE = np.array([0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0])
SPOOF = np.array([-9.0, -8.0, -7.0, -6.0, -5.0, -4.0, -3.0, -2.0, 0.7, 1.5])


def test_parse():
    assert parse("eer") == ("eer", None) and parse(" FAR=0.01 ") == ("far", 0.01) and parse("frr=0") == ("frr", 0.0)
    for bad in ["", "eer=1", "far", "far=1", "far=-0.1", "frr=x", "dcf=0.1"]:
        with pytest.raises(ValueError):
            parse(bad)


@pytest.mark.parametrize("rate", [0.0, 0.1, 0.15, 0.2, 0.5])
def test_far_point_is_the_lowest_threshold_meeting_the_rate(rate):
    point = fit(f"far={rate}", None, BONAFIDE, SPOOF)
    assert point.dev_far <= rate + 1e-12
    lower = np.nextafter(point.threshold, -np.inf)
    assert error_rates(BONAFIDE, SPOOF, lower)[0] > rate  # any lower threshold lets more spoofs through


@pytest.mark.parametrize("rate", [0.0, 0.1, 0.25, 0.5])
def test_frr_point_is_the_highest_threshold_meeting_the_rate(rate):
    point = fit(f"frr={rate}", None, BONAFIDE, SPOOF)
    assert point.dev_frr <= rate + 1e-12
    higher = np.nextafter(point.threshold, np.inf)
    assert error_rates(BONAFIDE, SPOOF, higher)[1] > rate


def test_eer_point_uses_the_checkpoint_threshold_and_reports_dev_rates():
    point = fit("eer", 0.6, BONAFIDE, SPOOF)
    assert (point.name, point.threshold, point.dev_far, point.dev_frr) == ("eer", 0.6, 0.2, 0.1)
    assert fit("eer", 0.6, None, None).dev_far is None
    with pytest.raises(ValueError, match="dev scores"):
        fit("far=0.01", 0.6, None, None)
    with pytest.raises(ValueError, match="eer_threshold"):
        fit("eer", None, BONAFIDE, SPOOF)
