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

The nominal advance is folded into the numerator's matrices: with z = S_t conj(S_{t-1}) and
theta_k = 2 pi k hop / n_fft, Re(u) = Re(z) cos(theta_k) + Im(z) sin(theta_k), so two products
with [K, M] matrices (mel weights times cos theta, times sin theta) replace a complex rotation and
the mel product. Re(z) and Im(z) come from the STFT's real and imaginary parts by real products:
a complex product with a conjugate is ~2.5x slower on CPU (torch materialises the conjugate).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class IFDeviation(nn.Module):
    """Complex STFT [B, K, T] (K = n_fft // 2 + 1) and its power |S|^2 -> plane [B, T, n_mels]."""

    def __init__(self, mel_basis: torch.Tensor, hop_length: int, floor: float):
        super().__init__()
        bins = mel_basis.shape[0]
        theta = 2 * math.pi * hop_length * torch.arange(bins, dtype=torch.float64) / (2 * (bins - 1))
        # Derived from params, so not part of the state dict (checkpoints hold learned weights only).
        self.register_buffer("mel_basis", mel_basis, persistent=False)
        for name, turn in (("cos_basis", theta.cos()), ("sin_basis", theta.sin())):
            self.register_buffer(name, (mel_basis.double() * turn[:, None]).float(), persistent=False)
        self.floor = floor

    def forward(self, spec: torch.Tensor, power: torch.Tensor) -> torch.Tensor:
        spec, power = spec.transpose(1, 2), power.transpose(1, 2)  # [B, T, K]: the STFT's memory order
        re, im = spec.real, spec.imag
        z_re = re[:, 1:] * re[:, :-1] + im[:, 1:] * im[:, :-1]  # S_t conj(S_{t-1}) by its parts
        z_im = im[:, 1:] * re[:, :-1] - re[:, 1:] * im[:, :-1]
        advance = z_re @ self.cos_basis + z_im @ self.sin_basis  # [B, T - 1, M]
        magnitude = (power[:, 1:] * power[:, :-1] + self.floor**2).sqrt()  # |S_t||S_t-1|, with a finite gradient at 0
        plane = advance / (magnitude @ self.mel_basis + self.floor)
        return F.pad(plane, (0, 0, 1, 0))
