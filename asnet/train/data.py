"""Training batches from waveform shards: class-balanced, random crops, seeded.

- Every batch holds batch_size // 2 bona fide clips and the rest spoofs, each class drawn from
  shuffled passes over its clips, so the plain cross-entropy on a batch is the class-balanced
  one (weighting the loss as well would correct the imbalance twice).
- An epoch is `n_batches` batches (the trainer's default: ceil(n_train / batch_size), one pass).
- A crop is `crop_samples` long from a uniformly random start; a shorter clip is tiled (repeated)
  to length, as in AASIST/RawNet2, so the amount of padding never tells the class apart.
- Empty or all-zero clips are reported by name and never drawn (`trainable_labels`).
- All randomness comes from the numpy Generator passed in (its state is saved for resuming).
  An epoch is planned ahead (`plan_epoch`: clips, crop starts and each step's seed), drawn in the
  order the trainer consumed them when it drew batch by batch (the batches' clips, then per step
  its crops and its seed), so the crops can be cut anywhere (asnet.train.loader) and give the
  same bytes.
Labels: 1 = bona fide, 0 = spoof, -1 = left out.
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import numpy as np

from asnet.data.shards import WaveShards, tile_to


def trainable_labels(shards: WaveShards) -> np.ndarray:
    """The shard labels with -1 for clips that carry no signal (empty or all zeros), each reported."""
    labels = shards.labels.copy()
    for i, clip in enumerate(shards.clips):
        if clip.length == 0 or not np.any(shards.wave[clip.offset : clip.offset + clip.length]):
            print(f"train clip {clip.utt_id} left out: empty or silent", file=sys.stderr)
            labels[i] = -1
    return labels


def crop_start(length: int, n: int, rng: np.random.Generator) -> int:
    """A uniformly random start of an n-sample crop, or -1 when the clip is tiled instead."""
    return -1 if length <= n else int(rng.integers(0, length - n + 1))


def cut(shards: WaveShards, i: int, n: int, start: int) -> np.ndarray:
    return tile_to(shards[i], n) if start < 0 else shards.crop(i, n, start)


def _draw(pool: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` indices from shuffled passes over `pool` (each pass a fresh permutation)."""
    passes = math.ceil(count / len(pool))
    return np.concatenate([rng.permutation(pool) for _ in range(passes)])[:count]


def balanced_batches(labels: np.ndarray, batch_size: int, n_batches: int, rng: np.random.Generator) -> list[np.ndarray]:
    """`n_batches` index batches, each half bona fide, half spoof (shuffled within the batch)."""
    bonafide, spoof = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
    if len(bonafide) == 0 or len(spoof) == 0:
        raise ValueError("class-balanced training needs both bona fide and spoof clips in the train split")
    n_bona = batch_size // 2
    bona_draws = _draw(bonafide, n_batches * n_bona, rng).reshape(n_batches, n_bona)
    spoof_draws = _draw(spoof, n_batches * (batch_size - n_bona), rng).reshape(n_batches, -1)
    return [rng.permutation(np.concatenate(pair)) for pair in zip(bona_draws, spoof_draws)]


@dataclass(frozen=True)
class PlannedStep:
    """One optimizer step's global batch: clip indices, their crop starts (-1: tiled) and the seed
    of the step's own draws (outliers, shifts, PGD starts; asnet.train.stages.sample_rng)."""

    indices: np.ndarray
    starts: np.ndarray
    step_seed: int


def plan_epoch(shards: WaveShards, labels: np.ndarray, batch_size: int, n_batches: int, crop_samples: int,
               rng: np.random.Generator) -> list[PlannedStep]:
    """`n_batches` steps; `labels` from `trainable_labels`."""
    plan = []
    for batch in balanced_batches(labels, batch_size, n_batches, rng):
        starts = np.array([crop_start(shards.clips[int(i)].length, crop_samples, rng) for i in batch])
        plan.append(PlannedStep(batch, starts, int(rng.integers(2**63))))
    return plan


def cut_batch(shards: WaveShards, step: PlannedStep, crop_samples: int, rows: slice = slice(None)) -> np.ndarray:
    """float32 [len(rows), crop_samples]: the step's crops of the given batch rows."""
    return np.stack([cut(shards, int(i), crop_samples, int(s)) for i, s in zip(step.indices[rows], step.starts[rows])])
