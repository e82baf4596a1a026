"""The adaptive attack's successes pass both defences, and the defences do bind a plain attack."""
import json

import torch

from asnet.attacks.adaptive import AdaptiveObjective
from asnet.attacks.target import AttackTarget, OperatingPoint, Outputs

from attacks_toys import TONE_POINT, ToneDetector


def results(out, attack, eps):
    return json.loads((out / f"{attack}-eps{eps:g}.json").read_text())


def test_every_adaptive_success_is_flipped_unflagged_and_kept(full_run):
    _, _, out = full_run
    successes = 0
    for eps in (0.001, 0.004, 0.016):
        for clip in results(out, "adaptive_linf", eps)["per_clip"]:
            if clip["success"]:
                successes += 1
                assert (clip["adv_score"] > TONE_POINT.threshold) != (clip["label"] == 1)
                assert clip["adv_energy"] <= TONE_POINT.ood_threshold
                assert clip["adv_abstain"] <= TONE_POINT.abstain_threshold
    assert successes > 0


def test_the_defences_catch_plain_pgd_but_not_the_adaptive_attack(full_run):
    _, _, out = full_run
    plain, adaptive = results(out, "pgd_linf", 0.016)["adversarial"], results(out, "adaptive_linf", 0.016)["adversarial"]
    assert plain["caught_rate"] > 0  # the OOD flag stops some of PGD's flips: the constraint binds
    assert adaptive["success_rate"]["all"] > plain["undetected_flip_rate"]["all"]
    assert adaptive["success_rate"]["all"] == adaptive["undetected_flip_rate"]["all"]


def test_no_constraint_pulls_against_the_flip_before_it_happens():
    """Just before the threshold a baseline's abstain = -|score| would cancel the decision's
    gradient; the selective objective ignores the constraints until the decision has flipped."""
    objective = AdaptiveObjective(margin=0.1, energy_weight=1.0, abstain_weight=1.0)
    target = AttackTarget(ToneDetector(), OperatingPoint(0.0, 0.0, -0.2, 1.0))
    score = torch.tensor([-0.05], requires_grad=True)  # a spoof just below the threshold
    value, goal = objective(target, Outputs(score, score - 1.0, -score.abs()), torch.tensor([0]))
    (grad,) = torch.autograd.grad(value.sum(), score)
    assert grad.item() > 0 and not goal.item()


def test_without_tau_only_the_flag_constrains():
    objective = AdaptiveObjective(margin=0.1, energy_weight=1.0, abstain_weight=1.0)
    target = AttackTarget(ToneDetector(), OperatingPoint(0.0, 0.0, None, 1.0))
    score = torch.tensor([0.5])
    _, goal = objective(target, Outputs(score, score - 1.0, torch.tensor([100.0])), torch.tensor([0]))
    assert goal.item()
