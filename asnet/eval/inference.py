"""Run a detector over one waveform shard: every clip at full length, labels never read.

Crop/pad policy: clips are scored whole, and every clip's outputs are those of the clip alone
(to float rounding), however it is batched. Clips are sorted by length and cut into batches; a
batch's shorter clips are zero-padded at the end and the model is called as
model(wave, lengths=valid samples per row) only as far as the model says padding is exact: its
`exact_padding` attribute, in samples (ASNet zeroes padded frames in every layer: any length;
the baselines that tile clips to `min_samples`: batches no longer than that). A model without it
gets batches of equal-length clips only, called as model(wave).

Rejects are data problems only, decided before the model sees the clip: an empty clip ("empty")
and a clip without signal ("silent": peak below asnet.data.audio.SILENCE_PEAK; a long clip none of
whose windows carries signal). The shards hold decoded int16 audio, so undecodable and
non-finite input were already rejected when the cache was built. Anything the model does wrong
(an exception: a shape bug, out of memory; a non-finite output on a clip with signal) is a model
or runtime error and is raised, naming the clips, so a regression fails the stage instead of
thinning the scored set. Callers count the rejects (asnet.eval.rejects) and fail beyond a bound.

Long recordings (asnet.eval.windows): a clip longer than `windows.max_clip` samples is never put
in a batch with others; it is scored as overlapping windows, `batch_size` windows per forward
pass read straight from the shard's memory map, and its outputs are the mean of its windows'.
So one hour-long recording costs the memory of a batch of windows, and every clip up to
max_clip is scored exactly as before.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from asnet.data.shards import WaveShards
from asnet.eval.metrics import ScoreError
from asnet.eval.windows import WindowPolicy, aggregate, has_signal
from asnet.utils import progress


@dataclass
class ClipOutputs:
    """Model outputs of the scored clips, in shard-index order (rejected clips left out)."""

    utt_id: list[str]
    logits: np.ndarray  # [N, 2], index 1 = bona fide
    score: np.ndarray  # [N] logits[:, 1] - logits[:, 0]
    energy: np.ndarray  # [N]
    abstain: np.ndarray  # [N] abstention logit
    gate: np.ndarray | None  # [N, 2] (alpha_spec, alpha_pros); None for models without a fusion gate
    rejects: list[tuple[str, str]] = field(default_factory=list)


FIELDS = ("logits", "score", "energy", "abstain", "gate")
BATCH_SIZE = 32  # clips per forward pass unless ASNET_SCORE_BATCH or --batch-size say otherwise


def default_batch_size() -> int:
    """Clips per forward pass: an execution knob (no output depends on it), never a params value."""
    return int(os.environ.get("ASNET_SCORE_BATCH", BATCH_SIZE))


def exact_padding(model) -> float:
    """Samples up to which `model` gives a zero-padded clip (with `lengths`) its outputs alone; 0
    for a model that does not say (then only clips of equal length share a batch)."""
    return float(getattr(model, "exact_padding", 0))


def length_batches(lengths: list[int], batch_size: int, max_samples: int, padding: float) -> list[list[int]]:
    """Indices grouped into batches of at most batch_size clips and max_samples padded samples,
    shortest first; clips of different lengths share a batch only when its longest is at most
    `padding` samples. Deterministic (ties broken by index)."""
    batches: list[list[int]] = []
    for i in sorted(range(len(lengths)), key=lambda i: (lengths[i], i)):
        last = batches[-1] if batches else None
        fits = last and len(last) < batch_size and (len(last) + 1) * lengths[i] <= max_samples
        if fits and (lengths[i] == lengths[last[0]] or lengths[i] <= padding):
            last.append(i)
        else:
            batches.append([i])
    return batches


def forward_batch(model, waves: list[np.ndarray], device) -> dict[str, np.ndarray]:
    """One forward pass over `waves` (zero-padded to the longest, with `lengths` only when they
    differ) -> {field: [B, ...] float32}; fields the model does not produce (gate None) are absent."""
    import torch

    lengths = [len(w) for w in waves]
    batch = torch.zeros(len(waves), max(lengths))
    for row, wave in enumerate(waves):
        batch[row, : len(wave)] = torch.from_numpy(wave)
    padding = {"lengths": torch.tensor(lengths, device=device)} if min(lengths) < max(lengths) else {}
    with torch.inference_mode():
        out = model(batch.to(device), **padding)
    values = {name: getattr(out, name) for name in FIELDS}
    return {name: v.float().cpu().numpy() for name, v in values.items() if v is not None}


EMPTY, SILENT = "empty", "silent"


def _forward(model, waves: list[np.ndarray], device, names: list[str]) -> dict[str, np.ndarray]:
    """forward_batch, with the clips named on any failure of the model."""
    try:
        out = forward_batch(model, waves, device)
    except Exception as error:
        error.add_note(f"while scoring {', '.join(names)}")
        raise
    for name, values in out.items():
        bad = ~np.isfinite(values.reshape(len(waves), -1)).all(axis=1)
        if bad.any():
            clips = ", ".join(n for n, b in zip(names, bad) if b)
            raise ScoreError(f"non-finite model output ({name}) on {clips}: a model error, not a data problem")
    return out


def _forward_clips(model, shards: WaveShards, batch: list[int], device) -> dict[int, dict]:
    """Per clip index of the batch: its outputs."""
    out = _forward(model, [shards[i] for i in batch], device, [shards.clips[i].utt_id for i in batch])
    return {i: {name: values[row] for name, values in out.items()} for row, i in enumerate(batch)}


def score_windows(model, shards: WaveShards, i: int, windows: WindowPolicy, batch_size: int, device) -> dict | str:
    """Outputs of long clip i (the mean over its windows that carry signal), or SILENT."""
    starts = windows.starts(shards.clips[i].length)
    per_window: list[dict[str, np.ndarray]] = []
    for first in range(0, len(starts), batch_size):
        waves = [shards.crop(i, windows.window, s) for s in starts[first : first + batch_size]]
        waves = [w for w in waves if has_signal(w)]
        if waves:
            per_window.append(_forward(model, waves, device, [shards.clips[i].utt_id]))
    if not per_window:
        return SILENT
    return aggregate({name: np.concatenate([b[name] for b in per_window]) for name in per_window[0]})


def run_model(model, shards: WaveShards, batch_size: int, device, windows: WindowPolicy) -> ClipOutputs:
    """Score every clip of `shards` with `model` (already in eval mode on `device`). A batch holds
    at most the samples of batch_size windows: the memory that long clips are scored in."""
    clips = shards.clips
    results: dict[int, dict | str] = {i: EMPTY for i, c in enumerate(clips) if c.length == 0}
    whole = [i for i, c in enumerate(clips) if 0 < c.length and not windows.windowed(c.length)]
    results |= {i: SILENT for i in whole if not has_signal(shards[i])}
    whole = [i for i in whole if i not in results]
    long = [i for i, c in enumerate(clips) if windows.windowed(c.length)]
    batches = length_batches([clips[i].length for i in whole], batch_size, batch_size * windows.window,
                             exact_padding(model))
    for batch in progress(batches, desc=f"score {shards.directory}", unit="batch"):
        results.update(_forward_clips(model, shards, [whole[j] for j in batch], device))
    if long:
        for i in progress(long, desc=f"score {shards.directory} (long clips, in windows)", unit="clip"):
            results[i] = score_windows(model, shards, i, windows, batch_size, device)
    scored = [i for i in range(len(clips)) if isinstance(results[i], dict)]
    rejects = [(clips[i].utt_id, results[i]) for i in range(len(clips)) if isinstance(results[i], str)]
    if not scored:
        reason = f"first reason: {rejects[0][1]}" if rejects else "the shard index is empty"
        raise ScoreError(f"no clip of {shards.directory} could be scored; {reason}")
    stacked = {name: np.stack([results[i][name] for i in scored]) if name in results[scored[0]] else None
               for name in FIELDS}
    return ClipOutputs(utt_id=[clips[i].utt_id for i in scored], rejects=rejects, **stacked)
