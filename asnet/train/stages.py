"""The five curriculum stages as objectives (ARCHITECTURE §5). The curriculum is cumulative: a
stage's loss is its own terms plus every earlier stage's, so what a stage taught is kept while
the next one trains (the paper's rows read "+SAM", "+SAM+Eng", "+SAM+Eng+OOD", "Full").

    stage   terms added                                          extra inputs per step
    base    ce, branch_ce, cmra                                  - (every stage: augmentations, train.common)
    sam     (none: the same objective, optimised with SAM)       -
    energy  energy_margin, abstain                               pseudo-outliers (params shift.pools.pseudo_outliers)
    ood     ood_kl, ood_cos, ood_energy                          a training shift (params shift.pools.train_shifts)
    adv     ecrm_kl, ecrm_hinge, ecrm_cmra (asnet.losses.ecrm)   PGD-k L∞ adversarial waves

- ce: cross-entropy of the detector on class-balanced batches (= class-balanced CE).
- branch_ce: mean cross-entropy of the spectral and prosodic auxiliary heads.
- cmra: the model's CMRA corridor on (h_s(z_s), h_p(z_p)); variant and margins from params model.cmra.
- energy_margin: in-distribution energies below m_in, pseudo-outliers above m_out.
- abstain: the abstention head predicts the detector's errors at the deployed decision, score >
  the dev EER threshold of the current model (asnet.losses.energy, asnet.eval.decision); the
  trainer keeps `Objective.decision_threshold` up to date (asnet.train.trainer).
- ood_kl / ood_cos / ood_energy: KL(clean || shifted), 1 - cos of the fused embeddings z,
  squared energy gap; clean side detached (asnet.losses.consistency).

Random inputs (outliers, shifts, attacks) are drawn once per step, so SAM's two passes see the
same batch: the host side (`host_batch`: crops, outliers, shifts, PGD starts, all numpy and seeded
per sample) can run in a DataLoader worker (asnet.train.loader), the device side (`prepare`: the
copy and PGD through the model) runs in the trainer. Clean, outlier and shifted waves go through ONE forward pass (as in
outlier exposure and AugMix), so BatchNorm normalises them with shared batch statistics; the
adversarial batch has its own forward pass (TRADES).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import partial

import numpy as np
import torch
import torch.nn.functional as F

from asnet.losses.cmra import cmra_loss
from asnet.losses.consistency import embedding_cosine, energy_agreement, prediction_kl
from asnet.losses.ecrm import ecrm_losses, ecrm_weight
from asnet.losses.energy import abstention_loss, energy_margin_loss
from asnet.shift import pools
from asnet.train.pgd import pgd_linf

STAGES = ("base", "sam", "energy", "ood", "adv")
# Terms that need only logits and energies: any detector can be trained with them. The others
# need ASNet's parts (branch heads, two views for CMRA, the abstention head, the embedding z),
# and a model lists the ones it supports in its `loss_terms` attribute.
GENERIC_TERMS = frozenset({"ce", "energy_margin", "ood_kl", "ood_energy", "ecrm_kl", "ecrm_hinge"})


def loss_terms(model) -> frozenset[str]:
    """The loss terms `model` can be trained with."""
    return frozenset(getattr(model, "loss_terms", GENERIC_TERMS))


@dataclass
class StepInputs:
    """One training step's tensors; optional parts exist only in the stages that use them. Made on
    the host by `Objective.host_batch` (CPU tensors, pinned by the loader on CUDA; `start` is PGD's
    random start), then moved to the device and attacked by `Objective.prepare` (`adversarial`)."""

    wave: torch.Tensor
    labels: torch.Tensor
    outliers: torch.Tensor | None = None
    shifted: torch.Tensor | None = None
    start: torch.Tensor | None = None
    adversarial: torch.Tensor | None = None

    def map(self, function) -> "StepInputs":
        """`function` applied to every tensor present."""
        return StepInputs(**{f.name: None if getattr(self, f.name) is None else function(getattr(self, f.name))
                             for f in dataclasses.fields(self)})

    def pin_memory(self) -> "StepInputs":  # called by DataLoader(pin_memory=True)
        return self.map(torch.Tensor.pin_memory)


def rows(output, start: int, stop: int):
    """The same model output restricted to batch rows [start, stop) (tensors and tuples of them)."""

    def cut(value):
        if isinstance(value, torch.Tensor):
            return value[start:stop]
        if isinstance(value, (tuple, list)):
            return type(value)(cut(v) for v in value)
        return value

    return dataclasses.replace(output, **{f.name: cut(getattr(output, f.name)) for f in dataclasses.fields(output)})


# Per-sample random streams of a step, keyed by (step seed, purpose, index in the global batch): a
# sample's outlier, shift and PGD start do not depend on the batch slice a process holds
# (asnet.train.distributed) nor on the order the others were drawn in.
OUTLIER, SHIFT, PGD_START, AUGMENT = 0, 1, 2, 3


def sample_rng(step_seed: int, purpose: int, index: int) -> np.random.Generator:
    return np.random.default_rng([step_seed, purpose, index])


def apply_each(transforms: dict, waves: np.ndarray, step_seed: int, purpose: int, first_index: int) -> np.ndarray:
    """One transform per wave, picked uniformly from `transforms` (name -> transform(wave, rng)),
    each wave with its own generator (`sample_rng`; row i is global sample first_index + i)."""
    names = sorted(transforms)
    out = []
    for i, wave in enumerate(waves):
        rng = sample_rng(step_seed, purpose, first_index + i)
        out.append(transforms[names[rng.integers(len(names))]](wave, rng))
    return np.clip(np.stack(out), -1.0, 1.0).astype(np.float32)


def augment_some(transforms: dict, probability: float, waves: np.ndarray, step_seed: int,
                 first_index: int) -> np.ndarray:
    """Each wave replaced, with `probability`, by one transform of `transforms` (picked uniformly)."""
    names = sorted(transforms)
    out = []
    for i, wave in enumerate(waves):
        rng = sample_rng(step_seed, AUGMENT, first_index + i)
        out.append(transforms[names[rng.integers(len(names))]](wave, rng) if rng.random() < probability else wave)
    return np.clip(np.stack(out), -1.0, 1.0).astype(np.float32)


def random_starts(shape: tuple[int, int], eps: float, step_seed: int, first_index: int) -> np.ndarray:
    """PGD's uniform random start in the eps-ball, one generator per sample."""
    return np.stack([sample_rng(step_seed, PGD_START, first_index + i).uniform(-eps, eps, shape[1])
                     for i in range(shape[0])]).astype(np.float32)


