"""Consistency losses between a clean input and a shifted (or attacked) copy of it.

Used by the ood stage (clean vs training-time channel shift) and by ECRM (clean vs PGD).
Every function returns a batch mean; `kl_per_sample` keeps the batch dimension for weighting.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def kl_per_sample(logits_p: torch.Tensor, logits_q: torch.Tensor) -> torch.Tensor:
    """KL(softmax(p) || softmax(q)) for each row: [B]."""
    log_p = F.log_softmax(logits_p.float(), dim=-1)
    log_q = F.log_softmax(logits_q.float(), dim=-1)
    return (log_p.exp() * (log_p - log_q)).sum(dim=-1)


def prediction_kl(logits_clean: torch.Tensor, logits_shifted: torch.Tensor) -> torch.Tensor:
    """KL(clean || shifted) with the clean prediction as a fixed target (detached), so the
    shifted view is pulled toward the clean one and never the other way round."""
    return kl_per_sample(logits_clean.detach(), logits_shifted).mean()


def embedding_cosine(z_clean: torch.Tensor, z_shifted: torch.Tensor) -> torch.Tensor:
    """Mean 1 - cos(z_clean, z_shifted), clean embedding detached."""
    return (1.0 - F.cosine_similarity(z_clean.detach().float(), z_shifted.float(), dim=-1)).mean()


def energy_agreement(energy_clean: torch.Tensor, energy_shifted: torch.Tensor) -> torch.Tensor:
    """Mean squared gap between the shifted and the (detached) clean free energy."""
    return (energy_shifted.float() - energy_clean.detach().float()).pow(2).mean()
