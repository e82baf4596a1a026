"""Every attack `asnet attack` can run, by name, and the plan of a suite.

name                      norm  budgets            what it is
pgd_linf                  L∞    attack.linf_eps    PGD on the deployed decision, BPDA surrogates on
pgd_linf_naive            L∞    attack.linf_eps    the same with the surrogates off (plain autograd
                                                   through the hard argmin / sign): do they matter?
pgd_l2                    L2    attack.l2_snr_db   PGD, per-clip radius from the SNR
noise_linf                L∞    attack.linf_eps    random ±eps signs (control of the noise check)
cw_l2                     L2    attack.l2_snr_db   torchattacks CW (minimum norm; one run)
apgd_ce, apgd_dlr         L∞    attack.linf_eps    torchattacks APGD, CE / DLR (dummy logits)
fab_linf                  L∞    attack.linf_eps    torchattacks FAB (minimum norm; one run at max eps)
square_linf               L∞    attack.linf_eps    black-box Square, query budget attack.square
adaptive_linf             L∞    attack.linf_eps    PGD that must also pass abstention and OOD flag
pgd_linf_unbounded        L∞    eps = 1            sanity: PGD with the whole range as budget, reached
                                                   by doubling eps from reference_eps (pgd_ladder)
pgd_linf_more_steps       L∞    reference_eps      sanity: PGD with more_steps_factor x steps
pgd_linf_more_restarts    L∞    reference_eps      sanity: PGD with more_restarts restarts

A suite (attack.suites.<name>) is a list of these names; each one is a Job, run once over the
subset in batches of attack.batch_size, giving one result per budget. A suite listed in
attack.suite_subsets runs on its own subset size and L∞ budgets (AttackConfig.for_suite). Every attack returns
perturbations within its budget and waveforms within [-1, 1].
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from asnet.attacks import norms
from asnet.attacks.adaptive import AdaptiveObjective
from asnet.attacks.config import AttackConfig, ConfigError
from asnet.attacks.external import apgd, cw_l2, fab_linf  # torchattacks itself is imported only when one runs
from asnet.attacks.noise import sign_noise
from asnet.attacks.pgd import flip, pgd, pgd_ladder
from asnet.attacks.square import square_linf
from asnet.attacks.target import AttackTarget

UNBOUNDED_EPS = 1.0  # the whole waveform range: any clip can become any other


@dataclass
class Batch:
    target: AttackTarget
    clean: torch.Tensor  # [B, N]
    labels: torch.Tensor  # [B]
    budgets: tuple[float, ...]
    settings: dict
    seed: int  # for torchattacks, which reseeds torch's global generator itself
    rng: np.random.Generator  # for noise, Square and EOT


Found = dict[float, tuple[torch.Tensor, torch.Tensor | None]]  # budget -> (adversarial waves, queries per clip)


def within_or_clean(adversarial: torch.Tensor, clean: torch.Tensor, kind: str, radius: torch.Tensor) -> torch.Tensor:
    """A minimum-norm attack's finding where it fits the budget (projected, which only removes
    rounding), the clean clip where it does not."""
    fits = norms.within(adversarial, clean, kind, radius).unsqueeze(-1)
    return torch.where(fits, norms.project(adversarial, clean, kind, radius), clean)


def _pgd(kind: str, objective_from: Callable[[dict], object] | None = None) -> Callable[[Batch], Found]:
    def run(b: Batch) -> Found:
        s = b.settings
        objective = objective_from(s) if objective_from else flip
        return {budget: (pgd(b.target, b.clean, b.labels, kind, norms.radius(b.clean, kind, budget), s["steps"],
                             s["restarts"], s["step_fraction"], objective), None) for budget in b.budgets}
    return run


def _ladder(b: Batch) -> Found:
    s = b.settings
    return {eps: (pgd_ladder(b.target, b.clean, b.labels, s["start_eps"], eps, s["steps"], s["restarts"],
                             s["step_fraction"]), None) for eps in b.budgets}


def _adaptive_objective(s: dict):
    return AdaptiveObjective(s["margin"], s["energy_weight"], s["abstain_weight"])


def _noise(b: Batch) -> Found:
    return {eps: (sign_noise(b.clean, eps, b.rng), None) for eps in b.budgets}


def _apgd(loss: str) -> Callable[[Batch], Found]:
    def run(b: Batch) -> Found:
        s = b.settings
        return {eps: (apgd(b.target, b.clean, b.labels, eps, loss, s["steps"], s["restarts"], s["rho"], b.seed), None)
                for eps in b.budgets}
    return run


def _square(b: Batch) -> Found:
    s = b.settings
    return {eps: square_linf(b.target, b.clean, b.labels, eps, s["queries"], s["p_init"], b.rng) for eps in b.budgets}


def _fab(b: Batch) -> Found:
    s = b.settings
    found = fab_linf(b.target, b.clean, b.labels, max(b.budgets), s["steps"], s["restarts"], s["alpha_max"],
                     s["eta"], s["beta"], b.seed)
    return {eps: (within_or_clean(found, b.clean, "linf", norms.radius(b.clean, "linf", eps)), None) for eps in b.budgets}


def _cw(b: Batch) -> Found:
    s = b.settings
    found = cw_l2(b.target, b.clean, b.labels, s["c"], s["kappa"], s["steps"], s["lr"])
    return {snr: (within_or_clean(found, b.clean, "l2", norms.radius(b.clean, "l2", snr)), None) for snr in b.budgets}


@dataclass(frozen=True)
class AttackSpec:
    norm: str  # linf | l2
    run: Callable[[Batch], Found]
    budgets: Callable[[AttackConfig], tuple[float, ...]]
    settings: Callable[[AttackConfig], dict]
    goal: str = "flip"  # flip | undetected (asnet.attacks.metrics)
    knowledge: str = "white"  # white | black (box) | none (random noise)
    surrogates: bool = True  # BPDA surrogates on (off = naive gradients)
    minimum_norm: bool = False  # one run serves every budget (its wall time is shared)


def _eps(c: AttackConfig) -> tuple[float, ...]:
    return c.linf_eps


def _snr(c: AttackConfig) -> tuple[float, ...]:
    return c.l2_snr_db


def _reference(c: AttackConfig) -> tuple[float, ...]:
    return (c.sanity.reference_eps,)


ATTACKS: dict[str, AttackSpec] = {
    "pgd_linf": AttackSpec("linf", _pgd("linf"), _eps, lambda c: c.pgd),
    "pgd_linf_naive": AttackSpec("linf", _pgd("linf"), _eps, lambda c: c.pgd, surrogates=False),
    "pgd_l2": AttackSpec("l2", _pgd("l2"), _snr, lambda c: c.pgd),
    "noise_linf": AttackSpec("linf", _noise, _eps, lambda c: {}, knowledge="none"),
    "cw_l2": AttackSpec("l2", _cw, _snr, lambda c: c.cw, minimum_norm=True),
    "apgd_ce": AttackSpec("linf", _apgd("ce"), _eps, lambda c: c.apgd),
    "apgd_dlr": AttackSpec("linf", _apgd("dlr"), _eps, lambda c: c.apgd),
    "fab_linf": AttackSpec("linf", _fab, _eps, lambda c: c.fab, minimum_norm=True),
    "square_linf": AttackSpec("linf", _square, _eps, lambda c: c.square, knowledge="black"),
    "adaptive_linf": AttackSpec("linf", _pgd("linf", _adaptive_objective), _eps, lambda c: {**c.pgd, **c.adaptive},
                                goal="undetected"),
    "pgd_linf_unbounded": AttackSpec("linf", _ladder, lambda c: (UNBOUNDED_EPS,),
                                     lambda c: {**c.pgd, "steps": c.sanity.unbounded_steps,
                                                "start_eps": c.sanity.reference_eps}),
    "pgd_linf_more_steps": AttackSpec("linf", _pgd("linf"), _reference,
                                      lambda c: {**c.pgd, "steps": c.pgd["steps"] * c.sanity.more_steps_factor}),
    "pgd_linf_more_restarts": AttackSpec("linf", _pgd("linf"), _reference,
                                         lambda c: {**c.pgd, "restarts": c.sanity.more_restarts}),
}


@dataclass(frozen=True)
class Job:
    attack: str
    budgets: tuple[float, ...]
    settings: dict

    @property
    def spec(self) -> AttackSpec:
        return ATTACKS[self.attack]

    def name(self, budget: float) -> str:
        """The result's file stem, e.g. pgd_linf-eps0.002, cw_l2-snr30."""
        return f"{self.attack}-{'eps' if self.spec.norm == 'linf' else 'snr'}{budget:g}"


def read_config(params: dict) -> AttackConfig:
    """The attack settings of params (AttackConfig.from_params), with every suite naming only
    attacks of ATTACKS: a typo in any suite fails before any attack runs."""
    config = AttackConfig.from_params(params)
    for suite, attacks in config.suites.items():
        unknown = sorted(set(attacks) - set(ATTACKS))
        if unknown:
            raise ConfigError(f"attack.suites.{suite}: unknown attack(s) {unknown} (known: {sorted(ATTACKS)})")
    return config


def plan(config: AttackConfig, suite: str) -> list[Job]:
    if suite not in config.suites:
        raise ConfigError(f"no suite {suite!r} in attack.suites (have: {', '.join(config.suites)})")
    config = config.for_suite(suite)
    return [Job(name, ATTACKS[name].budgets(config), dict(ATTACKS[name].settings(config)))
            for name in config.suites[suite]]