class Objective:
    """`objective(model, inputs) -> (total, parts)`; parts holds every unweighted term and a few
    diagnostics as floats. `weights` maps each term to its weight in the total."""

    def __init__(self, stage: str, params: dict, terms: frozenset[str] = GENERIC_TERMS):
        level = STAGES.index(stage)
        train = params["train"]
        self.weights = {name: train["base"][f"weight_{name}"] for name in ("ce", "branch_ce", "cmra")}
        self.cmra = None
        if "cmra" in terms:
            cmra = params["model"]["cmra"]
            self.cmra = partial(cmra_loss, variant=cmra["variant"], m_lo=cmra["m_lo"], m_hi=cmra["m_hi"])
        self.outlier_transforms = self.shift_transforms = self.attack = None
        self.augmentations = pools.augmentations(params)
        self.augment_probability = train["common"]["augment_probability"]
        if level >= STAGES.index("energy"):
            energy = train["energy"]
            self.m_in, self.m_out = energy["m_in"], energy["m_out"]
            self.ecrm_tau = (self.m_in + self.m_out) / 2  # the ECRM anchor (asnet.losses.ecrm)
            self.outlier_transforms = pools.pseudo_outliers(params)
            self.weights |= {name: energy[f"weight_{name}"] for name in ("energy_margin", "abstain")}
        if level >= STAGES.index("ood"):
            ood = train["ood"]
            self.shift_transforms = pools.train_shifts(params)
            self.weights |= {name: ood[f"weight_{name}"] for name in ("ood_kl", "ood_cos", "ood_energy")}
        if level >= STAGES.index("adv"):
            adv = train["adv"]
            self.attack = dict(eps=adv["eps"], step_size=adv["step_size"], steps=adv["steps"])
            self.ecrm_temperature = adv["ecrm_temperature"]
            self.weights |= {name: adv[f"weight_{name}"] for name in ("ecrm_kl", "ecrm_hinge", "ecrm_cmra")}
        self.weights = {name: w for name, w in self.weights.items() if name in terms}
        # Where the abstention target counts an error: set by the trainer before the first step
        # and after every dev pass (asnet.train.trainer.train_remaining_epochs).
        self.decision_threshold: float | None = None

    @property
    def needs_decision_threshold(self) -> bool:
        return "abstain" in self.weights

    def host_batch(self, waves: np.ndarray, labels: np.ndarray, step_seed: int, first_index: int = 0) -> StepInputs:
        """This step's host-side draws (rows are global samples first_index, first_index + 1, ...;
        see sample_rng), so they do not depend on where or in which process they are made."""
        tensor = torch.from_numpy
        if self.augment_probability > 0 and self.augmentations:
            waves = augment_some(self.augmentations, self.augment_probability, waves, step_seed, first_index)
        host = StepInputs(tensor(waves), tensor(labels))
        if self.outlier_transforms:
            host.outliers = tensor(apply_each(self.outlier_transforms, waves, step_seed, OUTLIER, first_index))
        if self.shift_transforms:
            host.shifted = tensor(apply_each(self.shift_transforms, waves, step_seed, SHIFT, first_index))
        if self.attack:
            host.start = tensor(random_starts(waves.shape, self.attack["eps"], step_seed, first_index))
        return host

    def prepare(self, model, host: StepInputs, device) -> StepInputs:
        """Move the host batch to `device` and, in the adv stage, attack it."""
        inputs = host.map(lambda tensor: tensor.to(device, non_blocking=True))
        if self.attack:
            inputs.adversarial = pgd_linf(model, inputs.wave, inputs.labels, **self.attack, start=inputs.start)
        return inputs

    def __call__(self, model, inputs: StepInputs) -> tuple[torch.Tensor, dict[str, float]]:
        terms, diagnostics = self.terms(model, inputs)
        total = sum(self.weights[name] * value for name, value in terms.items())
        parts = {name: value.item() for name, value in terms.items()} | diagnostics
        return total, parts | {"total": total.item()}

    def terms(self, model, inputs: StepInputs) -> tuple[dict[str, torch.Tensor], dict[str, float]]:
        """Every term of the stage (unweighted) and diagnostics, from one joint forward pass of
        [clean; outliers; shifted] and, in the adv stage, one of the adversarial batch."""
        views = [v for v in (inputs.wave, inputs.outliers, inputs.shifted) if v is not None]
        joint, n = model(torch.cat(views)), len(inputs.wave)
        clean = rows(joint, 0, n)
        terms, diagnostics = self.base_terms(clean, inputs.labels)
        start = n
        if inputs.outliers is not None:
            outliers, start = rows(joint, start, start + n), start + n
            terms["energy_margin"] = energy_margin_loss(clean.energy, outliers.energy, self.m_in, self.m_out)
            if self.needs_decision_threshold:
                if self.decision_threshold is None:
                    raise RuntimeError("the abstention target needs the current decision threshold: none was set")
                terms["abstain"] = abstention_loss(clean.abstain, clean.logits, inputs.labels, self.decision_threshold)
            diagnostics["energy_outlier"] = outliers.energy.mean().item()
        if inputs.shifted is not None:
            shifted = rows(joint, start, start + n)
            terms["ood_kl"] = prediction_kl(clean.logits, shifted.logits)
            if "ood_cos" in self.weights:
                terms["ood_cos"] = embedding_cosine(clean.z, shifted.z)
            terms["ood_energy"] = energy_agreement(clean.energy, shifted.energy)
            diagnostics["energy_shifted"] = shifted.energy.mean().item()
        if inputs.adversarial is not None:
            adversarial = model(inputs.adversarial)
            cmra = self.cmra if "ecrm_cmra" in self.weights else None
            terms |= ecrm_losses(clean, adversarial, self.ecrm_tau, self.ecrm_temperature, cmra)
            diagnostics["adv_accuracy"] = accuracy(adversarial.logits, inputs.labels)
            diagnostics["ecrm_weight"] = ecrm_weight(clean.energy, self.ecrm_tau, self.ecrm_temperature).mean().item()
        return terms, diagnostics

    def base_terms(self, clean, labels: torch.Tensor) -> tuple[dict[str, torch.Tensor], dict[str, float]]:
        terms = {"ce": F.cross_entropy(clean.logits.float(), labels)}
        if "branch_ce" in self.weights:
            terms["branch_ce"] = torch.stack([F.cross_entropy(b.float(), labels) for b in clean.branch_logits]).mean()
        if "cmra" in self.weights:
            terms["cmra"] = self.cmra(clean.proj_spec, clean.proj_pros)
        return terms, {"accuracy": accuracy(clean.logits, labels), "energy_clean": clean.energy.mean().item()}


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    return (logits.argmax(1) == labels).float().mean().item()
