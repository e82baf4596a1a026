"""Each sanity check passes on a sound evaluation and fails on a constructed broken one."""
import pytest

from asnet.attacks.sanity import (blackbox_weaker, budget_monotone, more_restarts, more_steps, noise_weaker,
                                  run_checks, unbounded)
from asnet.attacks.target import AttackTarget

from attacks_toys import TONE_POINT, ConstantDetector, MaskedDetector, attack_config, run_suite, tone_subset

SANITY = attack_config().sanity  # tolerance 1 clip of 8, reference eps 0.004


def row(attack, budget, robust_accuracy, success=None, norm="linf", knowledge="white", goal="flip", clips=8):
    return {"name": f"{attack}-{budget:g}", "attack": attack, "budget": budget, "norm": norm, "knowledge": knowledge,
            "goal": goal, "clips": clips, "clean_correct": clips, "robust_accuracy": robust_accuracy,
            "success_rate": {"all": 1 - robust_accuracy if success is None else success}}


def status(check):
    return check.status


def test_the_sound_toy_evaluation_passes_every_check(full_run):
    _, summary, _ = full_run
    assert {c["name"]: c["status"] for c in summary["sanity"]} == {
        "budget_monotone": "pass", "unbounded": "pass", "more_steps": "pass", "more_restarts": "pass",
        "noise_weaker": "pass", "blackbox_weaker": "pass"}
    assert summary["passed"]


def test_robust_accuracy_rising_with_the_budget_fails():
    rising = [row("pgd_linf", 0.001, 0.5), row("pgd_linf", 0.004, 0.75)]
    assert status(budget_monotone(rising, SANITY)) == "fail"
    within_tolerance = [row("pgd_linf", 0.001, 0.5), row("pgd_linf", 0.004, 0.625)]  # one clip of 8
    assert status(budget_monotone(within_tolerance, SANITY)) == "pass"
    # L2 budgets grow as the SNR falls
    l2 = [row("pgd_l2", 40.0, 0.5, norm="l2"), row("pgd_l2", 20.0, 0.75, norm="l2")]
    assert status(budget_monotone(l2, SANITY)) == "fail"
    assert status(budget_monotone(list(reversed(l2)), SANITY)) == "fail"


@pytest.mark.parametrize("check, attack", [(more_steps, "pgd_linf_more_steps"), (more_restarts, "pgd_linf_more_restarts")])
def test_a_stronger_pgd_that_is_weaker_fails(check, attack):
    base = row("pgd_linf", 0.004, 0.25)
    assert status(check([base, row(attack, 0.004, 0.5)], SANITY)) == "fail"
    assert status(check([base, row(attack, 0.004, 0.125)], SANITY)) == "pass"
    assert status(check([base], SANITY)) == "skipped"


def test_noise_as_good_as_pgd_fails():
    pgd = row("pgd_linf", 0.004, 0.5, success=0.5)
    assert status(noise_weaker([pgd, row("noise_linf", 0.004, 0.5, success=0.5, knowledge="none")], SANITY)) == "fail"
    assert status(noise_weaker([pgd, row("noise_linf", 0.004, 1.0, success=0.0, knowledge="none")], SANITY)) == "pass"



def test_noise_is_judged_only_against_a_pgd_that_could_still_do_better():
    """A PGD that flips every clip cannot be shown weak: noise succeeding on most clips then
    measures the model's fragility to noise (recorded), not gradient masking."""
    saturated = row("pgd_linf", 0.004, 0.0, success=1.0)
    fragile = row("noise_linf", 0.004, 0.375, success=0.625, knowledge="none")
    check = noise_weaker([saturated, fragile], SANITY)
    assert status(check) == "pass" and check.numbers["0.004"]["pgd_saturated"] is True
    almost = row("pgd_linf", 0.004, 0.25, success=0.75)  # two clips of 8 left: not saturated
    assert status(noise_weaker([almost, fragile], SANITY)) == "fail"


def test_the_noise_control_need_not_be_monotone_in_the_budget():
    """noise_linf draws afresh at each eps; only optimising attacks must weaken the model monotonically."""
    noise = [row("noise_linf", 0.001, 0.4375, knowledge="none"), row("noise_linf", 0.002, 0.625, knowledge="none")]
    check = budget_monotone(noise + [row("pgd_linf", 0.001, 0.5), row("pgd_linf", 0.002, 0.25)], SANITY)
    assert status(check) == "pass" and "noise_linf" not in check.numbers
    assert status(budget_monotone(noise, SANITY)) == "skipped"


def test_a_model_that_ignores_its_input_fails_the_unbounded_check(tmp_path):
    target = AttackTarget(ConstantDetector(), TONE_POINT)
    config = attack_config(suites={"check": ["pgd_linf_unbounded"]})
    _, summary = run_suite(tmp_path, "check", target=target, config=config)
    (check,) = [c for c in summary["sanity"] if c["name"] == "unbounded"]
    assert check["status"] == "fail" and check["numbers"]["wrong_under_attack"] == pytest.approx(0.5)
    assert not summary["passed"]


def test_a_gradient_masking_model_fails_the_black_box_check(tmp_path):
    """MaskedDetector reads the clip's mean through a detach: PGD sees a zero gradient, Square's
    constant windows move the mean and flip most clips at the largest eps."""
    target = AttackTarget(MaskedDetector(), TONE_POINT)
    config = attack_config(suites={"check": ["pgd_linf", "square_linf"]}, square={"queries": 100, "p_init": 0.3})
    _, summary = run_suite(tmp_path, "check", target=target, subset=tone_subset(amplitudes=(0.0,) * 4, dc=0.003),
                           config=config)
    checks = {c["name"]: c for c in summary["sanity"]}
    assert checks["blackbox_weaker"]["status"] == "fail"
    numbers = checks["blackbox_weaker"]["numbers"]["square_linf-eps0.016"]
    assert numbers["success"] >= 0.75 and numbers["white_box_success"] == 0.0


def test_checks_without_their_attacks_are_skipped_not_passed():
    checks = run_checks([row("pgd_linf", 0.004, 0.5)], SANITY)
    assert {c.name: c.status for c in checks} == {
        "budget_monotone": "skipped", "unbounded": "skipped", "more_steps": "skipped", "more_restarts": "skipped",
        "noise_weaker": "skipped", "blackbox_weaker": "skipped"}
    assert status(unbounded([], SANITY)) == "skipped" and status(blackbox_weaker([], SANITY)) == "skipped"
