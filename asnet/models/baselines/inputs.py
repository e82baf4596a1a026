"""How the neural baselines take a batch: by repetition, never by zero padding or masking.

AASIST was trained on 64,600-sample crops, and clips shorter than that were repeated (tiled) to
length (Jung et al. 2022, clovaai/aasist data_utils.pad). The baselines keep that convention through
their `min_samples` config key: each clip is tiled to at least min_samples. The models have no
masking, so in a zero-padded batch (`lengths` given) each row's valid samples are tiled over the
padding too. Clips at least min_samples long, in an unpadded batch, pass through unchanged: they
are scored whole (the published evaluation would cut them to their first 64,600 samples).
So a batch zero-padded to at most min_samples gives each clip its outputs alone: each model's
`exact_padding` (asnet.eval.inference batches on it).
"""
from __future__ import annotations

import torch


def repeat_to_length(wave: torch.Tensor, lengths: torch.Tensor | None, min_samples: int) -> torch.Tensor:
    """[B, N] -> [B, max(N, min_samples)]: row b is its first lengths[b] samples repeated."""
    n = wave.shape[-1]
    if lengths is None and n >= min_samples:
        return wave
    if lengths is None:
        lengths = torch.full((wave.shape[0],), n, device=wave.device)
    positions = torch.arange(max(n, min_samples), device=wave.device)
    return wave.gather(1, positions[None, :] % lengths.to(wave.device).clamp_min(1)[:, None])
