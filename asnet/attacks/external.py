"""torchattacks' CW-L2, APGD and FAB on the deployed decision, in a two-class-safe configuration.

Every call goes through asnet.attacks.target.UnitInterval (u = (wave + 1) / 2, shape [B, 1, 1, N]),
so torchattacks' silent clamp to [0, 1] is the waveform's range and no negative sample is
clipped; budgets are halved on the way in. What comes back is mapped to the waveform and
projected once more onto the budget, which only removes the float rounding of the round trip.

- APGD-CE: cross-entropy on the two decision logits.
- APGD-DLR: the DLR loss reads the third-largest logit, so two constant dummy logits (far below
  any real one, never the argmax) are appended; the loss is then the decision margin over a
  near-constant scale, which APGD's adaptive step size does not mind.
- FAB (untargeted, 2 classes): a minimum-norm attack; run once at the largest budget, it is
  evaluated at each smaller one by the norm of what it found.
- CW-L2: minimum-norm too (no budget), evaluated at each SNR budget the same way. It optimises
  in tanh space, which under the affine view is wave = tanh(w): every waveform in (-1, 1) is
  reachable and nothing is clipped.
APGD and FAB keep the clean clip where they find nothing, as AutoAttack does.
"""
from __future__ import annotations

import torch

from asnet.attacks import norms
from asnet.attacks.target import AttackTarget, UnitInterval, from_unit, to_unit

DLR_DUMMIES = 2


ROUNDING = 1e-6  # changes below this are float rounding (of the affine map, of CW's tanh), 30x under an int16 step


def to_wave(adversarial_u: torch.Tensor, clean: torch.Tensor) -> torch.Tensor:
    """Back to the waveform; samples moved by less than ROUNDING are the clean ones exactly (the
    round trip alone would move every sample a little and fake a 100+ dB perturbation)."""
    wave = from_unit(adversarial_u).clamp(-1.0, 1.0)
    return torch.where((wave - clean).abs() < ROUNDING, clean, wave)


def _linf_ball(adversarial_u: torch.Tensor, clean: torch.Tensor, eps: float) -> torch.Tensor:
    radius = torch.full((len(clean),), float(eps), device=clean.device)
    return norms.project(to_wave(adversarial_u, clean), clean, "linf", radius)


def apgd(target: AttackTarget, clean: torch.Tensor, labels: torch.Tensor, eps: float, loss: str,
         steps: int, restarts: int, rho: float, seed: int) -> torch.Tensor:
    import torchattacks

    view = UnitInterval(target, DLR_DUMMIES if loss == "dlr" else 0)
    attack = torchattacks.APGD(view, norm="Linf", eps=eps / 2, steps=steps, n_restarts=restarts, seed=seed,
                               loss=loss, eot_iter=1, rho=rho)
    return _linf_ball(attack(to_unit(clean), labels), clean, eps)


def fab_linf(target: AttackTarget, clean: torch.Tensor, labels: torch.Tensor, eps: float, steps: int,
             restarts: int, alpha_max: float, eta: float, beta: float, seed: int) -> torch.Tensor:
    import torchattacks

    attack = torchattacks.FAB(UnitInterval(target), norm="Linf", eps=eps / 2, steps=steps, n_restarts=restarts,
                              alpha_max=alpha_max, eta=eta, beta=beta, seed=seed, n_classes=2)
    return _linf_ball(attack(to_unit(clean), labels), clean, eps)


def cw_l2(target: AttackTarget, clean: torch.Tensor, labels: torch.Tensor, c: float, kappa: float,
          steps: int, lr: float) -> torch.Tensor:
    import torchattacks

    attack = torchattacks.CW(UnitInterval(target), c=c, kappa=kappa, steps=steps, lr=lr)
    return to_wave(attack(to_unit(clean), labels), clean)
