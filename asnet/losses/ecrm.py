"""ECRM: Energy-Calibrated Robust Matching, our definition (the paper names ECRM but never defines it).

For a clean batch x with adversarial copies x' (PGD-k L∞ on the waveform, adv stage):

    w_i      = sigmoid((tau - E(x_i)) / T_e)                   clean energy confidence, no gradient
    L_kl     = mean_i  w_i · KL(p(x_i) || p(x'_i))              TRADES-style matching, clean side not detached
    L_hinge  = mean_i  relu(E(x_i) - E(x'_i))                   clean energy detached
    L_cmra   = CMRA(h_s(x'), h_p(x'))                           the CMRA corridor on the adversarial pair
    ECRM     = λ_kl·L_kl + λ_hinge·L_hinge + λ_cmra·L_cmra      (weights in params train.adv)

- w_i: samples the model finds familiar (energy below the anchor tau) must keep their prediction
  under attack; unfamiliar ones (energy above tau) are left to the energy score / abstention
  rather than forced to agree. tau = (m_in + m_out) / 2, half-way between the energy stage's
  in-distribution and pseudo-outlier margins, and T_e is a temperature (params train.adv), so
  w = 1/2 exactly at E = tau, w -> 1 for in-distribution energies and w -> 0 for outlier ones.
- L_hinge: an attack must not make a sample look more familiar than its clean version (lower
  energy); only the adversarial energy is pushed up, never the clean one down.
- L_cmra: the spectral and prosodic views must stay in their agreement corridor under attack.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from asnet.losses.consistency import kl_per_sample


def ecrm_weight(energy_clean: torch.Tensor, tau: float, temperature: float) -> torch.Tensor:
    """w = sigmoid((tau - E(x)) / T_e), detached: [B]."""
    return torch.sigmoid((tau - energy_clean.detach().float()) / temperature)


def ecrm_losses(clean, adversarial, tau: float, temperature: float, cmra: Callable | None) -> dict[str, torch.Tensor]:
    """The three ECRM terms, unweighted: {"ecrm_kl", "ecrm_hinge", "ecrm_cmra"}.

    `clean` and `adversarial` are model outputs (logits, energy, proj_spec, proj_pros);
    `cmra(proj_spec, proj_pros)` is the model's CMRA corridor with its configured margins, or
    None for a model with one view (then there is no "ecrm_cmra" term).
    """
    weight = ecrm_weight(clean.energy, tau, temperature)
    terms = {
        "ecrm_kl": (weight * kl_per_sample(clean.logits, adversarial.logits)).mean(),
        "ecrm_hinge": F.relu(clean.energy.detach().float() - adversarial.energy.float()).mean(),
    }
    if cmra is not None:
        terms["ecrm_cmra"] = cmra(adversarial.proj_spec, adversarial.proj_pros)
    return terms
