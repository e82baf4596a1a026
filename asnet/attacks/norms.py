"""Perturbation budgets in waveform units on [-1, 1], projections onto them, and the SNR.

An L∞ budget eps bounds every sample's change; an L2 budget is set per clip by an SNR:
||delta||_2 = ||x||_2 10^(-SNR / 20), so a louder clip may carry a larger perturbation at the
same audibility. The feasible set is always the budget ball intersected with [-1, 1]: after an
L2 projection the clamp to [-1, 1] only shrinks each sample's change (x itself lies in the
range), so the budget still holds, up to float32 rounding of x + delta (one ulp of the sample,
about 1e-5 of a 0.004 budget and a thousandth of an int16 step).
"""
from __future__ import annotations

import torch

NORMS = ("linf", "l2")


def linf(delta: torch.Tensor) -> torch.Tensor:
    return delta.abs().amax(dim=-1)


def l2(delta: torch.Tensor) -> torch.Tensor:
    return delta.norm(dim=-1)


def norm(delta: torch.Tensor, kind: str) -> torch.Tensor:
    return linf(delta) if kind == "linf" else l2(delta)


def snr_db(clean: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    """20 log10(||x|| / ||delta||) per clip (inf for an unchanged clip)."""
    return 20 * torch.log10(l2(clean) / l2(delta))


def l2_radius(clean: torch.Tensor, snr: float) -> torch.Tensor:
    """The per-clip L2 budget of an SNR in dB."""
    return l2(clean) * 10 ** (-snr / 20)


def radius(clean: torch.Tensor, kind: str, budget: float) -> torch.Tensor:
    """[B] budget per clip: eps for L∞, the SNR's radius for L2."""
    if kind == "linf":
        return torch.full((len(clean),), float(budget), device=clean.device)
    return l2_radius(clean, budget)


def project(candidate: torch.Tensor, clean: torch.Tensor, kind: str, radius_: torch.Tensor) -> torch.Tensor:
    """The nearest point of the budget ball around `clean` (then clamped to [-1, 1])."""
    delta = candidate - clean
    r = radius_.unsqueeze(-1)
    if kind == "linf":
        delta = torch.maximum(torch.minimum(delta, r), -r)
    else:
        delta = delta * torch.clamp(r / l2(delta).unsqueeze(-1).clamp_min(1e-30), max=1.0)
    return (clean + delta).clamp(-1.0, 1.0)


def within(candidate: torch.Tensor, clean: torch.Tensor, kind: str, radius_: torch.Tensor,
           rtol: float = 1e-5) -> torch.Tensor:
    """[B] bool: the perturbation fits the budget up to float rounding (of an affine round trip)."""
    return norm(candidate - clean, kind) <= radius_ * (1 + rtol) + 1e-7
