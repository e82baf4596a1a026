"""Straight-through (BPDA) surrogates for operations without a useful gradient.

Convention: the forward value is bit-exact the hard operation's (x + (s - s) adds an exact zero);
the backward pass is the gradient of a smooth surrogate `s`. Attacks and training therefore see
the deployed features while still receiving a gradient (Athalye et al., 2018, "BPDA").
"""
from __future__ import annotations

import torch


def needs_grad(x: torch.Tensor) -> bool:
    """Whether a surrogate for x's consumer is needed at all (not under no_grad/inference_mode)."""
    return torch.is_grad_enabled() and x.requires_grad


def straight_through(exact: torch.Tensor, surrogate: torch.Tensor) -> torch.Tensor:
    """`exact` in the forward pass, d(surrogate) in the backward pass."""
    return exact.detach() + (surrogate - surrogate.detach())
