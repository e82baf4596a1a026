"""The clips an attack run uses: a seeded, class-balanced subset of one shard, at a fixed length.

`clips` // 2 bona fide and the rest spoofs are drawn without replacement (numpy Generator seeded
by attack.seed), ordered as in the shard. Each is attacked as its first `clip_seconds` seconds,
tiled when the clip is shorter, exactly as training crops are made (asnet.data.shards.tile_to):
fixed-length clips batch without padding, and every attack (torchattacks included) sees one
plain [B, N] tensor. The clean metrics written beside the adversarial ones are those of exactly
these fixed-length clips, so the two always compare like with like; they differ from the
full-clip scores of `asnet score`.

Clips that carry no signal (empty or all zeros) are reported by name and never drawn.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

from asnet.data.shards import WaveShards, tile_to


class SubsetError(ValueError):
    """The shard cannot give a two-class subset (the message says why)."""


@dataclass
class Subset:
    utt_id: list[str]
    system: list[str]
    labels: np.ndarray  # int64 [n], 1 = bona fide
    waves: np.ndarray  # float32 [n, samples]


def usable(shards: WaveShards) -> np.ndarray:
    """Indices of clips with signal; the others are reported."""
    keep = []
    for i, clip in enumerate(shards.clips):
        if clip.length == 0 or not np.any(shards.wave[clip.offset : clip.offset + clip.length]):
            print(f"attack: clip {clip.utt_id} skipped: empty or silent", file=sys.stderr)
        else:
            keep.append(i)
    return np.array(keep, dtype=np.int64)


def draw_subset(shards: WaveShards, clips: int, samples: int, seed: int) -> Subset:
    if clips < 2:
        raise SubsetError(f"attack.clips must be >= 2 (one per class), got {clips}")
    candidates = usable(shards)
    labels = shards.labels[candidates]
    rng = np.random.default_rng(seed)
    chosen = []
    for label, count in ((1, clips // 2), (0, clips - clips // 2)):
        pool = candidates[labels == label]
        if len(pool) == 0:
            raise SubsetError(f"{shards.directory} has no usable {'bona fide' if label else 'spoof'} clip")
        if len(pool) < count:
            print(f"attack: only {len(pool)} {'bona fide' if label else 'spoof'} clips in {shards.directory}, "
                  f"{count} wanted", file=sys.stderr)
        chosen.append(rng.choice(pool, size=min(count, len(pool)), replace=False))
    order = np.sort(np.concatenate(chosen))
    return Subset(
        utt_id=[shards.clips[i].utt_id for i in order],
        system=[shards.clips[i].system for i in order],
        labels=shards.labels[order],
        waves=np.stack([tile_to(shards[int(i)], samples) for i in order]).astype(np.float32),
    )
