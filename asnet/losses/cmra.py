"""CMRA: Cross-Modal Robustness Alignment between the spectral and prosodic views (ARCHITECTURE §4).

On the projections h_s(z_spec), h_p(z_pros) [B, p], with s = cos(h_s, h_p) per sample:

    corridor   mean[ relu(m_lo - s) + relu(s - m_hi) ]   views may neither drift apart (s < m_lo)
                                                        nor collapse into one (s > m_hi); m_hi as given
    relaxed    the corridor with m_hi = 0.95
    tight      the corridor with m_hi = 0.60
    l2         mean || n_s - n_p ||^2 of the unit-normalised projections (= 2 - 2 s): plain alignment
    off        0

Computed in float32 (the projections may come from a bf16 autocast region).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

FIXED_UPPER_MARGIN = {"relaxed": 0.95, "tight": 0.60}
VARIANTS = ("corridor", "relaxed", "tight", "l2", "off")


def cmra_loss(proj_spec: torch.Tensor, proj_pros: torch.Tensor, variant: str, m_lo: float, m_hi: float,
              reduction: str = "mean") -> torch.Tensor:
    """Scalar loss (reduction "mean") or per-sample losses [B] (reduction "none").

    m_hi is the upper margin of the `corridor` variant; `relaxed` and `tight` fix theirs.
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown CMRA variant {variant!r}; expected one of {VARIANTS}")
    spec, pros = F.normalize(proj_spec.float(), dim=-1), F.normalize(proj_pros.float(), dim=-1)
    cosine = (spec * pros).sum(-1)
    if variant == "off":
        per_sample = torch.zeros_like(cosine)
    elif variant == "l2":
        per_sample = (spec - pros).pow(2).sum(-1)
    else:
        upper = FIXED_UPPER_MARGIN.get(variant, m_hi)
        per_sample = F.relu(m_lo - cosine) + F.relu(cosine - upper)
    return per_sample.mean() if reduction == "mean" else per_sample
