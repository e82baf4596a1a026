"""Expectation over transformation (Athalye et al., 2018): the hook for random parts of a pipeline.

The deployed pipeline has none today (inference scores the whole clip, deterministically), so by
default nothing is random and every attack sees the plain model. Should a deployment add
randomness (a random crop, or one of the training-time transforms of asnet.shift.pools applied
at test time), params `attack.eot.transforms` names it and every attack then optimises the mean
outputs over `attack.eot.samples` draws; success is still measured on the deployed pipeline.

    transforms:            applied in order, each one a random stage of the pipeline
      crop: {family: random_crop, seconds: 0.5}        a random window of each clip (differentiable)
      mp3:  {family: channel, library: pyav, ...}      any asnet.shift.pools family (numpy): the
                                                       forward pass is the transform, the backward
                                                       pass the identity (BPDA)

All randomness comes from one numpy Generator, reseeded per attack run, so results repeat.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from asnet.features.bpda import straight_through

RandomStage = Callable[[torch.Tensor, np.random.Generator], torch.Tensor]


class RandomCrop:
    """A random window of `samples` samples from each row (rows shorter than that pass whole)."""

    def __init__(self, samples: int):
        self.samples = samples

    def __call__(self, wave: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        extra = wave.shape[-1] - self.samples
        if extra <= 0:
            return wave
        starts = rng.integers(0, extra + 1, size=len(wave))
        return torch.stack([row[s : s + self.samples] for row, s in zip(wave, starts)])


class StraightThrough:
    """A numpy pool transform (asnet.shift.pools, one clip at a time) in a torch pipeline:
    forward = the transform, backward = identity."""

    def __init__(self, transform):
        self.transform = transform

    def __call__(self, wave: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        rows = wave.detach().float().cpu().numpy()
        exact = np.stack([np.asarray(self.transform(row, rng), dtype=np.float32) for row in rows])
        return straight_through(torch.from_numpy(exact).to(wave), wave)


def random_stage(spec: dict, sample_rate: int) -> RandomStage:
    if spec["family"] == "random_crop":
        return RandomCrop(round(spec["seconds"] * sample_rate))
    from asnet.shift.pools import make_transform

    return StraightThrough(make_transform(spec, sample_rate))


class EOT:
    """The random stages an attacker averages over, and how many draws per gradient."""

    def __init__(self, stages: list[RandomStage], samples: int, seed: int = 0):
        if samples < 1:
            raise ValueError(f"attack.eot.samples must be >= 1, got {samples}")
        self.stages = stages
        self.samples = samples
        self.rng = np.random.default_rng(seed)

    @classmethod
    def from_params(cls, config: dict, sample_rate: int) -> "EOT":
        stages = [random_stage(spec, sample_rate) for spec in config["transforms"].values()]
        return cls(stages, int(config["samples"]))

    @property
    def random(self) -> bool:
        return bool(self.stages)

    def reseed(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def __call__(self, wave: torch.Tensor) -> torch.Tensor:
        """One draw of the pipeline's random part."""
        for stage in self.stages:
            wave = stage(wave, self.rng)
        return wave
