"""Excitation peakiness: the log-kurtosis of each frame's linear-prediction residual.

Voiced speech is excited by glottal pulses, so once the vocal-tract envelope is removed (the LP
residual) the frame is a sparse train of spikes: high kurtosis. Copy-synthesis that keeps the
STFT magnitude but rebuilds the phase (Griffin-Lim) spreads each pulse over the period, leaving a
noise-like residual (kurtosis near 3) under a log-mel that is unchanged to ~0.1 nat; a pulse-train
vocoder (LPC) errs the other way. The magnitude-only views cannot see either.

Per frame (the STFT's frame: the `win_length` Hann-windowed samples centred on the anchor):
    r      autocorrelation of the windowed frame, r_0 plus sum(window^2) * sigma^2
    a      order-p predictor from r by Levinson-Durbin
    e_n    sum_j a_j x_{n-j} over the frame's samples (the p samples before it feed the filter)
    value  log(m4 + 3 sigma^4) - 2 log(m2 + sigma^2),  m_k = mean of e_n^k
sigma^2 is the white-noise floor (`noise_floor_db`): it keeps the predictor stable and reads a
silent frame as noise (value log 3) rather than 0/0. Every step is smooth, so no surrogate is needed.

r comes from the STFT power the log-mel already needs (Wiener-Khinchin): the inverse DFT of
|S_k|^2 is the frame's circular autocorrelation, which equals the linear one at lags
0..n_fft - win_length, so lags 0..p are exact when n_fft >= win_length + p. The p + 1 inverse-DFT
rows are one small matrix (`autocorrelation_basis`); no framing, no per-lag products.

Precision: on clean voiced frames the predictor is ill-conditioned (the prediction error is
~1e-4 of r_0), so float32 rounding in r and in the recursion moves the log-kurtosis by up to
~2e-2 (r from the power in float32) or ~4e-3 (r by direct float32 products). The product with the
basis and Levinson-Durbin therefore run in float64 (small ops, whose cost is dispatch, not
arithmetic): on real speech the channel is then within ~5e-6 of the float64 oracle
(asnet.models.bench.reference_peakiness). The residual is well conditioned and stays in float32.
"""
from __future__ import annotations

import math

import torch

from asnet.features.framing import frame_signal


def autocorrelation_basis(n_fft: int, order: int) -> torch.Tensor:
    """[n_fft // 2 + 1, order + 1] float64: power [..., K] @ basis = circular autocorrelation at lags
    0..order (the inverse real DFT of a one-sided power spectrum, restricted to those lags)."""
    bins = torch.arange(n_fft // 2 + 1, dtype=torch.float64)
    lags = torch.arange(order + 1, dtype=torch.float64)
    weight = torch.full_like(bins, 2.0)
    weight[0] = weight[-1] = 1.0  # DC and Nyquist appear once in the two-sided spectrum
    return weight[:, None] * torch.cos(2 * math.pi * bins[:, None] * lags[None, :] / n_fft) / n_fft


def levinson(r: torch.Tensor) -> torch.Tensor:
    """Autocorrelations r [..., p + 1] -> predictor a [..., p + 1] with a_0 = 1 (error filter).

    Every op acts on all frames at once: ~7 tensor ops per order, whose cost is dispatch.
    """
    order = r.shape[-1] - 1
    reversed_r = r.flip(-1)  # [r_p, ..., r_0]: reversed_r[..., p - i : p] = [r_i, ..., r_1]
    a = torch.ones_like(r[..., :1])
    error = r[..., 0]
    for i in range(1, order + 1):
        reflection = torch.linalg.vecdot(a, reversed_r[..., order - i : order]) / -error
        grown = torch.cat([a, torch.zeros_like(a[..., :1])], -1)  # [a_0 .. a_{i-1}, 0]
        a = torch.addcmul(grown, reflection[..., None], grown.flip(-1))
        error = torch.addcmul(error, error, reflection.square(), value=-1.0)
    return a


def lp_residual(wave: torch.Tensor, a: torch.Tensor, window_length: int, window_left: int,
                hop_length: int) -> torch.Tensor:
    """wave [B, N], predictors a [B, T, p + 1] -> residual [B, T, window_length] over each frame's
    samples (the frame starts window_left samples before its anchor t * hop)."""
    order = a.shape[-1] - 1
    # The frame plus the `order` samples before it; p + 1 multiply-adds over the frames, into one
    # buffer, beat a grouped convolution with a filter per frame (mkldnn handles thousands of
    # groups poorly). In place is safe for autograd: addcmul's backward needs only its factors.
    history = frame_signal(wave, window_length + order, hop_length, left=window_left + order)
    residual = history[..., order:] * a[..., :1]
    for j in range(1, order + 1):
        residual.addcmul_(history[..., order - j : order - j + window_length], a[..., j : j + 1])
    return residual


def residual_log_kurtosis(wave: torch.Tensor, power: torch.Tensor, basis: torch.Tensor, window: torch.Tensor,
                          window_left: int, hop_length: int, power_floor: float) -> torch.Tensor:
    """wave [B, N] and the power [B, T, K] of its STFT (`window`-weighted frames starting window_left
    samples before each anchor t * hop), autocorrelation_basis -> LP-residual log-kurtosis [B, T]."""
    r = power.double() @ basis.double()  # float64 on purpose (module docstring)
    noise = window.double().square().sum() * power_floor  # r_0 of white noise at the floor, seen through the window
    a = levinson(torch.cat([r[..., :1] + noise, r[..., 1:]], -1)).to(wave.dtype)
    squared = lp_residual(wave, a, len(window), window_left, hop_length).square()
    m2, m4 = squared.mean(-1), torch.linalg.vecdot(squared, squared) / squared.shape[-1]
    return torch.log(m4 + 3 * power_floor**2) - 2 * torch.log(m2 + power_floor)
