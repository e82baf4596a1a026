"""The adaptive attack against the defences this model adds (Tramèr et al., 2020; Bryniarski et
al., 2022): a detector that may abstain or flag a clip as out-of-distribution is only robust if
an attacker who knows both rules cannot flip the decision while staying under both thresholds.

Goal per clip: the decision flips AND E(x') <= ood_threshold (not flagged) AND a(x') <= tau (not
abstained), thresholds from the checkpoint. PGD-L∞ ascends minus a sum of hinges, selectively
(Bryniarski et al.'s "selective PGD"): while the decision has not flipped, only

    relu(correct_margin + kappa)

so that no constraint pulls against the flip (for a baseline, abstain = -|score| would cancel
the decision's gradient just before the threshold); once it has flipped,

    relu(correct_margin + kappa) + w_E relu(E - ood_threshold + kappa) + w_a relu(a - tau + kappa)

each hinge zero once its condition holds with margin kappa, so the gradient only pushes on what
is still violated. A checkpoint without tau drops the abstention term.
"""
from __future__ import annotations

import torch

from asnet.attacks.target import AttackTarget, Outputs, correct, correct_margin


class AdaptiveObjective:
    def __init__(self, margin: float, energy_weight: float, abstain_weight: float):
        self.margin = margin
        self.energy_weight = energy_weight
        self.abstain_weight = abstain_weight

    def __call__(self, target: AttackTarget, outputs: Outputs, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        point = target.point
        decision = target.margin(outputs)
        flipped = ~correct(decision, labels)
        constraints = self.energy_weight * torch.relu(outputs.energy - point.ood_threshold + self.margin)
        goal = flipped & (outputs.energy <= point.ood_threshold)
        if point.abstain_threshold is not None:
            constraints = constraints + self.abstain_weight * torch.relu(
                outputs.abstain - point.abstain_threshold + self.margin)
            goal = goal & (outputs.abstain <= point.abstain_threshold)
        hinge = torch.relu(correct_margin(decision, labels) + self.margin) + torch.where(flipped.detach(), constraints, 0.0)
        return -hinge, goal
