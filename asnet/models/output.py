"""What every detector returns, so that scoring, calibration, evaluation and attacks treat ASNet,
the baselines and imported models alike.

    model(wave [B, N] in [-1, 1], lengths=None) -> an output with at least
        logits  [B, 2]  index 1 = bona fide
        score   [B]     logits[:, 1] - logits[:, 0]: higher = bona fide (fixed by the model)
        energy  [B]     free energy -T logsumexp(logits / T): higher = less familiar (OOD score)
        abstain [B]     abstention logit: higher = more likely wrong (abstain when > tau)
        gate    [B, 2] or None   fusion weights (ASNet only)

A model without an abstention head (every baseline) abstains by the maximum-softmax-probability
rule (Geifman & El-Yaniv, 2017): abstain = -|score|, the least confident clips first. Its tau is
fitted on dev exactly as ASNet's is.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

BONAFIDE = 1  # index of the bona fide logit


def free_energy(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """E = -T logsumexp(logits / T) over the last dim (Liu et al., 2020): higher = less familiar."""
    return -temperature * torch.logsumexp(logits.float() / temperature, dim=-1)


@dataclass
class DetectorOutput:
    logits: torch.Tensor
    score: torch.Tensor
    energy: torch.Tensor
    abstain: torch.Tensor
    gate: torch.Tensor | None = None


def detector_output(logits: torch.Tensor, energy_temperature: float = 1.0) -> DetectorOutput:
    """The output of a plain two-logit classifier (index 1 = bona fide)."""
    logits = logits.float()
    score = logits[:, BONAFIDE] - logits[:, 1 - BONAFIDE]
    return DetectorOutput(logits=logits, score=score, energy=free_energy(logits, energy_temperature),
                          abstain=-score.abs())
