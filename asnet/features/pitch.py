"""A batched YIN pitch tracker in torch (de Cheveigné & Kawahara, 2002), with BPDA gradients.

Per frame (integration window W centred on the frame's anchor, lags up to tau_max = sr / f0_min):
    d(tau)  = sum_{j<W} (x_j - x_{j+tau})^2 + 2 W sigma^2      (difference function, via FFT)
    d'(tau) = d(tau) * tau / sum_{k=1..tau} d(k),  d'(0) = 1    (cumulative mean normalised, CMNDF)
The added 2 W sigma^2 is the expected d(tau) of white noise at `noise_floor_db`: silence then
reads as aperiodic (d' = 1) instead of 0/0.
The lag is the first local minimum of d' below `threshold` within [sr / f0_max, sr / f0_min]
(else the global minimum there), refined by a parabola through its neighbours; F0 = sr / lag.
Voicing probability = sigmoid((voicing_threshold - d'(lag)) / voicing_slope).

Gradients: the lag choice is piecewise constant, so its backward pass is that of a soft-argmin of
d' over the few lags around the chosen one (straight-through; the forward value is the exact lag).
The voicing probability is differentiable as it stands.
"""
from __future__ import annotations

import math

import scipy.fft
import torch
import torch.nn.functional as F

from asnet.features.bpda import needs_grad, straight_through
from asnet.features.framing import frame_signal

SURROGATE_HALF_WIDTH = 2  # the soft-argmin covers lag ± 2 samples


def window_energies(wave: torch.Tensor, window: int, tau_max: int, hop: int) -> torch.Tensor:
    """e_t(tau) = sum_{j<W} x_{s_t + tau + j}^2 for every frame t and lag 0..tau_max -> [B, T, tau_max + 1].

    Differences of one running sum over the clip instead of a cumulative sum per frame (frames
    overlap ~5x); float64 keeps the differences of a long running sum exact to float32 precision.
    """
    power = F.pad(wave.double().pow(2), (window // 2, window // 2 + tau_max))  # framing.frame_signal's padding
    running = F.pad(power.cumsum(-1), (1, 0))
    starts = running.unfold(-1, window + tau_max + 1, hop)
    return (starts[..., window:] - starts[..., : tau_max + 1]).to(wave.dtype)


def cmndf(frames: torch.Tensor, energy: torch.Tensor, window: int, noise_power: float, n_fft: int) -> torch.Tensor:
    """frames [..., window + tau_max], their window_energies [..., tau_max + 1] -> d' [..., tau_max + 1]
    (index = lag in samples). n_fft >= frames.shape[-1] keeps the circular correlation linear."""
    tau_max = energy.shape[-1] - 1
    head = torch.fft.rfft(frames[..., :window], n_fft)
    full = torch.fft.rfft(frames, n_fft)
    corr = torch.fft.irfft(full * head.conj(), n_fft)[..., : tau_max + 1]  # sum_{j<W} x_j x_{j+tau}
    # d >= 0 in exact arithmetic; clamping only removes rounding below zero.
    diff = (energy[..., :1] + energy - 2 * corr).clamp_min(0)[..., 1:] + 2 * window * noise_power
    lags = torch.arange(1, tau_max + 1, device=frames.device, dtype=frames.dtype)
    normalised = diff * lags / diff.cumsum(-1)
    return F.pad(normalised, (1, 0), value=1.0)


@torch.no_grad()
def choose_lag(d: torch.Tensor, tau_min: int, threshold: float) -> torch.Tensor:
    """YIN's absolute-threshold rule on d' [..., tau_max + 1] -> integer lag in [tau_min, tau_max - 1]
    (every candidate has both neighbours, for the parabola)."""
    band = d[..., tau_min - 1 :]
    inner = band[..., 1:-1]  # lags tau_min .. tau_max - 1
    is_dip = (inner <= band[..., :-2]) & (inner <= band[..., 2:]) & (inner < threshold)
    first = is_dip.to(torch.uint8).argmax(-1)  # argmax returns the first maximal index
    return tau_min + torch.where(is_dip.any(-1), first, inner.argmin(-1))


@torch.no_grad()
def refine_lag(d: torch.Tensor, lag: torch.Tensor) -> torch.Tensor:
    """Vertex of the parabola through d'(lag - 1), d'(lag), d'(lag + 1) (shift within ±1 sample)."""
    left, centre, right = (d.gather(-1, (lag + k).unsqueeze(-1)).squeeze(-1) for k in (-1, 0, 1))
    curvature = left - 2 * centre + right
    shift = 0.5 * (left - right) / torch.where(curvature > 0, curvature, 1.0)
    return lag + torch.where(curvature > 0, shift, 0.0).clamp(-1, 1)


def soft_lag(d: torch.Tensor, lag: torch.Tensor, temperature: float) -> torch.Tensor:
    """Soft-argmin of d' over lag ± SURROGATE_HALF_WIDTH: the lag's backward surrogate."""
    offsets = torch.arange(-SURROGATE_HALF_WIDTH, SURROGATE_HALF_WIDTH + 1, device=d.device)
    around = (lag.unsqueeze(-1) + offsets).clamp(1, d.shape[-1] - 1)
    weights = torch.softmax(-d.gather(-1, around) / temperature, -1)
    return (weights * around.to(d.dtype)).sum(-1)


class YinPitch:
    """wave [B, N] -> (f0 in Hz [B, T], voicing probability [B, T]), T = 1 + N // hop."""

    def __init__(self, sample_rate: int, hop_length: int, window: int, f0_min: float, f0_max: float,
                 threshold: float, voicing_threshold: float, voicing_slope: float,
                 noise_floor_db: float, surrogate_temperature: float):
        self.sample_rate, self.hop_length, self.window = sample_rate, hop_length, window
        self.tau_min = int(math.floor(sample_rate / f0_max))
        self.tau_max = int(math.ceil(sample_rate / f0_min)) + 1  # +1: a dip at sr/f0_min has a right neighbour
        self.threshold, self.voicing_threshold, self.voicing_slope = threshold, voicing_threshold, voicing_slope
        self.noise_power = 10.0 ** (noise_floor_db / 10.0)
        self.n_fft = scipy.fft.next_fast_len(window + self.tau_max, real=True)
        self.surrogate_temperature = surrogate_temperature

    def __call__(self, wave: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        frames = frame_signal(wave, self.window + self.tau_max, self.hop_length, left=self.window // 2)
        energy = window_energies(wave, self.window, self.tau_max, self.hop_length)
        d = cmndf(frames, energy, self.window, self.noise_power, self.n_fft)
        lag = choose_lag(d, self.tau_min, self.threshold)
        lag_value = refine_lag(d, lag)
        if needs_grad(d):
            lag_value = straight_through(lag_value, soft_lag(d, lag, self.surrogate_temperature))
        aperiodicity = d.gather(-1, lag.unsqueeze(-1)).squeeze(-1)
        voicing = torch.sigmoid((self.voicing_threshold - aperiodicity) / self.voicing_slope)
        return self.sample_rate / lag_value, voicing
