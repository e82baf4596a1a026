"""What an attacker faces: the deployed pipeline and its decision rule, read from the checkpoint.

    wave [B, N] in [-1, 1] -> detector (front-end with its BPDA surrogates, model in eval mode)
        -> score, energy E(x), abstention logit a(x)
    decision   bona fide iff score > eer_threshold (the dev-fitted operating point)
    abstains   iff a(x) > abstain_threshold (tau)
    flags OOD  iff E(x) > ood_threshold

Attacks see the decision as two logits (-m/2, m/2) with m = score - eer_threshold: their argmax
is the deployed decision (a tie, m = 0, gives index 0 = spoof, as the rule does), so "success" for
any attack, ours or torchattacks', means the deployed decision flipped. Any detector following
asnet.models.output works: ASNet and the baselines (abstain = -|score| there).

torchattacks only knows images in [0, 1] and clamps there silently, which would zero every
negative sample of a waveform. `UnitInterval` gives it the affine view u = (wave + 1) / 2 of
shape [B, 1, 1, N] and maps back with wave = 2u - 1 inside the forward pass, so its clamp to
[0, 1] is exactly the waveform's own range [-1, 1]; an L∞ budget eps on the waveform is eps / 2
on u.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from asnet.attacks.eot import EOT
from asnet.eval.decision import decision_threshold

# torchattacks' DLR loss reads the third-largest logit; two constant logits far below any real
# one make it defined for a two-class decision without ever being the argmax.
DUMMY_LOGIT = -1.0e3


@dataclass(frozen=True)
class OperatingPoint:
    """The dev-fitted thresholds of a checkpoint (asnet.eval.calibrate)."""

    threshold: float  # eer_threshold on the score
    ood_threshold: float
    abstain_threshold: float | None  # None: the checkpoint never fitted one, nothing is abstained on
    temperature: float

    @classmethod
    def from_meta(cls, meta: dict) -> "OperatingPoint":
        missing = [k for k in ("eer_threshold", "ood_threshold") if meta.get(k) is None]
        if missing:
            raise ValueError(f"checkpoint has no {' or '.join(missing)}: calibrate it on dev first")
        tau = meta.get("abstain_threshold")
        return cls(decision_threshold(meta), float(meta["ood_threshold"]),
                   None if tau is None else float(tau), float(meta.get("temperature", 1.0)))


@dataclass
class Outputs:
    """The three outputs the deployed rule reads, [B] each."""

    score: torch.Tensor
    energy: torch.Tensor
    abstain: torch.Tensor


def correct(margin: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Whether the decision (bona fide iff margin > 0) matches the label (1 = bona fide)."""
    return (margin > 0) == (labels == 1)


def correct_margin(margin: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """How far the decision is on the right side: > 0 correct; <= 0 wrong, except that a spoof at
    exactly 0 is still (just) rejected."""
    return torch.where(labels == 1, margin, -margin)


class AttackTarget(nn.Module):
    """The detector as deployed, plus the expectation over its random parts the attacker optimises.

    The wrapped model is in eval mode for good (`train()` is refused, since torchattacks "restores"
    the training mode of the module it was given, and a new module starts in training mode: the
    detector would then run with batch statistics and dropout, and update its BatchNorm buffers),
    and its parameters stop requiring gradients: only the input is attacked, and backward passes
    skip the weight gradients.
    """

    def __init__(self, model: nn.Module, point: OperatingPoint, eot: EOT | None = None):
        super().__init__()
        self.model = model.requires_grad_(False)
        self.point = point
        self.eot = eot or EOT([], 1)
        self.train(False)

    def train(self, mode: bool = True) -> "AttackTarget":
        return super().train(False)

    def deployed(self, wave: torch.Tensor) -> Outputs:
        """The deployed pipeline's outputs: no random parts, exactly what a user is served."""
        out = self.model(wave)
        return Outputs(out.score.float(), out.energy.float(), out.abstain.float())

    def expected(self, wave: torch.Tensor) -> Outputs:
        """What the attacker optimises: the mean outputs over eot.samples draws of the random
        transforms (EOT); the deployed outputs when there is nothing random."""
        if not self.eot.random:
            return self.deployed(wave)
        draws = [self.deployed(self.eot(wave)) for _ in range(self.eot.samples)]
        return Outputs(*(torch.stack([getattr(d, name) for d in draws]).mean(0) for name in ("score", "energy", "abstain")))

    def margin(self, outputs: Outputs) -> torch.Tensor:
        return outputs.score - self.point.threshold

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        """Decision logits [B, 2] (index 1 = bona fide) of the expected outputs."""
        half = self.margin(self.expected(wave)) / 2
        return torch.stack([-half, half], dim=-1)


class UnitInterval(nn.Module):
    """torchattacks' view of a target: u [B, 1, 1, N] in [0, 1] -> decision logits of 2u - 1,
    with `dummies` constant logits appended (for the DLR loss)."""

    def __init__(self, target: AttackTarget, dummies: int = 0):
        super().__init__()
        self.target = target
        self.dummies = dummies

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        logits = self.target(from_unit(u))
        if self.dummies:
            logits = torch.cat([logits, logits.new_full((len(logits), self.dummies), DUMMY_LOGIT)], dim=-1)
        return logits


def to_unit(wave: torch.Tensor) -> torch.Tensor:
    """[B, N] in [-1, 1] -> [B, 1, 1, N] in [0, 1]."""
    return ((wave + 1) / 2).reshape(len(wave), 1, 1, -1)


def from_unit(u: torch.Tensor) -> torch.Tensor:
    """[B, 1, 1, N] in [0, 1] -> [B, N] in [-1, 1]."""
    return (2 * u - 1).reshape(len(u), -1)
