"""Square Attack under L∞ (Andriushchenko et al., 2020), the score-based black-box member of
AutoAttack, for 1-D waveforms: it only queries the decision, never a gradient.

It starts from a random ±eps sign perturbation (the paper's "vertical stripes", which on a
one-row signal are independent signs per sample). Each query redraws one window of each clip
still decided correctly to a constant +eps or -eps, keeps it when the margin of the correct
decision shrinks (or the decision flips), and stops per clip at the first flip. The window holds
a fraction p of the clip's samples; p starts at p_init and halves on the paper's schedule
(iterations 10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000 of 10,000, rescaled to the query
budget).

Why our own instead of torchattacks.Square: that one sizes a square's side as sqrt(p x pixels),
so on a 1 x N "image" each window covers sqrt(p / N) of the clip instead of p (113 samples of
16,000 at p = 0.8): the search would barely move.
"""
from __future__ import annotations

import numpy as np
import torch

from asnet.attacks import norms
from asnet.attacks.target import AttackTarget, correct, correct_margin

SCHEDULE = (10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000)  # p halves after each (of 10,000 queries)


def window_fraction(query: int, budget: int, p_init: float) -> float:
    rescaled = int(query / budget * 10000)
    return p_init / 2 ** sum(rescaled > point for point in SCHEDULE)


def _margins(target: AttackTarget, wave: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    with torch.no_grad():
        margin = target.margin(target.expected(wave))
    return correct_margin(margin, labels), correct(margin, labels)


def square_linf(target: AttackTarget, clean: torch.Tensor, labels: torch.Tensor, eps: float, queries: int,
                p_init: float, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(adversarial waves, queries used per clip) within eps of `clean`, in [-1, 1]."""
    n, length = clean.shape
    radius = torch.full((n,), float(eps), device=clean.device)
    signs = torch.from_numpy(rng.choice([-1.0, 1.0], size=(n, length)).astype(np.float32)).to(clean)
    best = norms.project(clean + eps * signs, clean, "linf", radius)
    best_margin, still_correct = _margins(target, best, labels)
    used = torch.ones(n, dtype=torch.long, device=clean.device)
    for query in range(1, queries):
        active = still_correct.nonzero().flatten()
        if len(active) == 0:
            break
        size = max(1, min(length, round(window_fraction(query, queries, p_init) * length)))
        starts = rng.integers(0, length - size + 1, size=len(active))
        window_sign = torch.from_numpy(rng.choice([-1.0, 1.0], size=len(active)).astype(np.float32)).to(clean)
        candidate = best[active].clone()
        for row, (start, sign) in enumerate(zip(starts, window_sign)):
            candidate[row, start : start + size] = clean[active[row], start : start + size] + sign * eps
        candidate = norms.project(candidate, clean[active], "linf", radius[active])
        margin, now_correct = _margins(target, candidate, labels[active])
        keep = (margin < best_margin[active]) | ~now_correct
        best[active[keep]] = candidate[keep]
        best_margin[active[keep]] = margin[keep]
        still_correct[active[keep]] = now_correct[keep]
        used[active] += 1
    return best, used
