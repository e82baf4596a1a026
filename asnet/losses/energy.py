"""Energy-stage losses (ARCHITECTURE §5, stage 3).

Conventions: the free energy E(x) = -T·logsumexp(logits / T) comes from the model (higher = less
familiar). Labels are 1 = bona fide, 0 = spoof, matching the detector's logit index 1.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def energy_margin_loss(energy_in: torch.Tensor, energy_out: torch.Tensor, m_in: float, m_out: float) -> torch.Tensor:
    """Squared-hinge energy margins (Liu et al., 2020, "Energy-based OOD detection"):

        mean relu(E_in - m_in)^2 + mean relu(m_out - E_out)^2

    In-distribution energies are pushed below m_in and pseudo-outlier energies above m_out; samples
    already on the right side of their margin contribute nothing.
    """
    return F.relu(energy_in - m_in).pow(2).mean() + F.relu(m_out - energy_out).pow(2).mean()


def detector_error(logits: torch.Tensor, labels: torch.Tensor, threshold: float) -> torch.Tensor:
    """The detector's probability of being wrong at the deployed decision, detached: the
    abstention target.

    The deployed rule is bona fide iff score > threshold (asnet.eval.decision; score = logit_bona -
    logit_spoof), so the decision's bona fide probability is sigmoid(score - threshold) and the
    error probability is sigmoid(-(score - threshold)) for a bona fide clip, sigmoid(score -
    threshold) for a spoof. At threshold 0 this is 1 - softmax(logits)[label]. It equals the 0/1
    error of the rule when the detector is confident and still ranks samples by risk when
    training errors are rare, which a hard 0/1 target would leave almost all-zero.
    """
    margin = (logits[:, 1] - logits[:, 0]).detach().float() - threshold
    return torch.sigmoid(torch.where(labels == 1, -margin, margin))


def abstention_loss(abstain_logits: torch.Tensor, logits: torch.Tensor, labels: torch.Tensor,
                    threshold: float) -> torch.Tensor:
    """BCE teaching the abstention logit a(x) to predict the detector's errors at the deployed
    decision threshold (higher a = riskier)."""
    return F.binary_cross_entropy_with_logits(abstain_logits.float(), detector_error(logits, labels, threshold))
