"""Centred framing shared by every frame-level feature, so all features share one time axis.

Frame t of a clip of N samples is centred on sample t * hop; samples outside the clip are zeros
(librosa's center=True with pad_mode="constant"). A clip has 1 + N // hop frames, and a clip
zero-padded at the end (batching) has exactly the same first 1 + N // hop frames.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def n_frames(n_samples: int, hop: int) -> int:
    return 1 + n_samples // hop


def frame_signal(wave: torch.Tensor, frame_length: int, hop: int, left: int | None = None) -> torch.Tensor:
    """wave [B, N] -> frames [B, 1 + N // hop, frame_length].

    `left` samples of the frame lie before its anchor t * hop (default: half the frame, i.e.
    centred); the right padding makes the frame count independent of frame_length.
    """
    left = frame_length // 2 if left is None else left
    right = frame_length - left
    padded = F.pad(wave, (left, right))
    return padded.unfold(-1, frame_length, hop)


def frame_mask(lengths: torch.Tensor | None, n_samples: int, hop: int, device=None) -> torch.Tensor | None:
    """[B, T] bool, True on the frames of each clip (lengths in samples); None when lengths is None."""
    if lengths is None:
        return None
    total = n_frames(n_samples, hop)
    valid = 1 + lengths.to(device) // hop
    return torch.arange(total, device=device)[None, :] < valid[:, None]
