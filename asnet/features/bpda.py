"""Straight-through (BPDA) surrogates for operations without a useful gradient.

Convention: the forward value is bit-exact the hard operation's (x + (s - s) adds an exact zero);
the backward pass is the gradient of a smooth surrogate `s`. Attacks and training therefore see
the deployed features while still receiving a gradient (Athalye et al., 2018, "BPDA").

`surrogates(False)` turns every surrogate off for the duration of a `with` block: the backward
pass is then plain autograd through the hard operations (zero gradient through the F0 lag argmin
and the ZCR sign changes). The attack benchmark's naive-gradient attack runs under it, to show
whether the surrogates matter.
"""
from __future__ import annotations

import contextlib
from typing import Iterator

import torch

_ENABLED = [True]


@contextlib.contextmanager
def surrogates(enabled: bool) -> Iterator[None]:
    """Switch the BPDA surrogates on or off inside the block (restored afterwards)."""
    before = _ENABLED[0]
    _ENABLED[0] = enabled
    try:
        yield
    finally:
        _ENABLED[0] = before


def needs_grad(x: torch.Tensor) -> bool:
    """Whether a surrogate for x's consumer is needed at all: gradients are being recorded and
    the surrogates are on (off, the hard operation's own autograd is used)."""
    return _ENABLED[0] and torch.is_grad_enabled() and x.requires_grad


def straight_through(exact: torch.Tensor, surrogate: torch.Tensor) -> torch.Tensor:
    """`exact` in the forward pass, d(surrogate) in the backward pass."""
    return exact.detach() + (surrogate - surrogate.detach())
