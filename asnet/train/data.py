"""Training batches from waveform shards: class-balanced, random crops, seeded.

- Every batch holds batch_size // 2 bona fide clips and the rest spoofs, each class drawn from
  shuffled passes over its clips, so the plain cross-entropy on a batch is the class-balanced
  one (weighting the loss as well would correct the imbalance twice).
- An epoch is `n_batches` batches (the trainer's default: ceil(n_train / batch_size), one pass).
- A crop is `crop_samples` long from a uniformly random start; a shorter clip is tiled (repeated)
  to length, as in AASIST/RawNet2, so the amount of padding never tells the class apart.
- Empty or all-zero clips are reported by name and never drawn (`trainable_labels`).
- All randomness comes from the numpy Generator passed in (its state is saved for resuming).
Labels: 1 = bona fide, 0 = spoof, -1 = left out.
"""
from __future__ import annotations

import math
import sys
from typing import Iterator

import numpy as np

from asnet.data.shards import WaveShards


def trainable_labels(shards: WaveShards) -> np.ndarray:
    """The shard labels with -1 for clips that carry no signal (empty or all zeros), each reported."""
    labels = shards.labels.copy()
    for i, clip in enumerate(shards.clips):
        if clip.length == 0 or not np.any(shards.wave[clip.offset : clip.offset + clip.length]):
            print(f"train clip {clip.utt_id} left out: empty or silent", file=sys.stderr)
            labels[i] = -1
    return labels


def tile_to(wave: np.ndarray, n: int) -> np.ndarray:
    """Repeat a non-empty `wave` until it has n samples."""
    return np.tile(wave, math.ceil(n / len(wave)))[:n]


def random_crop(shards: WaveShards, i: int, n: int, rng: np.random.Generator) -> np.ndarray:
    length = shards.clips[i].length
    if length <= n:
        return tile_to(shards[i], n)
    return shards.crop(i, n, int(rng.integers(0, length - n + 1)))


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


def epoch_batches(
    shards: WaveShards, labels: np.ndarray, batch_size: int, n_batches: int, crop_samples: int, rng: np.random.Generator
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield `n_batches` times (waves float32 [B, crop_samples], labels int64 [B]); `labels` from
    `trainable_labels`."""
    for batch in balanced_batches(labels, batch_size, n_batches, rng):
        waves = np.stack([random_crop(shards, int(i), crop_samples, rng) for i in batch])
        yield waves, labels[batch]
