"""Random noise of the same L∞ norm as the attack: independent ±eps signs per sample, the corner
of the eps-box PGD usually ends in. It is the control of the "random noise is far weaker than
PGD" sanity check: if a gradient-free random perturbation of the same size succeeds about as
often, the gradient attack is not using its gradient (masking, or a broken attack)."""
from __future__ import annotations

import numpy as np
import torch

from asnet.attacks import norms


def sign_noise(clean: torch.Tensor, eps: float, rng: np.random.Generator) -> torch.Tensor:
    signs = torch.from_numpy(rng.choice([-1.0, 1.0], size=tuple(clean.shape)).astype(np.float32)).to(clean)
    return norms.project(clean + eps * signs, clean, "linf", torch.full((len(clean),), float(eps), device=clean.device))
