"""Excitation peakiness: the log-kurtosis of each frame's linear-prediction residual.

Voiced speech is excited by glottal pulses, so once the vocal-tract envelope is removed (the LP
residual) the frame is a sparse train of spikes: high kurtosis. Copy-synthesis that keeps the
STFT magnitude but rebuilds the phase (Griffin-Lim) spreads each pulse over the period, leaving a
noise-like residual (kurtosis near 3) under a log-mel that is unchanged to ~0.1 nat; a pulse-train
vocoder (LPC) errs the other way. The magnitude-only views cannot see either.

Per frame (the shared `win_length` frame, framing.py):
    r      autocorrelation of the Hann-windowed frame, r_0 plus frame_length * sigma^2
    a      order-p predictor from r by Levinson-Durbin
    e_n    sum_j a_j x_{n-j} over the frame's samples (the p samples before it feed the filter)
    value  log(m4 + 3 sigma^4) - 2 log(m2 + sigma^2),  m_k = mean of e_n^k
sigma^2 is the white-noise floor (`noise_floor_db`): it keeps the predictor stable and reads a
silent frame as noise (value log 3) rather than 0/0. Every step is smooth, so no surrogate is needed.
"""
from __future__ import annotations

import math

import torch

from asnet.features.framing import frame_signal


def levinson(r: torch.Tensor) -> torch.Tensor:
    """Autocorrelations r [..., p + 1] -> predictor a [..., p + 1] with a_0 = 1 (error filter)."""
    order = r.shape[-1] - 1
    a = torch.zeros_like(r)
    a[..., 0] = 1.0
    error = r[..., 0]
    for i in range(1, order + 1):
        reflection = -(a[..., :i] * r[..., 1 : i + 1].flip(-1)).sum(-1) / error
        a = torch.cat([a[..., :i] + reflection[..., None] * torch.cat(
            [torch.zeros_like(a[..., :1]), a[..., :i].flip(-1)[..., :-1]], -1),
            reflection[..., None], a[..., i + 1 :]], -1)
        error = error * (1 - reflection.square())
    return a


def residual_log_kurtosis(wave: torch.Tensor, win_length: int, hop_length: int, order: int,
                          power_floor: float) -> torch.Tensor:
    """wave [B, N] -> log-kurtosis of the LP residual per frame [B, 1 + N // hop]."""
    frames = frame_signal(wave, win_length, hop_length)  # [B, T, L]
    window = torch.hann_window(win_length, device=wave.device, dtype=wave.dtype)
    n_fft = 2 ** math.ceil(math.log2(2 * win_length))
    spectrum = torch.fft.rfft(frames * window, n_fft)
    r = torch.fft.irfft(spectrum.real.square() + spectrum.imag.square(), n_fft)[..., : order + 1]
    r = r + torch.nn.functional.pad(torch.full_like(r[..., :1], window.square().sum() * power_floor), (0, order))
    a = levinson(r)
    # The frame plus the `order` samples before it, so the filter runs over the frame's own samples.
    history = frame_signal(wave, win_length + order, hop_length, left=win_length // 2 + order)
    residual = (history.unfold(-1, order + 1, 1) * a.flip(-1)[..., None, :]).sum(-1)  # [B, T, L]
    m2 = residual.square().mean(-1)
    m4 = residual.square().square().mean(-1)
    return torch.log(m4 + 3 * power_floor**2) - 2 * torch.log(m2 + power_floor)
