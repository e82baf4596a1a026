"""The host side of training, in the trainer's process or in DataLoader workers, same bytes either way.

An epoch is planned in the trainer's process first (asnet.train.data.plan_epoch: every random
choice of the epoch, drawn from the trainer's generator). What is left is deterministic given the
plan: cut this process's rows from the memory-mapped shard and make the stage's per-sample draws
(asnet.train.stages.Objective.host_batch). With `workers` > 0 a DataLoader does that ahead of the
GPU in worker processes and pins the result, so the copy to the device overlaps the step; with 0
it runs inline (the CPU path, where workers would take cores from the step itself).

Workers are forked: the shard's memory map and the stage's transforms (closures over params) are
inherited, not pickled.
"""
from __future__ import annotations

import os
from typing import Iterable

import numpy as np
import torch

from asnet.data.shards import WaveShards
from asnet.train.data import PlannedStep, cut_batch
from asnet.train.stages import Objective, StepInputs

MAX_AUTO_WORKERS = 8


class PlannedSteps(torch.utils.data.Dataset):
    """Item k: the StepInputs of planned step k for batch rows `rows` (this process's slice)."""

    def __init__(self, shards: WaveShards, labels: np.ndarray, plan: list[PlannedStep], crop_samples: int,
                 rows: slice, objective: Objective):
        self.shards, self.labels, self.plan = shards, labels, plan
        self.crop_samples, self.rows, self.objective = crop_samples, rows, objective

    def __len__(self) -> int:
        return len(self.plan)

    def __getitem__(self, k: int) -> StepInputs:
        step = self.plan[k]
        waves = cut_batch(self.shards, step, self.crop_samples, self.rows)
        labels = self.labels[step.indices[self.rows]]
        return self.objective.host_batch(waves, labels, step.step_seed, self.rows.start or 0)


def auto_workers(device: torch.device, processes: int = 1) -> int:
    """0 on CPU; on CUDA this process's share of the CPUs it may use (torchrun's processes on one
    node share them) but one for the trainer, at least 1 and at most 8."""
    if device.type != "cuda":
        return 0
    return max(1, min(MAX_AUTO_WORKERS, len(os.sched_getaffinity(0)) // processes - 1))


def host_batches(steps: PlannedSteps, workers: int, pin_memory: bool) -> Iterable[StepInputs]:
    if workers == 0:
        return (steps[k] for k in range(len(steps)))
    # its own generator: a DataLoader seeds its workers from the global torch generator otherwise,
    # and that draw would shift the dropout masks of every later step
    return torch.utils.data.DataLoader(steps, batch_size=None, shuffle=False, num_workers=workers,
                                       pin_memory=pin_memory, multiprocessing_context="fork",
                                       prefetch_factor=4, generator=torch.Generator())
