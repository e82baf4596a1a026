"""The phase plane of the spectral view: instantaneous-frequency deviation per mel band.

A magnitude spectrogram cannot tell a vocoder that rebuilds or synthesises the phase (WORLD,
Griffin-Lim, any neural vocoder) from speech; the frame-to-frame phase advance can. Bin k of a
stationary sinusoid at exactly the bin's frequency advances by 2 pi k hop / n_fft per frame; the
deviation from that advance is how far the bin's energy sits from the bin centre. Speech
harmonics give smooth, speaker-consistent deviations; synthetic phase does not.

    u_{t,k}  = S_{t,k} conj(S_{t-1,k}) exp(-2 pi i k hop / n_fft)
    plane_tm = sum_k mel_mk Re(u_tk) / (sum_k mel_mk |S_tk||S_{t-1,k}| + floor)

i.e. the cosine of the deviation, averaged over the band's bins weighted by their energy (Re u
is |u| cos(angle u), so no angle and no gradient singularity is needed). Values lie in [-1, 1] and
do not depend on level; the first frame has no predecessor and gets 0. `floor` (the log-mel
floor) sends silent bands to 0.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def if_deviation(spec: torch.Tensor, power: torch.Tensor, mel_basis: torch.Tensor, hop_length: int,
                 floor: float) -> torch.Tensor:
    """Complex STFT [B, K, T] (K = n_fft // 2 + 1), its power |S|^2, mel_basis [K, M] -> plane [B, T, M]."""
    n_fft = 2 * (spec.shape[1] - 1)
    k = torch.arange(spec.shape[1], device=spec.device, dtype=spec.real.dtype)
    expected = torch.polar(torch.ones_like(k), -2 * math.pi * hop_length * k / n_fft)[:, None]
    advance = (spec[..., 1:] * spec[..., :-1].conj() * expected).real  # [B, K, T - 1]
    magnitude = (power[..., 1:] * power[..., :-1] + floor**2).sqrt()  # |S_t||S_t-1|, with a finite gradient at 0
    plane = (advance.transpose(1, 2) @ mel_basis) / (magnitude.transpose(1, 2) @ mel_basis + floor)
    return F.pad(plane, (0, 0, 1, 0))
