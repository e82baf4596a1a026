"""PGD under an L∞ or L2 budget on the deployed decision (Madry et al., 2018), with restarts.

Each restart starts at a random point of the budget ball (L∞: uniform in the box; L2: a random
direction at a uniform fraction of the radius) and takes `steps` ascent steps of size
step_fraction x budget (L∞: the gradient's sign; L2: the gradient's direction), each followed by
the projection onto the ball ∩ [-1, 1]. Every iterate is scored; per clip the attack returns the
best one over all restarts: goal reached first, then the highest objective. So more steps or
restarts can only help, unless the optimisation itself is broken (the sanity checks test that).

An objective maps (target, expected outputs, labels) -> (value [B] to maximise, goal [B] bool).
The plain one (`flip`) maximises how wrong the decision is: the goal is a flipped decision.
asnet.attacks.adaptive adds the defences' constraints.
"""
from __future__ import annotations

from typing import Callable

import torch

from asnet.attacks import norms
from asnet.attacks.target import AttackTarget, Outputs, correct, correct_margin

Objective = Callable[[AttackTarget, Outputs, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def flip(target: AttackTarget, outputs: Outputs, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    margin = target.margin(outputs)
    return -correct_margin(margin, labels), ~correct(margin, labels)


def random_start(clean: torch.Tensor, kind: str, radius: torch.Tensor) -> torch.Tensor:
    if kind == "linf":
        delta = (torch.rand_like(clean) * 2 - 1) * radius.unsqueeze(-1)
    else:
        direction = torch.randn_like(clean)
        direction = direction / norms.l2(direction).unsqueeze(-1)
        delta = direction * (radius * torch.rand_like(radius)).unsqueeze(-1)
    return norms.project(clean + delta, clean, kind, radius)


def ascend(adversarial: torch.Tensor, grad: torch.Tensor, kind: str, step: torch.Tensor) -> torch.Tensor:
    if kind == "linf":
        return adversarial + step.unsqueeze(-1) * grad.sign()
    return adversarial + step.unsqueeze(-1) * grad / norms.l2(grad).clamp_min(1e-30).unsqueeze(-1)


def pgd(target: AttackTarget, clean: torch.Tensor, labels: torch.Tensor, kind: str, radius: torch.Tensor,
        steps: int, restarts: int, step_fraction: float, objective: Objective = flip) -> torch.Tensor:
    """Adversarial waves within `radius` [B] (per clip) of `clean` under norm `kind`, in [-1, 1]."""
    clean = clean.detach()
    best = clean.clone()
    best_goal = torch.zeros(len(clean), dtype=torch.bool, device=clean.device)
    best_value = torch.full((len(clean),), -torch.inf, device=clean.device)
    step = step_fraction * radius
    for _ in range(restarts):
        adversarial = random_start(clean, kind, radius)
        for k in range(steps + 1):
            last = k == steps
            adversarial.requires_grad_(not last)
            with torch.set_grad_enabled(not last):
                value, goal = objective(target, target.expected(adversarial), labels)
            better = (goal & ~best_goal) | ((goal == best_goal) & (value.detach() > best_value))
            best[better] = adversarial.detach()[better]
            best_value = torch.where(better, value.detach(), best_value)
            best_goal = best_goal | goal
            if last:
                break
            (grad,) = torch.autograd.grad(value.sum(), adversarial)
            adversarial = norms.project(ascend(adversarial.detach(), grad, kind, step), clean, kind, radius)
    return best


def pgd_ladder(target: AttackTarget, clean: torch.Tensor, labels: torch.Tensor, start_eps: float, max_eps: float,
               steps: int, restarts: int, step_fraction: float) -> torch.Tensor:
    """PGD-L∞ with an unbounded budget: eps doubles from start_eps up to max_eps (the whole range)
    and each rung attacks only the clips no smaller rung has flipped. Every result lies within
    max_eps, and the rungs make the huge budget usable: one PGD at eps = 1 would start from
    full-scale noise and take steps of half the range, and miss flips a small eps finds."""
    best = clean.detach().clone()
    done = torch.zeros(len(clean), dtype=torch.bool, device=clean.device)
    eps = start_eps
    while True:
        todo = (~done).nonzero().flatten()
        radius = torch.full((len(todo),), eps, device=clean.device)
        found = pgd(target, clean[todo], labels[todo], "linf", radius, steps, restarts, step_fraction)
        with torch.no_grad():
            _, goal = flip(target, target.expected(found), labels[todo])
        best[todo] = found
        done[todo] = goal
        if done.all() or eps >= max_eps:
            return best
        eps = min(2 * eps, max_eps)
