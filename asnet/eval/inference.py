"""Run a detector over one waveform shard: every clip at full length, labels never read.

Crop/pad policy: clips are scored whole. Clips are sorted by length and batched only with clips
whose length is within `pad_fraction` of the shortest in the batch; shorter ones are
zero-padded at the end and the model is called as model(wave, lengths=valid samples per row),
so it can keep the padding out of its normalisation and pooling (ASNet does; a model without a
`lengths` argument needs pad_fraction 0). With pad_fraction 0 only equal-length clips share a
batch, no clip is padded, model(wave) is called, and every score equals the score of that clip
alone. A clip that is empty, makes the model raise, or yields a non-finite output is rejected
with its reason and the others are scored.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from asnet.data.shards import WaveShards
from asnet.eval.metrics import ScoreError
from asnet.utils import progress


@dataclass
class ClipOutputs:
    """Model outputs of the scored clips, in shard-index order (rejected clips left out)."""

    utt_id: list[str]
    logits: np.ndarray  # [N, 2], index 1 = bona fide
    score: np.ndarray  # [N] logits[:, 1] - logits[:, 0]
    energy: np.ndarray  # [N]
    abstain: np.ndarray  # [N] abstention logit
    gate: np.ndarray  # [N, 2] (alpha_spec, alpha_pros)
    rejects: list[tuple[str, str]] = field(default_factory=list)


FIELDS = ("logits", "score", "energy", "abstain", "gate")


def length_batches(lengths: list[int], batch_size: int, pad_fraction: float) -> list[list[int]]:
    """Indices grouped into batches of at most batch_size clips, shortest first; a batch's longest
    clip is at most (1 + pad_fraction) times its shortest. Deterministic (ties broken by index)."""
    batches: list[list[int]] = []
    for i in sorted(range(len(lengths)), key=lambda i: (lengths[i], i)):
        last = batches[-1] if batches else None
        if last and len(last) < batch_size and lengths[i] <= lengths[last[0]] * (1 + pad_fraction):
            last.append(i)
        else:
            batches.append([i])
    return batches


def _forward(model, waves: list[np.ndarray], device) -> dict[str, np.ndarray]:
    import torch

    lengths = [len(w) for w in waves]
    batch = torch.zeros(len(waves), max(lengths))
    for row, wave in enumerate(waves):
        batch[row, : len(wave)] = torch.from_numpy(wave)
    padding = {"lengths": torch.tensor(lengths, device=device)} if min(lengths) < max(lengths) else {}
    with torch.inference_mode():
        out = model(batch.to(device), **padding)
    return {name: getattr(out, name).float().cpu().numpy() for name in FIELDS}


def _forward_or_reject(model, shards: WaveShards, batch: list[int], device) -> dict[int, dict | str]:
    """Per clip index: its outputs, or the reason it was rejected. A batch that raises is retried
    clip by clip so that one bad clip cannot take its neighbours down with it."""
    try:
        out = _forward(model, [shards[i] for i in batch], device)
    except Exception as error:  # noqa: BLE001 - reported per clip below, never swallowed silently
        if len(batch) > 1:
            return {i: r for single in batch for i, r in _forward_or_reject(model, shards, [single], device).items()}
        return {batch[0]: f"model raised {type(error).__name__}: {error}"}
    results: dict[int, dict | str] = {}
    for row, i in enumerate(batch):
        clip = {name: values[row] for name, values in out.items()}
        finite = all(np.isfinite(v).all() for v in clip.values())
        results[i] = clip if finite else "non-finite model output"
    return results


def run_model(model, shards: WaveShards, batch_size: int, pad_fraction: float, device="cpu") -> ClipOutputs:
    """Score every clip of `shards` with `model` (already in eval mode on `device`)."""
    clips = shards.clips
    results: dict[int, dict | str] = {i: "empty clip" for i, c in enumerate(clips) if c.length == 0}
    usable = [i for i, c in enumerate(clips) if c.length > 0]
    batches = length_batches([clips[i].length for i in usable], batch_size, pad_fraction)
    for batch in progress(batches, desc=f"score {shards.directory}", unit="batch"):
        results.update(_forward_or_reject(model, shards, [usable[j] for j in batch], device))
    scored = [i for i in range(len(clips)) if isinstance(results[i], dict)]
    rejects = [(clips[i].utt_id, results[i]) for i in range(len(clips)) if isinstance(results[i], str)]
    if not scored:
        reason = f"first reason: {rejects[0][1]}" if rejects else "the shard index is empty"
        raise ScoreError(f"no clip of {shards.directory} could be scored; {reason}")
    stacked = {name: np.stack([results[i][name] for i in scored]) for name in FIELDS}
    return ClipOutputs(utt_id=[clips[i].utt_id for i in scored], rejects=rejects, **stacked)
