"""Tiny detectors, clips and settings for the attack tests (imported by name: a module name no
other test folder uses, unlike conftest).

ToneDetector is linear: score = gain x 2 mean(x w) with w a 1 kHz sine, so a clip a sin(w) scores
gain x a and an L∞ perturbation eps moves the score by at most about 1.27 gain eps; clips at
graded amplitudes therefore fall to PGD one budget after the other. Its energy rises with the
score (energy = score - 1: very bona-fide-looking clips are "unfamiliar") and it abstains by the
baselines' rule (-|score|), so both defences can catch a plain attack on a spoof clip.
"""
from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import torch

from asnet.attacks.config import AttackConfig
from asnet.attacks.eot import EOT
from asnet.attacks.runner import Runner
from asnet.attacks.subset import Subset
from asnet.attacks.suite import plan, read_config
from asnet.attacks.target import AttackTarget, OperatingPoint
from asnet.models.output import DetectorOutput
from asnet.utils import load_params

PARAMS = load_params(Path(__file__).parents[2] / "params.yaml")
SAMPLES = 800  # 50 ms clips
TONE_HZ = 1000.0
ALL_ATTACKS = ["pgd_linf", "pgd_linf_naive", "pgd_l2", "noise_linf", "cw_l2", "apgd_ce", "apgd_dlr", "fab_linf",
               "square_linf", "adaptive_linf", "pgd_linf_unbounded", "pgd_linf_more_steps", "pgd_linf_more_restarts"]

ATTACK_SECTION = {
    "seed": 0, "clips": 8, "clip_seconds": SAMPLES / 16000, "batch_size": 4,
    "linf_eps": [0.001, 0.004, 0.016], "l2_snr_db": [50.0, 35.0],
    "pgd": {"steps": 5, "restarts": 1, "step_fraction": 0.3},
    "apgd": {"steps": 5, "restarts": 1, "rho": 0.75},
    "cw": {"c": 10.0, "kappa": 0.0, "steps": 20, "lr": 0.002},
    "fab": {"steps": 5, "restarts": 1, "alpha_max": 0.1, "eta": 1.05, "beta": 0.9},
    "square": {"queries": 20, "p_init": 0.3},
    "adaptive": {"steps": 5, "restarts": 1, "margin": 0.05, "energy_weight": 1.0, "abstain_weight": 1.0},
    "eot": {"samples": 1, "transforms": {}},
    "sanity": {"reference_eps": 0.004, "unbounded_steps": 5, "unbounded_success": 0.99, "more_steps_factor": 2,
               "more_restarts": 2, "noise_ratio": 0.5, "blackbox_margin": 0.1, "tolerance_clips": 1},
    "suites": {"grid": ["pgd_linf", "noise_linf", "pgd_linf_unbounded", "pgd_linf_more_steps", "pgd_linf_more_restarts"],
               "full": ALL_ATTACKS},
    "suite_subsets": {},
}


def attack_params(**changes) -> dict:
    """params.yaml with the test attack section; `changes` replace its top-level keys."""
    params = copy.deepcopy(PARAMS)
    params["attack"] = {**copy.deepcopy(ATTACK_SECTION), **changes}
    return params


def attack_config(**changes) -> AttackConfig:
    return read_config(attack_params(**changes))


def tone(n: int = SAMPLES) -> torch.Tensor:
    return torch.sin(2 * torch.pi * TONE_HZ * torch.arange(n) / 16000)


class ToneDetector(torch.nn.Module):
    def __init__(self, gain: float = 100.0):
        super().__init__()
        self.gain = torch.nn.Parameter(torch.tensor(gain))

    def forward(self, wave, lengths=None):
        score = self.gain * 2 * (wave * tone(wave.shape[-1]).to(wave)).mean(-1)
        logits = torch.stack([-score / 2, score / 2], dim=-1)
        return DetectorOutput(logits=logits, score=score, energy=score - 1.0, abstain=-score.abs())


class MaskedDetector(torch.nn.Module):
    """Gradient masking by construction: the decision reads the clip's mean (DC) through a
    detach, so every input gradient is exactly zero, but a random search finds the flips."""

    def __init__(self):
        super().__init__()
        self.gain = torch.nn.Parameter(torch.tensor(100.0))

    def forward(self, wave, lengths=None):
        score = self.gain * wave.detach().mean(-1) + 0.0 * wave.sum(-1)
        logits = torch.stack([-score / 2, score / 2], dim=-1)
        return DetectorOutput(logits=logits, score=score, energy=-score.abs(), abstain=-score.abs())


def tone_subset(amplitudes=(0.002, 0.004, 0.006, 0.008), seed: int = 0, dc: float = 0.0) -> Subset:
    """Bona fide = +a sin, spoof = -a sin (score +-100 a) over a loud 3 kHz background (orthogonal
    to the 1 kHz tone over 50 ms, so the SNRs are speech-like), a little noise and an optional DC
    offset (+dc for bona fide, -dc for spoofs) for MaskedDetector."""
    rng = np.random.default_rng(seed)
    background = 0.3 * np.sin(2 * np.pi * 3 * TONE_HZ * np.arange(SAMPLES) / 16000)
    waves, labels = [], []
    for a in amplitudes:
        for label in (1, 0):
            sign = 1.0 if label else -1.0
            noise = 0.0005 * rng.standard_normal(SAMPLES)
            waves.append(background + sign * (a * tone().numpy() + dc) + noise)
            labels.append(label)
    n = len(waves)
    return Subset([f"utt{i}" for i in range(n)], ["bonafide" if y else "tts" for y in labels],
                  np.array(labels, dtype=np.int64), np.stack(waves).astype(np.float32))


TONE_POINT = OperatingPoint(threshold=0.0, ood_threshold=0.0, abstain_threshold=-0.05, temperature=1.0)


def tone_target(point: OperatingPoint = TONE_POINT) -> AttackTarget:
    return AttackTarget(ToneDetector(), point, EOT([], 1))


class ConstantDetector(torch.nn.Module):
    """A decision that does not depend on the input at all (zero gradient, nothing to find)."""

    def __init__(self):
        super().__init__()
        self.bias = torch.nn.Parameter(torch.tensor(1.0))

    def forward(self, wave, lengths=None):
        score = self.bias + 0.0 * wave.sum(-1)
        return DetectorOutput(logits=torch.stack([-score / 2, score / 2], -1), score=score, energy=-score.abs(),
                              abstain=-score.abs())


def rail_subset() -> Subset:
    """tone_subset with stretches of clips 0 and 1 at +1 and -1: no attack may leave [-1, 1]."""
    subset = tone_subset()
    subset.waves[0, :40] = 1.0
    subset.waves[1, :40] = -1.0
    return subset


class RecordingRunner(Runner):
    """A Runner that keeps what every attack found: {attack: {budget: (waves, queries)}}."""

    def attack(self, job):
        found, wall = super().attack(job)
        self.found = {**getattr(self, "found", {}), job.attack: found}
        return found, wall


def run_suite(out, suite: str = "full", target: AttackTarget | None = None, subset: Subset | None = None,
              config: AttackConfig | None = None, runner=Runner):
    config = config or attack_config()
    runner = runner(target or tone_target(), subset or tone_subset(), config, {"checkpoint": "toy"}, out,
                    torch.device("cpu"))
    return runner, runner.run(plan(config, suite), suite)
