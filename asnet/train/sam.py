"""Sharpness-aware minimisation (Foret et al., 2021), one optimizer step at a time.

The step, with w the weights and L the FULL stage objective (every loss term, both passes):

    1. g  = ∇L(w)                                   (the logged loss is L(w))
    2. e  = rho · g / ||g||₂                         (global norm over all trainable weights)
    3. g' = ∇L(w + e)    with BatchNorm running statistics (all buffers) left as they were
    4. w is restored bit for bit from a saved copy   (not w + e - e, which rounds)
    5. clip g', then the base optimizer (AdamW) steps from w with g'

The caller's `compute_loss()` must rebuild the whole objective from the SAME inputs on both
passes (pseudo-outliers, shifted copies and adversarial waves are drawn once per step).
"""
from __future__ import annotations

import contextlib
from typing import Callable, Iterator

import torch


@contextlib.contextmanager
def preserved_buffers(model: torch.nn.Module) -> Iterator[None]:
    """Restore every buffer (BatchNorm running mean/var, num_batches_tracked) on exit."""
    saved = [(b, b.detach().clone()) for b in model.buffers()]
    try:
        yield
    finally:
        with torch.no_grad():
            for buffer, value in saved:
                buffer.copy_(value)


def _global_grad_norm(params: list[torch.Tensor]) -> torch.Tensor:
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad.float()) for p in params]))


def sam_step(
    model: torch.nn.Module,
    compute_loss: Callable[[], tuple[torch.Tensor, dict]],
    optimizer: torch.optim.Optimizer,
    rho: float,
    grad_clip: float,
    after_backward: Callable[[], None] = lambda: None,
) -> tuple[torch.Tensor, dict, torch.Tensor]:
    """One SAM update. Returns (loss at w, its parts, loss at w + e); all detached.
    `after_backward` runs after each of the two backward passes (data-parallel gradient averaging)."""
    optimizer.zero_grad(set_to_none=True)
    loss, parts = compute_loss()
    loss.backward()
    after_backward()
    params = [p for p in model.parameters() if p.grad is not None]
    originals = [p.detach().clone() for p in params]
    with torch.no_grad():
        scale = rho / (_global_grad_norm(params) + 1e-12)
        for p in params:
            p.add_(p.grad, alpha=float(scale))
    optimizer.zero_grad(set_to_none=True)
    with preserved_buffers(model):
        perturbed_loss, _ = compute_loss()
        perturbed_loss.backward()
        after_backward()
    with torch.no_grad():
        for p, original in zip(params, originals):
            p.copy_(original)
    torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()
    return loss.detach(), parts, perturbed_loss.detach()
