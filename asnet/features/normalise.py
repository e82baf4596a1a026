"""Per-utterance normalisation, part of the differentiable graph.

Statistics are taken over each clip's own frames (`mask` [B, T], None = every frame), and
padded frames are set to 0, so a clip gives the same output alone or zero-padded in a batch.

- log-mel: minus the clip's mean, divided by its standard deviation, both over (time, band)
  jointly. This removes gain but keeps the spectral envelope and band limits, which are spoofing
  cues that per-band normalisation would erase.
- log-F0: minus the clip's voicing-weighted mean (removes the speaker's pitch level, keeps the
  intonation range, whose flatness is a TTS cue). log-RMS: minus the clip's mean (removes gain).
- voicing, ZCR and flux are already level-free and are left as they are.
"""
from __future__ import annotations

import torch

STD_FLOOR = 1e-5  # keeps a constant (e.g. digitally silent) clip at 0 instead of 0/0
WEIGHT_FLOOR = 1e-3  # an unvoiced clip falls back to the plain mean of its log-F0


def _frame_weight(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """[B, T] weights: 1 on the clip's frames, 0 on padding."""
    return torch.ones_like(x[..., 0]) if mask is None else mask.to(x.dtype)


def _weighted_mean(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """x, weight [B, T] -> the weighted mean over time [B, 1]."""
    return (x * weight).sum(1, keepdim=True) / weight.sum(1, keepdim=True)


def normalise_logmel(logmel: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """logmel [B, T, M] -> zero mean, unit variance over each clip's (time, band) cells."""
    weight = _frame_weight(logmel, mask)[..., None]
    count = weight.sum((1, 2), keepdim=True) * logmel.shape[-1]
    mean = (logmel * weight).sum((1, 2), keepdim=True) / count
    var = ((logmel - mean).pow(2) * weight).sum((1, 2), keepdim=True) / count
    return (logmel - mean) / (var + STD_FLOOR**2).sqrt() * weight


def normalise_prosody(prosody: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """prosody [B, T, P] in PROSODY_CHANNELS order."""
    weight = _frame_weight(prosody, mask)
    log_f0, voicing, log_rms = prosody[..., 0], prosody[..., 1], prosody[..., 2]
    log_f0 = log_f0 - _weighted_mean(log_f0, (voicing + WEIGHT_FLOOR) * weight)
    log_rms = log_rms - _weighted_mean(log_rms, weight)
    out = torch.cat([log_f0[..., None], voicing[..., None], log_rms[..., None], prosody[..., 3:]], -1)
    return out * weight[..., None]
