"""PGD-k under an L∞ budget on the waveform (Madry et al., 2018), used by the adv stage.

Conventions: waves are [B, N] in [-1, 1]; eps and the step size are in the same waveform units.
The attack maximises the detector's cross-entropy against the true labels (1 = bona fide) from a
uniform random start in the eps-ball. While it runs the model is in eval mode, so BatchNorm uses
(and never updates) its running statistics and dropout is off; the caller's mode is restored
after. Only the input receives gradients: parameter .grad fields are left untouched.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def project(candidate: torch.Tensor, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
    return torch.minimum(torch.maximum(candidate, low), high)


def pgd_linf(model: torch.nn.Module, wave: torch.Tensor, labels: torch.Tensor,
             eps: float, step_size: float, steps: int, start: torch.Tensor | None = None) -> torch.Tensor:
    """Adversarial waves x' with ||x' - x||∞ <= eps and x' in [-1, 1] (detached). `start` is the
    random start offset (uniform in [-eps, eps]; drawn from torch's generator when None)."""
    clean = wave.detach()
    # the feasible set: the eps-box around x intersected with the valid waveform range
    low, high = (clean - eps).clamp(-1.0, 1.0), (clean + eps).clamp(-1.0, 1.0)
    offset = torch.empty_like(clean).uniform_(-eps, eps) if start is None else start
    adversarial = project(clean + offset, low, high)
    was_training = model.training
    model.eval()
    try:
        for _ in range(steps):
            adversarial.requires_grad_(True)
            loss = F.cross_entropy(model(adversarial).logits.float(), labels)
            (grad,) = torch.autograd.grad(loss, adversarial)
            adversarial = project(adversarial.detach() + step_size * grad.sign(), low, high)
    finally:
        model.train(was_training)
    return adversarial.detach()
